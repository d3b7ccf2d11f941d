# bench-lib.sh — what the benchmark scripts share; sourced, not run. It
# expects $work (a scratch directory: bench_work, or pg_work) and leaves
# $load, $invited and $key. Nothing here asserts anything: the scripts
# measure and print.

conns=16

# bench_work makes $work and, at exit, stops the script's jobs and removes it.
bench_work() {
	work=$(mktemp -d)
	trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
}

# bench_build builds the service (from $INVITED_SRC, another checkout,
# when set: an earlier commit, say) and this checkout's load tool.
bench_build() {
	(cd "${INVITED_SRC:-.}" && go build -o "$work/invited" ./cmd/invited)
	go build -o "$work/invited-load" ./cmd/invited-load
	invited=$work/invited
	load=$work/invited-load
	key=ik_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
}

# rate prints the req/s of an invited-load report; p50 and p99 its
# latencies.
rate() { awk '/^requests/ {print $(NF-1)}'; }
p50() { awk '/^latency/ {print $3}'; }
p99() { awk '/^latency/ {print $7}'; }

# serve PORT DATABASE_URL LOG starts an instance, its pid appended to
# $pids, and waits until it is ready. Delivery is on (log transport), rate
# limits are off (they would refuse a load test); the NAME=VALUE settings
# in the array serve_env, if any, are added or override these.
pids=()
serve_env=()
serve() {
	env INVITED_ADMIN_API_KEY="$key" INVITED_LOG_LEVEL=warn INVITED_ADDR="127.0.0.1:$1" \
		INVITED_RATE_LIMIT_CREATE=off INVITED_RATE_LIMIT_PUBLIC=off \
		INVITED_DATABASE_URL="$2" "${serve_env[@]}" "$invited" serve >"$3" 2>&1 &
	pids+=($!)
	wait_ready "http://127.0.0.1:$1/readyz" "$3" || exit 1
}

# wait_ready URL LOG waits up to 10 s for URL to answer 2xx; if it does not,
# it prints LOG and fails.
wait_ready() {
	for _ in $(seq 100); do
		curl -fs "$1" >/dev/null 2>&1 && return
		sleep 0.1
	done
	echo "$1 did not answer:" >&2
	cat "$2" >&2
	return 1
}

# stop_all stops every instance serve started.
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}

# ceiling DIR N measures the raw durable SQLite insert (one row per
# transaction, the store's writer setup) on a fresh file in DIR.
ceiling() { "$load" -scenario sqlite-insert -db "$1/ceiling-$2.db" -c $conns -d "$dur" | rate; }

# hello measures a bare net/http hello world with the same client.
hello() { "$load" -serve-hello 127.0.0.1:0 -scenario hello -c $conns -d "$dur" | rate; }

# rss prints the resident memory of a process in MB.
rss() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# ratio A B prints A/B to three places.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a/b : 0)}'; }

# summary prints the median and range of its arguments.
summary() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "median %.3f [%.3f–%.3f]\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), v[1], v[NR]}'; }

# disk prints the disk's synchronous 4 KiB write rate at this moment.
disk() { echo "disk: $(dd if=/dev/zero of="$work/dd" bs=4k count=2000 oflag=dsync 2>&1 | tail -1)"; rm -f "$work/dd"; }

# pg_work makes $work, open to the cluster's user, and at exit stops the
# script's jobs and its cluster and removes $work.
pg_work() {
	work=$(mktemp -d)
	chmod 755 "$work"
	trap 'kill $(jobs -p) 2>/dev/null || true; pg_stop; rm -rf "$work"' EXIT
}

# pg_start PORT starts a PostgreSQL cluster of the script's own in
# $work/pg, on PORT: stock durability (fsync, synchronous_commit and
# full_page_writes on), room for two instances' pools and pgbench's
# clients. It leaves $bin (the server's programs), sql (psql as the
# superuser) and pgurl DATABASE (its URL); pg_stop stops it.
pg_start() {
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	port=$1
	pgdir=$work/pg
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
	echo "postgres: $(sql -Atc 'SELECT version()' | cut -d' ' -f1-2); fsync=$(sql -Atc 'SHOW fsync'), synchronous_commit=$(sql -Atc 'SHOW synchronous_commit')"
}
pg_stop() { [ -z "${pgdir:-}" ] || as_pg "$bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; }
# as_pg runs a cluster command as its owner, from / (the checkout may be
# closed to that user, and initdb and pg_ctl would say so).
as_pg() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
sql() { PGOPTIONS='-c client_min_messages=warning' "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
pgurl() { echo "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable"; }
