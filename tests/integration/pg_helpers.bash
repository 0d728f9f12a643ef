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

# pg_unbalanced: how many currencies' balances do not sum to zero (psql).
pg_unbalanced() {
	pg_sql "SELECT count(*) FROM (SELECT currency FROM accounts GROUP BY currency HAVING sum(balance) <> 0) AS s"
}

# pg_start_standby: a synchronous streaming-replication standby of the
# cluster pg_start made: a second cluster copied by pg_basebackup -R
# (replication over the Unix socket, which initdb's pg_hba allows; a
# replication slot keeps the WAL it has not received yet), listening in
# its own folder on port PG_PORT+1, its application_name `standby1` named
# by the primary's synchronous_standby_names with synchronous_commit = on
# (remote flush): a commit the primary acknowledges is on the standby's
# disk too. Sets PG_STANDBY_DIR, PG_STANDBY_SOCK, PG_STANDBY_PORT (and
# PG_PRIMARY_SOCK, PG_PRIMARY_PORT: the first cluster's, kept through a
# promotion). Waits for pg_stat_replication to say sync. Fails the script
# if it cannot.
pg_start_standby() {
	PG_STANDBY_DIR=$T_DIR/pg/standby PG_STANDBY_SOCK=$T_DIR/pg/sock2
	PG_STANDBY_PORT=$((PG_PORT + 1)) PG_PRIMARY_SOCK=$PG_SOCK PG_PRIMARY_PORT=$PG_PORT
	mkdir -p "$PG_STANDBY_SOCK"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_STANDBY_SOCK"
	if ! pg_as "$PG_BIN/pg_basebackup" -h "$PG_SOCK" -p "$PG_PORT" -U postgres \
		-D "$PG_STANDBY_DIR" -R -C -S standby1 -X stream --no-sync \
		>"$T_DIR/pg/basebackup.log" 2>&1; then
		t_fail "pg_basebackup a standby" "$(tail -5 "$T_DIR/pg/basebackup.log")"
		t_done; exit 1
	fi
	# -R wrote primary_conninfo; the last setting of a file wins.
	pg_as bash -c "echo \"primary_conninfo = 'host=$PG_SOCK port=$PG_PORT user=postgres application_name=standby1'\" >>'$PG_STANDBY_DIR/postgresql.auto.conf'"
	pg_as "$PG_BIN/pg_ctl" -D "$PG_STANDBY_DIR" -l "$T_DIR/pg/standby.log" -w -t 120 \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_STANDBY_SOCK' -p $PG_STANDBY_PORT" \
		start >/dev/null 2>&1
	PG_STANDBY_STARTED=1
	# Set on the primary after the copy, so the standby has none: once
	# promoted it commits alone instead of waiting for a standby of its own.
	pg_sql "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" >/dev/null &&
	pg_sql "ALTER SYSTEM SET synchronous_commit = on" >/dev/null &&
	pg_sql "SELECT pg_reload_conf()" >/dev/null ||
		{ t_fail "the primary waits for its standby"; t_done; exit 1; }
	if ! sc_wait_for 60 pg_standby_sync; then
		t_fail "the standby replicates synchronously" \
			"$(pg_sql 'SELECT application_name, state, sync_state FROM pg_stat_replication')" \
			"$(tail -5 "$T_DIR/pg/standby.log")"
		t_done; exit 1
	fi
}

# pg_standby_sync: whether the primary sees standby1 streaming as sync.
pg_standby_sync() {
	[ "$(pg_sql "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")" = sync ]
}

# pg_promote_standby: the standby becomes the primary (pg_ctl waits for
# it to take writes); pg_sql talks to it from now on.
pg_promote_standby() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_STANDBY_DIR" -w -t 120 promote >/dev/null 2>&1 || return 1
	PG_SOCK=$PG_STANDBY_SOCK PG_PORT=$PG_STANDBY_PORT
}

# pg_failover_conninfo: a libpq conninfo naming both clusters, for servers
# that follow a promotion: libpq tries the hosts in order and keeps the
# one that takes writes (target_session_attrs=read-write).
pg_failover_conninfo() {
	printf 'host=%s,%s port=%s,%s dbname=sigcard user=postgres target_session_attrs=read-write connect_timeout=5\n' \
		"$PG_PRIMARY_SOCK" "$PG_STANDBY_SOCK" "$PG_PRIMARY_PORT" "$PG_STANDBY_PORT"
}

# pg_kill_primary: kill -9 of the first cluster's postmaster (its
# backends see it die and end themselves; the socket refuses from then).
pg_kill_primary() {
	local pid
	pid=$(head -1 "$PG_DIR/postmaster.pid") && kill -KILL "$pid" || return 1
	PG_STARTED= # nothing left to stop
}

# Stops the clusters (fast: open sessions are ended) before lib.sh's
# cleanup removes their folder.
pg_stop() {
	if [ "${PG_STANDBY_STARTED:-}" = 1 ]; then
		PG_STANDBY_STARTED=
		pg_as "$PG_BIN/pg_ctl" -D "$PG_STANDBY_DIR" -m fast -w stop >/dev/null 2>&1
	fi
	[ "${PG_STARTED:-}" = 1 ] || return 0
	PG_STARTED=
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1
}
trap 'pg_stop; t_cleanup' EXIT
