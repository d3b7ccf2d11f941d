#!/usr/bin/env bash
# bench-list.sh [count] — the list and the sweep at scale: the store's
# BenchmarkFindInvitationsPage and BenchmarkExpirySweep on SQLite at 1M
# invitations and on PostgreSQL at 10M, each case count times (default 3).
# It prints go test's output, then the load times, each filter's median
# page 1 and deep page (µs) and their ratio, and the sweep's median µs per
# expired row. Medians of an even count take the lower middle value.
set -euo pipefail

count=${1:-3}
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for run in sqlite:1000000 postgres:10000000; do
	INVITED_BENCH_ROWS=${run#*:} go test -run '^$' -bench "(FindInvitationsPage|Sweep)/${run%%:*}" \
		-count "$count" -timeout 0 -v ./internal/sqlstore/ | grep -v '^=== ' | tee -a "$out"
done

echo
grep -o 'loaded .*' "$out"
# Lines "BenchmarkX/backend/case-N  iterations  value unit ...": each
# case's values, ns/op for the list and us/row for the sweep, in order.
awk '/^Benchmark.*ns\/op/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i++) if ($(i+1) == (name ~ /Sweep/ ? "us/row" : "ns/op")) print name, $i
}' "$out" | sort -k1,1 -k2,2g | awk '
{ vals[$1] = vals[$1] " " $2 }
END {
	for (k in vals) { n = split(vals[k], a, " "); med[k] = a[int((n + 1) / 2)] }
	for (k in med) {
		split(k, p, "/")
		if (k ~ /\/page1$/) {
			deep = k; sub(/page1$/, "deep", deep)
			printf "list  %-8s %-16s page1 %8.0f µs  deep %8.0f µs  ratio %.2f\n", p[2], p[3], med[k] / 1000, med[deep] / 1000, med[deep] / med[k]
		} else if (k ~ /Sweep/) {
			printf "sweep %-8s %-16s %8.1f µs per expired row\n", p[2], p[3], med[k]
		}
	}
}' | sort
