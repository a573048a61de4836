#!/usr/bin/env bash
# Refreshes the French catalogues from the source strings and compiles them. Django files each
# string under the nearest app that has its own locale/ (web, delivery), else the project's.
set -euo pipefail
cd "$(dirname "$0")/../src/facturier"
# Managing messages needs no data: keep the keys and database it would create out of the tree.
FACTURIER_DATA_DIR=$(mktemp -d)
export FACTURIER_DATA_DIR
trap 'rm -rf "$FACTURIER_DATA_DIR"' EXIT
../../.venv/bin/facturier makemessages --locale fr --no-obsolete --ignore "engine/*"
../../.venv/bin/facturier compilemessages --locale fr
