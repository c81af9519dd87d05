#!/usr/bin/env bash
# `make demo`: migrate, seed the demo council, and serve it on 127.0.0.1:8000, with card payments going to a
# localstripe (the fake Stripe server) on loopback, whose webhooks come back to the demo. SQLite and eager
# Celery unless DATABASE_URL / CELERY_BROKER_URL say otherwise; STRIPE_API_BASE may name a running localstripe.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.local
PY=.venv/bin/python
PORT="${DEMO_PORT:-8000}"

if [ -z "${STRIPE_API_BASE:-}" ]; then
  STRIPE_PORT="$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  .venv/bin/localstripe --port "$STRIPE_PORT" --from-scratch >/tmp/council-demo-localstripe.log 2>&1 &
  STRIPE_PID=$!
  trap 'kill "$STRIPE_PID" 2>/dev/null || true' EXIT
  export STRIPE_API_BASE="http://127.0.0.1:$STRIPE_PORT"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$STRIPE_PORT") 2>/dev/null && break
    sleep 0.1  # waiting for localstripe to listen; it announces nothing we could wait on
  done
fi

$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo
$PY manage.py localstripe_webhook "http://127.0.0.1:$PORT/licence/stripe/webhook/"
$PY manage.py runserver "127.0.0.1:$PORT"
