#!/usr/bin/env bash
# The whole suite, as CI runs it: machine services checked (and started if they are down),
# Chromium installed when missing, localstripe started on loopback, static checks, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RUN_DIR=.run
mkdir -p "$RUN_DIR"

postgres_up() { $BIN/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()" 2>/dev/null; }
redis_up() { $BIN/python -c "import redis; redis.Redis(host='127.0.0.1', port=6379, socket_timeout=3).ping()" 2>/dev/null; }

if ! postgres_up; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; trying to start it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  postgres_up || { echo "FAIL: PostgreSQL is needed on 127.0.0.1:5432 (trust auth)"; exit 1; }
fi
if ! redis_up; then
  echo "Redis is not answering on 127.0.0.1:6379; trying to start it"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  redis_up || { echo "FAIL: Redis is needed on 127.0.0.1:6379"; exit 1; }
fi
if ! command -v chromium >/dev/null; then
  echo "Installing Debian's Chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# pg_dump and pg_restore for the backup and restore round trip (tests/ops/test_backup_restore.py).
if ! command -v pg_dump >/dev/null || ! command -v pg_restore >/dev/null; then
  echo "Installing the PostgreSQL client tools for the backup test"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
fi

# localstripe, the fake Stripe server, on a free loopback port; stopped by its pid on exit.
STRIPE_PORT=$($BIN/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
$BIN/localstripe --port "$STRIPE_PORT" --from-scratch >"$RUN_DIR/localstripe.log" 2>&1 &
LOCALSTRIPE_PID=$!
trap 'kill "$LOCALSTRIPE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if $BIN/python -c "import socket; socket.create_connection(('127.0.0.1', $STRIPE_PORT), 0.2).close()" 2>/dev/null; then break; fi
  $BIN/python -c "import time; time.sleep(0.1)"
done
export STRIPE_API_BASE="http://127.0.0.1:$STRIPE_PORT"

scripts/lint.sh

echo "== pytest"
# Under CI=true a missing browser, database, broker or localstripe fails the run instead of skipping.
export COUNCIL_TEST_REQUIRE_SERVICES=${CI:-false}
$BIN/python -m pytest -n 2 --dist loadgroup --cov --cov-report=term "$@"
