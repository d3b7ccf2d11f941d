#!/usr/bin/env bash
# bench-lookup.sh [rounds] [duration] — the public token lookup alone
# against a bare net/http hello world, the lookup figure of bench-sqlite.sh
# and bench-pg.sh: each round runs, in alternating pairs,
#   hello world  then  the lookup on this checkout's server
#   hello world  then  the lookup on INVITED_BASE's server, when set
# (another checkout: an earlier commit, say; the load tool and the hello
# world are always this one's), and prints each pair's ratio, then the
# median and range over the rounds. BACKEND=pg runs the lookups on a
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

# lookup BUILD ROUND runs the lookup scenario on a fresh database served
# by BUILD and prints its rate.
lookup() {
	local url
	if [ "$backend" = pg ]; then
		sql -c "CREATE DATABASE l_$1_$2"
		url=$(pgurl "l_$1_$2")
	else
		url="sqlite:$work/l-$1-$2.db"
	fi
	invited=$work/invited-$1
	serve 18081 "$url" "$work/serve-$1-$2.log"
	"$load" -key "$key" -url http://127.0.0.1:18081 -c $conns -d "$dur" -scenario lookup | rate
	stop_all
}

echo "backend: $backend; rounds of: hello, lookup (${builds[*]} in turn, each after a hello world of its own)"
declare -A ratios
for r in $(seq "$rounds"); do
	line="round $r:"
	for b in "${builds[@]}"; do
		h=$(hello)
		l=$(lookup "$b" "$r")
		ratios[$b]+="$(ratio "$l" "$h") "
		line+=$(printf "  %s %.0f/s ÷ hello %.0f/s = %s" "$b" "$l" "$h" "$(ratio "$l" "$h")")
	done
	echo "$line"
done
for b in "${builds[@]}"; do
	# shellcheck disable=SC2086 # one ratio per word
	echo "lookup ($b) ÷ hello world (target ≥ 0.50): $(summary ${ratios[$b]})"
done
