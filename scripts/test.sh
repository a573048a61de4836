#!/usr/bin/env bash
# The whole suite: on SQLite, then on PostgreSQL when DATABASE_URL is set or a server answers
# at 127.0.0.1:5432 (user postgres). Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export PATH="$PWD/.venv/bin:$PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FACTURIER_DATA_DIR="$tmp/data" FACTURIER_TASKS=immediate

status=0
pg_url=${DATABASE_URL:-}
if [ -z "$pg_url" ] && python3 -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1).close()" 2>/dev/null; then
  pg_url="postgres://postgres@127.0.0.1:5432/facturier"
fi

echo "== Test suite on SQLite =="
env -u DATABASE_URL pytest "$@"
rc=$?; [ $rc -ne 0 ] && status=$rc

if [ -n "$pg_url" ]; then
  echo "== Database tests again on PostgreSQL (${pg_url%%@*}@…) =="
  DATABASE_URL="$pg_url" FACTURIER_TEST_DB_ONLY=1 FACTURIER_DATA_DIR="$tmp/data-pg" pytest "$@"
  rc=$?; [ $rc -ne 0 ] && [ $rc -ne 5 ] && status=$rc
else
  echo "== PostgreSQL: no DATABASE_URL and no server at 127.0.0.1:5432; the PostgreSQL pass was skipped =="
fi
exit $status
