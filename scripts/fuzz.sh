#!/usr/bin/env bash
# Runs every fuzz target of the module, one after the other, each for the
# same budget, and prints how many inputs each ran and the total
# (docs/security.md, "Fuzzing"). Long fuzzing stays out of CI: `go test
# ./...` runs only the seed corpora under testdata/fuzz.
#
#   scripts/fuzz.sh [BUDGET] [REGEXP]
#
# BUDGET is go test's -fuzztime per target: a duration (60s, the default;
# 5m) or a number of inputs (100000x). REGEXP picks the targets by name
# (default: all).
#
# Environment:
#   FUZZ_PARALLEL  fuzzing workers per target (default 1: the targets of
#                  this module are meant to share a 2-core machine)
#   FUZZ_LOG_DIR   where each target's go test output goes (default: a new
#                  temporary directory, printed at the end)
#   FUZZ_MINIMIZE  go test's -fuzzminimizetime (default 60s, Go's own): the
#                  HTTP targets spend most of their budget minimizing each
#                  new interesting input, and 5s leaves them more for inputs
#
# A crash is a target that failed and wrote its failing input to
# testdata/fuzz/NAME/, which reproduces it (go test -run=NAME/FILE): the
# script exits 1. A target that fails at the end of its budget with only
# "context deadline exceeded" and no failing input met Go's own race
# between the -fuzztime deadline and a running worker
# (https://go.dev/issue/75804, fixed in Go 1.27): it is reported as a
# flake, its inputs counted, and is not a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${1:-60s}
pattern=${2:-.}
parallel=${FUZZ_PARALLEL:-1}
minimize=${FUZZ_MINIMIZE:-60s}
logs=${FUZZ_LOG_DIR:-$(mktemp -d -t invited-fuzz.XXXXXX)}
mkdir -p "$logs"

# go test -list prints a package's matching names, then "ok <package>".
targets=()
pending=()
while read -r line; do
	case $line in
	Fuzz*) pending+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for name in "${pending[@]}"; do
			targets+=("$pkg $name")
		done
		pending=()
		;;
	esac
done < <(go test -list '^Fuzz' ./...)

total=0
crashes=0
flakes=0
ran=0
printf '%-44s %-26s %12s  %s\n' package target inputs result
for entry in "${targets[@]}"; do
	read -r pkg name <<<"$entry"
	[[ $name =~ $pattern ]] || continue
	dir=${pkg#github.com/invitedhq/invited}
	corpus=".${dir}/testdata/fuzz/$name"
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	log="$logs/$name.log"
	status=0
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$budget" -parallel="$parallel" -fuzzminimizetime="$minimize" "$pkg" >"$log" 2>&1 || status=$?
	# The last progress line holds the count: "fuzz: elapsed: 1m0s, execs: 123 (2/sec), ...".
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | awk '{print $2}' || true)
	execs=${execs:-0}
	after=$(ls "$corpus" 2>/dev/null | sort || true)
	written=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
	result=ok
	if ((status != 0)); then
		if [[ -n $written ]] || grep -q 'Failing input written to' "$log"; then
			result="CRASH: $corpus/${written:-?} (log $log)"
			crashes=$((crashes + 1))
		elif grep -q 'context deadline exceeded' "$log" && ! grep -q -- '--- FAIL: .*/' "$log"; then
			result="ok (deadline flake, go.dev/issue/75804)"
			flakes=$((flakes + 1))
		else
			result="FAILED (log $log)"
			crashes=$((crashes + 1))
		fi
	fi
	shown=${dir#/}
	printf '%-44s %-26s %12d  %s\n' "${shown:-.}" "$name" "$execs" "$result"
	total=$((total + execs))
	ran=$((ran + 1))
done
printf '%-44s %-26s %12d  %d targets, %d crashes, %d deadline flakes\n' total "" "$total" "$ran" "$crashes" "$flakes"
echo "logs: $logs"
((crashes == 0))
