#!/usr/bin/env bash
# Refreshes the French catalogue from the source strings and compiles it.
set -euo pipefail
cd "$(dirname "$0")/../src/facturier"
../../.venv/bin/facturier makemessages --locale fr --no-obsolete --ignore "engine/*"
../../.venv/bin/facturier compilemessages --locale fr
