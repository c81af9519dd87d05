#!/usr/bin/env bash
# Benchmarks against raw SQL on the same machine, in the same run. Needs PostgreSQL on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'council_registry_bench'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE council_registry_bench"
.venv/bin/python -m bench.run
.venv/bin/python -m bench.renewal
