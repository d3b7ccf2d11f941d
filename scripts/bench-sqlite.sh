#!/usr/bin/env bash
# bench-sqlite.sh [rounds] [duration] — the SQLite design targets, side by
# side: each round runs, in alternating pairs on a fresh database,
#   hello world  then  the public lookup
#   the raw durable insert  then  create
#   the raw durable insert  then  accept
# and prints each pair's ratio, then the median and range over the rounds,
# with the disk's synchronous write rate. Delivery is on (log transport),
# rate limits off. Nothing here is a test: it measures, it asserts nothing.
# The PostgreSQL targets (pgbench, GoTrue, two instances) are not in it yet.
# INVITED_SRC names another checkout whose cmd/invited to measure (an
# earlier commit, say); the load tool and the ceiling are always this one's.
set -euo pipefail

rounds=${1:-5}
dur=${2:-10s}
conns=16
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "${INVITED_SRC:-.}" && go build -o "$work/invited" ./cmd/invited)
go build -o "$work/invited-load" ./cmd/invited-load
load="$work/invited-load"
key=ik_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

# rate prints the req/s of an invited-load report; p99 its p99.
rate() { awk '/^requests/ {print $(NF-1)}'; }
p99() { awk '/^latency/ {print $7}'; }

# serve starts the service on a fresh database, its pid in $pid, and
# waits until it is ready.
serve() {
	local dir=$1
	INVITED_ADMIN_API_KEY=$key INVITED_LOG_LEVEL=warn INVITED_ADDR=127.0.0.1:18080 \
		INVITED_RATE_LIMIT_CREATE=off INVITED_RATE_LIMIT_PUBLIC=off \
		INVITED_DATABASE_URL="sqlite:$dir/invited.db" "$work/invited" serve >"$dir/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		curl -fs http://127.0.0.1:18080/readyz >/dev/null 2>&1 && return
		sleep 0.1
	done
	echo "the service did not start:" >&2
	cat "$dir/serve.log" >&2
	exit 1
}

run() { "$load" -key "$key" -url http://127.0.0.1:18080 -c $conns -d "$dur" "$@"; }
ceiling() { "$load" -scenario sqlite-insert -db "$1/ceiling-$2.db" -c $conns -d "$dur"; }

echo "disk: $(dd if=/dev/zero of="$work/dd" bs=4k count=2000 oflag=dsync 2>&1 | tail -1)"
echo "round  hello/s  lookup/s  ratio   raw/s  create/s ratio   raw/s  accept/s ratio  accept-p99"
declare -a lk cr ac
for r in $(seq "$rounds"); do
	dir="$work/round-$r"
	mkdir -p "$dir"
	h=$("$load" -serve-hello 127.0.0.1:0 -scenario hello -c $conns -d "$dur" | rate)
	serve "$dir"
	l=$(run -scenario lookup | rate)
	c1=$(ceiling "$dir" 1 | rate)
	c=$(run -scenario create | rate)
	c2=$(ceiling "$dir" 2 | rate)
	out=$(run -scenario accept -n 40000)
	a=$(rate <<<"$out")
	ap=$(p99 <<<"$out")
	kill "$pid" && wait "$pid" 2>/dev/null || true
	lk[r]=$(awk -v a="$l" -v b="$h" 'BEGIN {printf "%.3f", a/b}')
	cr[r]=$(awk -v a="$c" -v b="$c1" 'BEGIN {printf "%.3f", a/b}')
	ac[r]=$(awk -v a="$a" -v b="$c2" 'BEGIN {printf "%.3f", a/b}')
	printf "%5d %8.0f %9.0f %6s %7.0f %9.0f %5s %7.0f %9.0f %5s %10s\n" \
		"$r" "$h" "$l" "${lk[r]}" "$c1" "$c" "${cr[r]}" "$c2" "$a" "${ac[r]}" "$ap"
done

# summary prints the median and range of its arguments.
summary() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "median %.3f [%.3f–%.3f]\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), v[1], v[NR]}'; }
echo "lookup ÷ hello world (target ≥ 0.50): $(summary "${lk[@]}")"
echo "create ÷ raw insert  (target ≥ 0.70): $(summary "${cr[@]}")"
echo "accept ÷ raw insert  (target ≥ 0.30): $(summary "${ac[@]}")"
