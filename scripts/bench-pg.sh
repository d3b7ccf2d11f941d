#!/usr/bin/env bash
# bench-pg.sh [rounds] [duration] — the PostgreSQL design targets, side by
# side on one durable cluster of the script's own (fsync, synchronous_commit
# and full_page_writes on, as shipped). Each round, on a fresh database:
#   hello world  then  the public lookup
#   pgbench's single-row INSERT  then  create on one instance, then on two
#   pgbench  then  accept on one instance, then on two
#   a batch of 1,000, twenty times one after another
#   with GOTRUE_SRC (a checkout of github.com/supabase/auth, which the
#   project never vendors; see scripts/gotrue.sh): its POST /invite right
#   after our create, and its POST /verify right after our accept
# and prints each pair's ratio, then the median and range over the rounds,
# with the disk's synchronous write rate, the server's resident memory, and
# the CPU each part used during create and accept (cores: invited,
# postgres, the rest — the load tool and anything else on the machine).
# INVITED_SRC as in bench-sqlite.sh. Run as root (the cluster runs as the
# postgres user) or as a user who may run initdb.
set -euo pipefail

rounds=${1:-5}
dur=${2:-10s}
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
pg_work
bench_build
pg_start 15440

# pgbench: a single-row INSERT of an invitation-sized row with a random
# uuid key, into a fresh table each time.
sql -c 'CREATE DATABASE pgb'
echo "INSERT INTO t (id, payload) VALUES (gen_random_uuid(), 'ann@example.com member pending 2026-11-30T00:00:00Z some invitation-sized payload text');" >"$work/insert.sql"
pgbench() {
	sql -d pgb -c 'DROP TABLE IF EXISTS t' -c 'CREATE TABLE t (id uuid PRIMARY KEY, payload text NOT NULL)'
	counted "$bin/pgbench" -h 127.0.0.1 -p $port -U postgres -n -c $conns -j 2 -T "${dur%s}" -f "$work/insert.sql" pgb 2>/dev/null |
		awk '/^tps/ {printf "requests %.0f req/s\n", $3; next} {print}'
}

# snapshot prints "pid ticks" (CPU time in clock ticks) for every
# process of the instances ($pids) and of the cluster. A backend that
# starts meanwhile counts from zero; one that exits is counted in the
# postmaster's, which includes its reaped children's: backends do exit
# during a run, when a request the load tool abandons at its deadline
# cancels a statement and pgx closes that connection.
snapshot() {
	local p pm
	pm=$(head -1 "$pgdir/data/postmaster.pid")
	awk -v p="$pm" '{print p, $14 + $15 + $16 + $17}' "/proc/$pm/stat"
	for p in "${pids[@]}" $(pgrep -P "$pm" -d ' ' || true); do
		awk -v p="$p" '{print p, $14 + $15}' "/proc/$p/stat" 2>/dev/null || true # gone meanwhile
	done
	echo "busy $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat)"
}
hz=$(getconf CLK_TCK)

# counted CMD... runs CMD and prints its output, then "cores INVITED
# POSTGRES REST": the cores each part used meanwhile, where the rest is the
# load tool (or pgbench) and anything else on the machine.
counted() {
	local before t0 t1
	before=$(snapshot) t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	awk -v ours="${pids[*]}" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v hz="$hz" '
		BEGIN { n = split(ours, o, " "); for (i = 1; i <= n; i++) mine[o[i]] = 1 }
		FNR == NR { old[$1] = $2; next }
		{ d = $2 - old[$1] }
		$1 == "busy" { busy = d; next }
		$1 in mine { inv += d; next }
		{ pg += d }
		END { printf "cores %.2f %.2f %.2f\n", inv/hz/secs, pg/hz/secs, (busy-inv-pg)/hz/secs }
	' <(echo "$before") <(snapshot)
}

# measure SCENARIO URLS [flags] runs the load tool, counted.
measure() {
	local s=$1 urls=$2
	shift 2
	counted "$load" -key "$key" -urls "$urls" -scenario "$s" -c $conns -d "$dur" "$@"
}
cores() { awk '/^cores/ {printf "%s/%s/%s", $2, $3, $4}'; }
# cpu prints the CPU time of one operation of a counted report, in µs:
# every part's cores over the rate.
cpu() { awk '/^requests/ {r = $(NF-1)} /^cores/ {c = $2 + $3 + $4} END {printf "%.0f", (r > 0 ? c / r * 1e6 : 0)}'; }

# The peer, when asked for: built once, on a database of its own in the
# same cluster, on its own migrations.
peer=
if [ -n "${GOTRUE_SRC:-}" ]; then
	gotrue_dir=$work/gotrue
	mkdir -p "$gotrue_dir"
	PATH=$bin:$PATH . scripts/gotrue.sh
	gotrue_build "$GOTRUE_SRC" "$work/gotrue-bin"
	PGOPTIONS='-c client_min_messages=warning' PATH=$bin:$PATH gotrue_prepare "$(pgurl postgres)" gotrue >/dev/null
	gotrue_start 18083 "$gotrue_db_url"
	peer=http://127.0.0.1:18083
	# Verify is bound by a bcrypt per request (see gotrue.sh): a few
	# thousand prepared invitations outlast a run.
	gotrue() { measure "gotrue-$1" $peer -n "$2" | rate; }
fi

one=http://127.0.0.1:18081
two=$one,http://127.0.0.1:18082
disk
echo "round  hello/s lookup/s ratio  pgbench/s create/s ratio  2×create/s gain  pgbench/s accept/s ratio  p99  2×accept/s gain  batch-p50 batch-p99 rss-MB  cores(invited/pg/rest) create accept  ×GoTrue invite verify"
declare -a lk cr ac c2g a2g bt gi gv ccr acr
for r in $(seq "$rounds"); do
	dir=$work/round-$r
	mkdir -p "$dir"
	sql -c "CREATE DATABASE inv_$r"
	serve 18081 "$(pgurl inv_$r)" "$dir/serve-1.log"
	serve 18082 "$(pgurl inv_$r)" "$dir/serve-2.log"
	h=$(hello)
	l=$(measure lookup $one | rate)
	out=$(pgbench)
	p1=$(rate <<<"$out") pc=$(cpu <<<"$out")
	out=$(measure create $one)
	c=$(rate <<<"$out") cc=$(cores <<<"$out") ccpu=$(cpu <<<"$out")
	cx=$(measure create "$two" | rate)
	[ -n "$peer" ] && gi[r]=$(ratio "$c" "$(gotrue invite 0)")
	out=$(pgbench)
	p2=$(rate <<<"$out") pc2=$(cpu <<<"$out")
	out=$(measure accept $one -n 40000)
	a=$(rate <<<"$out") ap=$(p99 <<<"$out") ac_=$(cores <<<"$out") acpu=$(cpu <<<"$out")
	ax=$(measure accept "$two" -n 40000 | rate)
	[ -n "$peer" ] && gv[r]=$(ratio "$a" "$(gotrue verify 3000)")
	out=$("$load" -key "$key" -url $one -scenario batch -c 1 -n 20 -d 60s)
	bt[r]=$(p50 <<<"$out")
	m=$(rss "${pids[0]}")
	stop_all
	lk[r]=$(ratio "$l" "$h")
	cr[r]=$(ratio "$c" "$p1")
	ac[r]=$(ratio "$a" "$p2")
	c2g[r]=$(ratio "$cx" "$c")
	a2g[r]=$(ratio "$ax" "$a")
	printf "%5d %8.0f %8.0f %5s %9s %8.0f %5s %10.0f %5s %9s %8.0f %5s %5s %10.0f %5s %10s %9s %6s  %s %s  %s %s\n" \
		"$r" "$h" "$l" "${lk[r]}" "$p1" "$c" "${cr[r]}" "$cx" "${c2g[r]}" "$p2" "$a" "${ac[r]}" "$ap" "$ax" "${a2g[r]}" \
		"${bt[r]}" "$(p99 <<<"$out")" "$m" "$cc" "$ac_" "${gi[r]:--}" "${gv[r]:--}"
	# What bounds the ratios while the two cores are busy: the CPU one
	# operation costs the whole machine, ours against pgbench's.
	ccr[r]=$(ratio "$pc" "$ccpu")
	acr[r]=$(ratio "$pc2" "$acpu")
	echo "      CPU per operation, µs: pgbench ${pc}, create ${ccpu} (pgbench ÷ create ${ccr[r]}); pgbench ${pc2}, accept ${acpu} (${acr[r]})"
done

echo "lookup ÷ hello world     (target ≥ 0.50): $(summary "${lk[@]}")"
echo "create ÷ pgbench INSERT  (target ≥ 0.50): $(summary "${cr[@]}")"
echo "accept ÷ pgbench INSERT  (target ≥ 0.30): $(summary "${ac[@]}")"
echo "CPU per op, pgbench ÷ create: $(summary "${ccr[@]}"); pgbench ÷ accept: $(summary "${acr[@]}") (the ratios the CPU allows)"
echo "two instances ÷ one, create (target ≥ 1.6): $(summary "${c2g[@]}")"
echo "two instances ÷ one, accept (target ≥ 1.6): $(summary "${a2g[@]}")"
echo "batch of 1,000, p50 ms   (target < 250): $(summary "${bt[@]%ms}")"
if [ -n "$peer" ]; then
	echo "create ÷ GoTrue invite   (target ≥ 10): $(summary "${gi[@]}")"
	echo "accept ÷ GoTrue verify   (target ≥ 100): $(summary "${gv[@]}")"
	gotrue_stop
fi
