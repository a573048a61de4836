#!/usr/bin/env bash
# Runs every benchmark in bench/ (each writes bench/results/<area>.json), then prints them.
set -euo pipefail
cd "$(dirname "$0")/.."
export FACTURIER_DATA_DIR=${FACTURIER_DATA_DIR:-$(mktemp -d)}
for script in bench/*.py; do
  case "$(basename "$script")" in
    _*) continue ;;              # shared helpers, not benchmarks
    integration_*) continue ;;   # parts that bench/integration.py runs
  esac
  echo "== $script"
  .venv/bin/python "$script"
done
for result in bench/results/*.json; do
  echo "$result: $(cat "$result")"
done
