# shellcheck shell=bash
# gotrue.sh — Supabase Auth (GoTrue) as a benchmark peer: invited-load's
# gotrue-invite and gotrue-verify scenarios measure it beside invited's
# create and accept, on the same PostgreSQL cluster. Source it from a
# benchmark script (bash, set -euo pipefail), after scripts/bench-lib.sh:
#
#	. scripts/bench-lib.sh
#	. scripts/gotrue.sh
#	gotrue_build "$GOTRUE_SRC" "$work/gotrue"
#	gotrue_prepare postgres://postgres@127.0.0.1:15433/postgres gotrue
#	gotrue_start 19999 "$gotrue_db_url"
#	invited-load -url http://127.0.0.1:19999 -scenario gotrue-invite   # takes $GOTRUE_JWT_SECRET
#	gotrue_stop
#
# The source is a checkout of github.com/supabase/auth given as GOTRUE_SRC;
# the project never vendors it. Measured with commit
# bc32168e13fdc928c98b449fc76bc3fdb9a293c5 (2026-08-20), which builds with
# Go 1.26.8 and GOTOOLCHAIN=local.
#
# The cluster must let the supabase_auth_admin role in over TCP with the
# password below, or trust it (a benchmark cluster on 127.0.0.1); psql must
# be on PATH.
#
# What the peer does per request, at that commit (counted with
# log_statement=all): POST /invite is one lookup, then one transaction of 8
# statements (user, identity, audit entry and one-time token inserted, the
# user updated twice) and one "mail" to the no-op client; 15 round trips
# with begin, commit and the driver's deallocate after each insert. POST
# /verify of an invitation is one transaction of 21 statements (it also
# opens a session with a refresh token), 26 round trips, and bcrypts a
# random password at cost 10 inside it: verify is CPU-bound on bcrypt.
# GoTrue's serve ignores GOTRUE_LOG_LEVEL at this commit and logs every
# request at info (to $gotrue_dir/serve.log here); the audit entries are
# rows in auth.audit_log_entries, as by default.

# GOTRUE_JWT_SECRET signs GoTrue's tokens; invited-load reads it to mint the
# service-role token of /invite.
export GOTRUE_JWT_SECRET=${GOTRUE_JWT_SECRET:-bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# gotrue_dir is GoTrue's working directory (empty: it would load a ./.env)
# and holds its log; gotrue_stop removes it.
gotrue_dir=${gotrue_dir:-${TMPDIR:-/tmp}/gotrue.$$}
gotrue_bin=${gotrue_bin:-}  # set by gotrue_build, or by the caller
gotrue_db_url=              # set by gotrue_prepare
gotrue_pid=                 # set by gotrue_start
gotrue_environ=()           # set by gotrue_config
gotrue_password=gotrue-bench

# gotrue_build SRC OUT builds the GoTrue checkout SRC into the binary OUT
# and makes it $gotrue_bin.
gotrue_build() {
	local out
	out=$(realpath -m "$2") # go build runs in SRC
	(cd "$1" && GOTOOLCHAIN=${GOTOOLCHAIN:-local} go build -o "$out" .)
	gotrue_bin=$out
}

# gotrue_config DBURL PORT sets gotrue_environ to GoTrue's whole
# environment (it runs with env -i: nothing else leaks in). Why these: an
# empty GOTRUE_SMTP_HOST is what selects GoTrue's no-op mail client, so
# invites "send" without a server. The email limit is global (not per
# client) and counts per hour: at its default of 30 the 31st invite answers
# 429. The per-client limits apply only behind a trusted forwarding header,
# but are raised too so that no default caps a run.
gotrue_config() {
	local dburl=$1 port=$2
	gotrue_environ=(
		PATH="$PATH"
		GOTRUE_DB_DRIVER=postgres
		GOTRUE_DB_DATABASE_URL="$dburl"
		GOTRUE_DB_MAX_POOL_SIZE=32
		GOTRUE_DB_MAX_IDLE_POOL_SIZE=32
		GOTRUE_JWT_SECRET="$GOTRUE_JWT_SECRET"
		GOTRUE_JWT_AUD=authenticated
		GOTRUE_SITE_URL=http://127.0.0.1:3000
		API_EXTERNAL_URL="http://127.0.0.1:$port"
		GOTRUE_API_HOST=127.0.0.1
		GOTRUE_API_PORT="$port"
		GOTRUE_LOG_LEVEL=warn
		GOTRUE_SMTP_HOST=
		GOTRUE_RATE_LIMIT_EMAIL_SENT=1000000000
		GOTRUE_RATE_LIMIT_VERIFY=1000000000
		GOTRUE_RATE_LIMIT_TOKEN_REFRESH=1000000000
		GOTRUE_RATE_LIMIT_OTP=1000000000
		GOTRUE_RATE_LIMIT_SSO=1000000000
		GOTRUE_RATE_LIMIT_ANONYMOUS_USERS=1000000000
	)
	mkdir -p "$gotrue_dir"
}

# gotrue_prepare ADMINURL DBNAME creates the database DBNAME on the cluster
# of ADMINURL (a superuser's postgres:// URL over TCP), the role and schema
# GoTrue expects (as its hack/init_postgres.sql does), runs gotrue migrate
# as that role, and sets gotrue_db_url to GoTrue's URL of the database.
gotrue_prepare() {
	local admin=$1 db=$2 hostport
	hostport=$(psql -X -At -v ON_ERROR_STOP=1 "$admin" -c "SELECT host(inet_server_addr()) || ':' || inet_server_port()")
	if [[ $hostport != *:* ]]; then
		echo "gotrue_prepare: $admin is not a TCP connection" >&2
		return 1
	fi
	psql -X -q -v ON_ERROR_STOP=1 "$admin" <<-SQL
		DO \$\$ BEGIN
			CREATE ROLE supabase_auth_admin;
		EXCEPTION WHEN duplicate_object THEN NULL; -- roles are per cluster
		END \$\$;
		ALTER ROLE supabase_auth_admin NOINHERIT CREATEROLE LOGIN PASSWORD '$gotrue_password';
		ALTER ROLE supabase_auth_admin SET search_path = auth;
		CREATE DATABASE "$db";
		\connect "$db"
		CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
		GRANT CREATE ON DATABASE "$db" TO supabase_auth_admin;
	SQL
	gotrue_db_url="postgres://supabase_auth_admin:$gotrue_password@$hostport/$db"
	gotrue_config "$gotrue_db_url" 0
	env -i -C "$gotrue_dir" "${gotrue_environ[@]}" "$gotrue_bin" migrate
}

# gotrue_start PORT DBURL starts gotrue serve on 127.0.0.1:PORT, its pid in
# gotrue_pid, and waits until /health answers.
gotrue_start() {
	local port=$1 dburl=$2
	gotrue_config "$dburl" "$port"
	env -i -C "$gotrue_dir" "${gotrue_environ[@]}" "$gotrue_bin" serve >"$gotrue_dir/serve.log" 2>&1 &
	gotrue_pid=$!
	wait_ready "http://127.0.0.1:$port/health" "$gotrue_dir/serve.log"
}

# gotrue_stop stops the server gotrue_start started and removes gotrue_dir.
gotrue_stop() {
	if [[ -n $gotrue_pid ]]; then
		kill "$gotrue_pid" 2>/dev/null || true
		wait "$gotrue_pid" 2>/dev/null || true
		gotrue_pid=
	fi
	rm -rf "$gotrue_dir"
}
