#!/usr/bin/env bash
# bench.sh [rounds] [duration] — every design target in one go, as
# docs/benchmarks.md quotes them: scripts/bench-sqlite.sh, then
# scripts/bench-pg.sh (with Supabase Auth beside us when GOTRUE_SRC names
# its checkout). Run it on a quiet machine: it measures, it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")"
bash bench-sqlite.sh "$@"
bash bench-pg.sh "$@"
