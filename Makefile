.PHONY: run test bench lint messages setup

setup:
	bash scripts/setup.sh

run: setup
	.venv/bin/facturier run

test:
	bash scripts/test.sh

bench: setup
	bash scripts/bench.sh

lint: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/lint-imports

messages: setup
	bash scripts/messages.sh
