#!/usr/bin/env bash
# bench-pg.sh [rounds] [duration] — the PostgreSQL design targets, side by
# side on one durable cluster of the script's own (fsync, synchronous_commit
# and full_page_writes on, as shipped). Each round, on a fresh database:
#   hello world  then  the public lookup
#   pgbench's single-row INSERT  then  create on one instance, then on two
#   pgbench  then  accept on one instance, then on two
#   a batch of 1,000, twenty times one after another
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
work=$(mktemp -d)
chmod 755 "$work"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=15440
pgdir=$work/pg
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
trap 'kill $(jobs -p) 2>/dev/null || true; as_pg "$bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
. scripts/bench-lib.sh
bench_build

# The cluster: stock durability, room for two instances' pools and
# pgbench's clients.
install -d -m 755 "$pgdir"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pgdir"
as_pg "$bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
cat >>"$pgdir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pgdir'
max_connections = 200
shared_buffers = '128MB'
fsync = on
synchronous_commit = on
full_page_writes = on
CONF
as_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start >/dev/null
psql() { "$bin/psql" -h 127.0.0.1 -p $port -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
pgurl() { echo "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable"; }
echo "postgres: $(psql -Atc 'SELECT version()' | cut -d' ' -f1-2); fsync=$(psql -Atc 'SHOW fsync'), synchronous_commit=$(psql -Atc 'SHOW synchronous_commit')"

# pgbench: a single-row INSERT of an invitation-sized row with a random
# uuid key, into a fresh table each time.
psql -c 'CREATE DATABASE pgb'
echo "INSERT INTO t (id, payload) VALUES (gen_random_uuid(), 'ann@example.com member pending 2026-11-30T00:00:00Z some invitation-sized payload text');" >"$work/insert.sql"
pgbench() {
	psql -d pgb -c 'DROP TABLE IF EXISTS t' -c 'CREATE TABLE t (id uuid PRIMARY KEY, payload text NOT NULL)'
	"$bin/pgbench" -h 127.0.0.1 -p $port -U postgres -n -c $conns -j 2 -T "${dur%s}" -f "$work/insert.sql" pgb 2>/dev/null |
		awk '/^tps/ {printf "%.0f", $3}'
}

# ticks prints the CPU time, in clock ticks, of the given processes (and,
# with -u postgres, of every process of the cluster).
ticks() {
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo $t
}
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
pgpids() { pgrep -u postgres -d ' ' postgres || true; }
hz=$(getconf CLK_TCK)

# measure SCENARIO URLS [flags] runs the load tool and prints its report,
# then "cores INVITED POSTGRES REST" for the run.
measure() {
	local s=$1 urls=$2
	shift 2
	local i0 p0 b0 t0 t1
	i0=$(ticks "${pids[@]}") p0=$(ticks $(pgpids)) b0=$(busy) t0=$(date +%s.%N)
	"$load" -key "$key" -urls "$urls" -scenario "$s" -c $conns -d "$dur" "$@"
	t1=$(date +%s.%N)
	awk -v i="$(($(ticks "${pids[@]}") - i0))" -v p="$(($(ticks $(pgpids)) - p0))" -v b="$(($(busy) - b0))" \
		-v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v hz="$hz" \
		'BEGIN {printf "cores %.2f %.2f %.2f\n", i/hz/s, p/hz/s, (b-i-p)/hz/s}'
}
cores() { awk '/^cores/ {printf "%s/%s/%s", $2, $3, $4}'; }

one=http://127.0.0.1:18081
two=$one,http://127.0.0.1:18082
disk
echo "round  hello/s lookup/s ratio  pgbench/s create/s ratio  2×create/s gain  pgbench/s accept/s ratio  p99  2×accept/s gain  batch-p50 batch-p99 rss-MB  cores(invited/pg/rest) create accept"
declare -a lk cr ac c2g a2g bt
for r in $(seq "$rounds"); do
	dir=$work/round-$r
	mkdir -p "$dir"
	psql -c "CREATE DATABASE inv_$r"
	serve 18081 "$(pgurl inv_$r)" "$dir/serve-1.log"
	serve 18082 "$(pgurl inv_$r)" "$dir/serve-2.log"
	h=$(hello)
	l=$(measure lookup $one | rate)
	p1=$(pgbench)
	out=$(measure create $one)
	c=$(rate <<<"$out") cc=$(cores <<<"$out")
	cx=$(measure create "$two" | rate)
	p2=$(pgbench)
	out=$(measure accept $one -n 40000)
	a=$(rate <<<"$out") ap=$(p99 <<<"$out") ac_=$(cores <<<"$out")
	ax=$(measure accept "$two" -n 40000 | rate)
	out=$("$load" -key "$key" -url $one -scenario batch -c 1 -n 20 -d 60s)
	bt[r]=$(p50 <<<"$out")
	m=$(rss "${pids[0]}")
	stop_all
	lk[r]=$(ratio "$l" "$h")
	cr[r]=$(ratio "$c" "$p1")
	ac[r]=$(ratio "$a" "$p2")
	c2g[r]=$(ratio "$cx" "$c")
	a2g[r]=$(ratio "$ax" "$a")
	printf "%5d %8.0f %8.0f %5s %9s %8.0f %5s %10.0f %5s %9s %8.0f %5s %5s %10.0f %5s %10s %9s %6s  %s %s\n" \
		"$r" "$h" "$l" "${lk[r]}" "$p1" "$c" "${cr[r]}" "$cx" "${c2g[r]}" "$p2" "$a" "${ac[r]}" "$ap" "$ax" "${a2g[r]}" \
		"${bt[r]}" "$(p99 <<<"$out")" "$m" "$cc" "$ac_"
done

echo "lookup ÷ hello world     (target ≥ 0.50): $(summary "${lk[@]}")"
echo "create ÷ pgbench INSERT  (target ≥ 0.50): $(summary "${cr[@]}")"
echo "accept ÷ pgbench INSERT  (target ≥ 0.30): $(summary "${ac[@]}")"
echo "two instances ÷ one, create (target ≥ 1.6): $(summary "${c2g[@]}")"
echo "two instances ÷ one, accept (target ≥ 1.6): $(summary "${a2g[@]}")"
echo "batch of 1,000, p50 ms   (target < 250): $(summary "${bt[@]%ms}")"
