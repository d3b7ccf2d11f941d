#!/usr/bin/env bash
# bench-create.sh CHECKOUT [rounds] [duration] — SQLite create before and
# after a change, side by side: each round runs, in alternating pairs on
# fresh databases,
#   the raw durable insert  then  create on CHECKOUT's server (before)
#   the raw durable insert  then  create on this checkout's (after)
# and prints both ratios and after ÷ before, then their medians and ranges.
# The load tool and the ceiling are this checkout's for both. A change that
# moves create by less than the spread of its pairs has not been shown.
set -euo pipefail

base=${1:?usage: bench-create.sh CHECKOUT [rounds] [duration]}
rounds=${2:-6}
dur=${3:-8s}
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bench_work
bench_build
after=$invited
(cd "$base" && go build -o "$work/invited-before" ./cmd/invited)

create() { # server binary, round directory: one create run on a fresh database
	invited=$1
	serve 18080 "sqlite:$2/invited.db" "$2/serve.log"
	"$load" -key "$key" -url http://127.0.0.1:18080 -c $conns -d "$dur" -scenario create | rate
	stop_all
}

disk
echo "round   raw/s  before/s  ratio   raw/s   after/s  ratio  after÷before"
declare -a rb ra ab
for r in $(seq "$rounds"); do
	mkdir -p "$work/$r/before" "$work/$r/after"
	c1=$(ceiling "$work/$r" 1)
	b=$(create "$work/invited-before" "$work/$r/before")
	c2=$(ceiling "$work/$r" 2)
	a=$(create "$after" "$work/$r/after")
	rb[r]=$(ratio "$b" "$c1")
	ra[r]=$(ratio "$a" "$c2")
	ab[r]=$(ratio "$a" "$b")
	printf "%5d %7.0f %9.0f %6s %7.0f %9.0f %6s %13s\n" "$r" "$c1" "$b" "${rb[r]}" "$c2" "$a" "${ra[r]}" "${ab[r]}"
done
disk
echo "before ÷ raw insert: $(summary "${rb[@]}")"
echo "after  ÷ raw insert: $(summary "${ra[@]}")"
echo "after ÷ before:      $(summary "${ab[@]}")"
