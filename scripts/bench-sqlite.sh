#!/usr/bin/env bash
# bench-sqlite.sh [rounds] [duration] — the SQLite design targets, side by
# side: each round runs, in alternating pairs on a fresh database,
#   hello world  then  the public lookup
#   the raw durable insert  then  create
#   the raw durable insert  then  accept
#   a batch of 1,000, twenty times one after another
# and prints each pair's ratio, then the median and range over the rounds,
# with the disk's synchronous write rate and the server's resident memory.
# INVITED_SRC names another checkout whose cmd/invited to measure (an
# earlier commit, say); the load tool and the ceiling are always this one's.
# scripts/bench-pg.sh is the same for PostgreSQL.
set -euo pipefail

rounds=${1:-5}
dur=${2:-10s}
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bench_work
bench_build

run() { "$load" -key "$key" -url http://127.0.0.1:18080 -c $conns -d "$dur" "$@"; }

disk
echo "round  hello/s  lookup/s  ratio   raw/s  create/s ratio   raw/s  accept/s ratio  accept-p99  batch-p50  batch-p99  rss-MB"
declare -a lk cr ac bt
for r in $(seq "$rounds"); do
	dir="$work/round-$r"
	mkdir -p "$dir"
	h=$(hello)
	serve 18080 "sqlite:$dir/invited.db" "$dir/serve.log"
	l=$(run -scenario lookup | rate)
	c1=$(ceiling "$dir" 1)
	c=$(run -scenario create | rate)
	c2=$(ceiling "$dir" 2)
	out=$(run -scenario accept -n 40000)
	a=$(rate <<<"$out")
	ap=$(p99 <<<"$out")
	out=$("$load" -key "$key" -url http://127.0.0.1:18080 -scenario batch -c 1 -n 20 -d 60s)
	bt[r]=$(p50 <<<"$out")
	m=$(rss "${pids[0]}")
	stop_all
	lk[r]=$(ratio "$l" "$h")
	cr[r]=$(ratio "$c" "$c1")
	ac[r]=$(ratio "$a" "$c2")
	printf "%5d %8.0f %9.0f %6s %7.0f %9.0f %5s %7.0f %9.0f %5s %10s %10s %10s %7s\n" \
		"$r" "$h" "$l" "${lk[r]}" "$c1" "$c" "${cr[r]}" "$c2" "$a" "${ac[r]}" "$ap" "${bt[r]}" "$(p99 <<<"$out")" "$m"
done

echo "lookup ÷ hello world (target ≥ 0.50): $(summary "${lk[@]}")"
echo "create ÷ raw insert  (target ≥ 0.70): $(summary "${cr[@]}")"
echo "accept ÷ raw insert  (target ≥ 0.30): $(summary "${ac[@]}")"
echo "batch of 1,000, p50 ms (target < 250): $(summary "${bt[@]%ms}")"
