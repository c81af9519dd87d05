#!/usr/bin/env bash
# Benchmarks against raw SQL on the same machine, in the same run. Needs PostgreSQL on 127.0.0.1:5432.
# BENCH_ONLY="exams" (or any of "run renewal exams cpd verification legacy") runs just those.
set -euo pipefail
cd "$(dirname "$0")/.."
ensure_database() {
  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $1"
}
for bench in ${BENCH_ONLY:-run renewal exams cpd verification legacy}; do
  case "$bench" in
    run) ensure_database council_registry_bench ;;
    exams) ensure_database council_registry_bench_exams ;;
    cpd) ensure_database council_registry_bench_cpd ;;
    verification) ensure_database council_registry_bench_verify ;;
    legacy) ensure_database council_registry_bench_legacy ;;
  esac
  .venv/bin/python -m "bench.$bench"
done
