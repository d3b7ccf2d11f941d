#!/usr/bin/env bash
# bench-ratelimit.sh BASE_SRC [rounds] [duration] — what keeping rate limits
# in the database (ratelimit.Shared) costs a limited request: the public
# lookup, which spends the client address's allowance on every request,
# against one instance of this checkout on PostgreSQL and one of BASE_SRC,
# a checkout of a commit whose limits are kept in memory (the commit
# before them), each on a fresh database of one cluster, in alternating
# pairs within a round, their order swapped every round. The public limit
# is on but too high to refuse (1000000000/1m). Two loads:
#   one address: what invited-load sends by default; one hot bucket, whose
#     events Shared takes ahead (up to Lease/T at a time)
#   many addresses: -addrs 100000 through X-Forwarded-For; every request
#     has a bucket of its own, not seen for far longer than a lease: one
#     statement per request, the worst case
# and the hello world, for lookup ÷ hello world. Prints each round, then
# the median and range of each ratio.
set -euo pipefail

base=${1:?usage: bench-ratelimit.sh BASE_SRC [rounds] [duration]}
rounds=${2:-5}
dur=${3:-10s}
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
pg_work
pg_start 15441
bench_build
mv "$invited" "$work/invited-shared"
(cd "$base" && go build -o "$work/invited-memory" ./cmd/invited)
serve_env=(INVITED_RATE_LIMIT_PUBLIC=1000000000/1m INVITED_TRUSTED_PROXIES=127.0.0.1)

# lookup KIND DATABASE [flags]: one instance of $work/invited-KIND on a
# new database, the lookup measured on it.
lookup() {
	local kind=$1 db=$2
	shift 2
	sql -c "CREATE DATABASE $db"
	invited=$work/invited-$kind
	serve 18091 "$(pgurl "$db")" "$work/serve-$db.log"
	"$load" -key "$key" -url http://127.0.0.1:18091 -scenario lookup -c $conns -d "$dur" "$@" | rate
	stop_all
}

echo "round  hello/s  one address: memory/s shared/s ratio  many addresses: memory/s shared/s ratio  shared÷hello (one, many)"
declare -a one many h1 hm
for r in $(seq "$rounds"); do
	h=$(hello)
	order=(memory shared)
	[ $((r % 2)) -eq 0 ] && order=(shared memory)
	declare -A o m
	for k in "${order[@]}"; do o[$k]=$(lookup "$k" "one_${k}_$r"); done
	for k in "${order[@]}"; do m[$k]=$(lookup "$k" "many_${k}_$r" -addrs 100000); done
	one[r]=$(ratio "${o[shared]}" "${o[memory]}")
	many[r]=$(ratio "${m[shared]}" "${m[memory]}")
	h1[r]=$(ratio "${o[shared]}" "$h")
	hm[r]=$(ratio "${m[shared]}" "$h")
	printf "%5d %8.0f  %20.0f %8.0f %5s  %23.0f %8.0f %5s  %s %s\n" "$r" "$h" \
		"${o[memory]}" "${o[shared]}" "${one[r]}" "${m[memory]}" "${m[shared]}" "${many[r]}" "${h1[r]}" "${hm[r]}"
	unset o m
done
echo "shared ÷ memory, one address:    $(summary "${one[@]}")"
echo "shared ÷ memory, many addresses: $(summary "${many[@]}")"
echo "lookup ÷ hello world, shared, one address    (target ≥ 0.50): $(summary "${h1[@]}")"
echo "lookup ÷ hello world, shared, many addresses (target ≥ 0.50): $(summary "${hm[@]}")"
