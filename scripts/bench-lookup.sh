#!/usr/bin/env bash
# bench-lookup.sh [rounds] [duration] — the public token lookup alone
# against a bare net/http hello world, the lookup figure of bench-sqlite.sh
# and bench-pg.sh: each round runs, in alternating pairs,
#   hello world  then  the lookup on this checkout's server
#   hello world  then  the lookup on INVITED_BASE's server, when set
# (another checkout: an earlier commit, say; the load tool and the hello
# world are always this one's), and prints each pair's ratio, then the
# median and range over the rounds. Beside each rate it prints the CPU
# time one request cost (user and system, in µs): for hello world, its one
# process (the load tool serving itself); for the lookup, the server's and
# the load tool's, then PostgreSQL's on BACKEND=pg. Unlike the rates these
# hardly move when other work shares the machine, and on two idle cores
# the hello CPU ÷ the lookup's total is the ratio the rates would show
# (each run keeps both cores busy). BACKEND=pg runs the lookups on a
# durable PostgreSQL cluster of the script's own (as bench-pg.sh does),
# BACKEND=sqlite (the default) on a fresh SQLite file per round.
set -euo pipefail

rounds=${1:-5}
dur=${2:-10s}
backend=${BACKEND:-sqlite}
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
if [ "$backend" = pg ]; then
	pg_work
else
	work=$(mktemp -d)
	trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fi
bench_build
builds=(head)
cp "$invited" "$work/invited-head"
if [ -n "${INVITED_BASE:-}" ]; then
	(cd "$INVITED_BASE" && go build -o "$work/invited-base" ./cmd/invited)
	builds+=(base)
fi
[ "$backend" = pg ] && pg_start 15441

# ticks PID... prints the CPU time (user and system, in clock ticks) the
# processes used so far; pg_ticks the cluster's, its exited backends'
# included (the postmaster counts its reaped children's), 0 on SQLite.
ticks() {
	local t=0 p
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
	echo $t
}
pg_ticks() {
	[ "$backend" = pg ] || { echo 0; return; }
	local pm
	pm=$(head -1 "$pgdir/data/postmaster.pid")
	echo $(($(awk '{print $16 + $17}' "/proc/$pm/stat") + $(ticks "$pm" $(pgrep -P "$pm" || true))))
}
hz=$(getconf CLK_TCK)

# per REPORT TICKS prints TICKS of CPU as µs per request of REPORT.
per() { awk -v t="$2" -v hz="$hz" '/^requests/ {n = $2} END {printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0)}' <<<"$1"; }

# self_ticks CMD... runs CMD and prints its output, then its CPU time in
# clock ticks (bash's times for its children) on a last line of its own.
self_ticks() {
	local out
	out=$(TIMEFORMAT='%U %S'; { time "$@" 2>/dev/null; } 2>&1)
	awk -v hz="$hz" 'NR > 1 {print prev} {prev = $0} END {split(prev, a, " "); printf "ticks %.0f\n", (a[1] + a[2]) * hz}' <<<"$out"
}

# hello_run prints the rate of hello world and its CPU per request.
hello_run() {
	local out
	out=$(self_ticks "$load" -serve-hello 127.0.0.1:0 -scenario hello -c $conns -d "$dur")
	echo "$(rate <<<"$out") $(per "$out" "$(awk '/^ticks/ {print $2}' <<<"$out")")"
}

# lookup BUILD ROUND runs the lookup scenario on a fresh database served
# by BUILD and prints its rate and the CPU per request of the server, the
# load tool and the cluster.
lookup() {
	local url out s0 s1 p0 p1
	if [ "$backend" = pg ]; then
		sql -c "CREATE DATABASE l_$1_$2"
		url=$(pgurl "l_$1_$2")
	else
		url="sqlite:$work/l-$1-$2.db"
	fi
	invited=$work/invited-$1
	serve 18081 "$url" "$work/serve-$1-$2.log"
	# The backends of the instance before exit meanwhile, and the
	# postmaster counts them once they have, not during this run.
	[ "$backend" = pg ] && sleep 2
	s0=$(ticks "${pids[0]}") p0=$(pg_ticks)
	out=$(self_ticks "$load" -key "$key" -url http://127.0.0.1:18081 -c $conns -d "$dur" -scenario lookup)
	s1=$(ticks "${pids[0]}") p1=$(pg_ticks)
	stop_all
	echo "$(rate <<<"$out") $(per "$out" $((s1 - s0))) $(per "$out" "$(awk '/^ticks/ {print $2}' <<<"$out")") $(per "$out" $((p1 - p0)))"
}

echo "backend: $backend; rounds of: hello, lookup (${builds[*]} in turn, each after a hello world of its own)"
echo "each: lookup/s ÷ hello/s = ratio; CPU µs per request: hello; lookup server + load tool + postgres = total; hello ÷ total"
declare -A ratios cpus
for r in $(seq "$rounds"); do
	for b in "${builds[@]}"; do
		read -r h hc <<<"$(hello_run)"
		read -r l ls lc lp <<<"$(lookup "$b" "$r")"
		total=$((ls + lc + lp))
		ratios[$b]+="$(ratio "$l" "$h") "
		cpus[$b]+="$(ratio "$hc" "$total") "
		printf "round %d %-4s %6.0f/s ÷ %6.0f/s = %s;  cpu %4d; %4d + %4d + %4d = %4d; %s\n" \
			"$r" "$b" "$l" "$h" "$(ratio "$l" "$h")" "$hc" "$ls" "$lc" "$lp" "$total" "$(ratio "$hc" "$total")"
	done
done
for b in "${builds[@]}"; do
	# shellcheck disable=SC2086 # one ratio per word
	echo "lookup ($b) ÷ hello world (target ≥ 0.50): $(summary ${ratios[$b]}); by CPU per request: $(summary ${cpus[$b]})"
done
