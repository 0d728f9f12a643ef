# Helpers for the scripts that run the server on PostgreSQL, sourced after
# lib.sh: a private PostgreSQL 15 cluster per script, made with Debian's
# own binaries in $T_DIR/pg, listening on a Unix socket in that folder
# alone (listen_addresses=''), and stopped when the script ends. Never a
# mock, never the system's cluster. Not a test itself.
#
# PostgreSQL refuses to run as root, and the tests run as root under CI: as
# root the cluster runs as the unprivileged `postgres` user that Debian's
# postgresql-common package creates (so no user is invented here); run as
# anyone else, it runs as that user.
PG_BIN=/usr/lib/postgresql/15/bin

# pg_require NAME: unless a private cluster can run here, the script ends
# with NAME skipped, the reason named.
pg_require() {
	local why=
	[ -x "$PG_BIN/initdb" ] || why="PostgreSQL 15 not installed ($PG_BIN/initdb)"
	[ -n "$why" ] || [ "$(id -u)" != 0 ] || id -u postgres >/dev/null 2>&1 ||
		why="running as root and no postgres user to run the cluster as"
	[ -z "$why" ] || { t_skip "$1" "$why"; t_done; exit 0; }
}

# pg_as CMD...: CMD as the cluster's owner.
pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start: initdb and start the cluster, and create the database sigcard.
# Sets PG_DIR (data), PG_SOCK (socket folder), PG_PORT (the socket's
# number) and PG_URL, a libpq URL to the database over that socket. Waits
# for the server's own word (pg_ctl -w polls its pid file until it says
# "ready", then pg_isready), no fixed sleep. Fails the script if it cannot.
pg_start() {
	PG_DIR=$T_DIR/pg/data PG_SOCK=$T_DIR/pg/sock PG_PORT=5432
	# The cluster's owner walks into the test's folder (mktemp's 0700).
	chmod 711 "$T_DIR"
	mkdir -p "$T_DIR/pg" "$PG_SOCK"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$T_DIR/pg"
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR" -U postgres -A trust --no-sync \
		>"$T_DIR/pg/initdb.log" 2>&1; then
		t_fail "initdb a private PostgreSQL cluster" "$(tail -5 "$T_DIR/pg/initdb.log")"
		t_done; exit 1
	fi
	# fsync stays on: the ledger's tests want the database's real commit.
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$T_DIR/pg/server.log" -w -t 120 \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -p $PG_PORT" \
		start >/dev/null 2>&1
	PG_STARTED=1
	if ! pg_as "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" -t 60 ||
	   ! pg_as "$PG_BIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -U postgres sigcard; then
		t_fail "start a private PostgreSQL cluster" "$(tail -20 "$T_DIR/pg/server.log")"
		t_done; exit 1
	fi
	PG_URL="postgresql:///sigcard?host=$PG_SOCK&port=$PG_PORT&user=postgres"
}

# pg_sql SQL: runs SQL in the database sigcard; rows unaligned, '|'-separated.
pg_sql() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres \
		-d sigcard -c "$1"
}

# Stops the cluster (fast: open sessions are ended) before lib.sh's
# cleanup removes its folder.
pg_stop() {
	[ "${PG_STARTED:-}" = 1 ] || return 0
	PG_STARTED=
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1
}
trap 'pg_stop; t_cleanup' EXIT
