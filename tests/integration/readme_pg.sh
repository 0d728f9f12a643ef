#!/usr/bin/env bash
# README.md's "On PostgreSQL: two servers and a standby", run as an
# operator runs it: the blocks between <!-- pg-setup -->, <!-- pg-failover -->
# and <!-- pg-stop --> (and their closing markers), exactly as written,
# with bash -e in an empty folder, as an unprivileged user (the `postgres`
# user when the tests run as root: PostgreSQL refuses root), with the
# sigcard programs on PATH. Between the blocks, what the section claims:
# the standby replicates synchronously, a payment at each server (the
# challenge of one at the other too), kill -9 of the primary, the
# failover block, both servers (never restarted) paying again, every
# acknowledged transfer on the new primary once, Σ = 0, `check` clean; and
# the stop block stopping the servers and the cluster.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_helpers.bash"

pg_require "the README's PostgreSQL walk-through"

# block NAME: the fenced lines between <!-- NAME --> and <!-- /NAME -->.
block() {
	awk -v m="$1" '$0 == "<!-- " m " -->" { on = 1; next }
	     $0 == "<!-- /" m " -->" { on = 0 }
	     on && /^```/ { fence = !fence; next }
	     on && fence { print }' "$SC_TOP/README.md"
}
for b in pg-setup pg-failover pg-stop; do
	block "$b" >"$T_DIR/$b.sh"
done
if grep -q "sigcard-server.*serve" "$T_DIR/pg-setup.sh" && grep -q promote "$T_DIR/pg-failover.sh" &&
	grep -q pg_ctl "$T_DIR/pg-stop.sh"; then
	t_ok "the walk-through's three parts are in README.md between their markers"
else
	t_fail "the walk-through's three parts are in README.md between their markers"; t_done; exit 1
fi

# The operator's folder, short (a Unix socket's path is at most 107
# bytes), and the programs where the unprivileged user can run them (the
# build folder may sit under a folder only root may enter).
W=$T_DIR/w
mkdir -p "$W" "$T_DIR/bin"
chmod 711 "$T_DIR"
cp "$SC_BIN/sigcard-server" "$SC_BUILD/tests/tools/srvclient" "$T_DIR/bin/"
chmod 755 "$T_DIR/bin" "$T_DIR/bin/sigcard-server" "$T_DIR/bin/srvclient"
CLI=$T_DIR/bin/srvclient
[ "$(id -u)" = 0 ] && chown postgres: "$W"
# as_operator CMD...: CMD in the folder, as the operator, programs on PATH.
as_operator() {
	(cd "$W" && pg_as env PATH="$T_DIR/bin:$PATH" HOME="$W" "$@")
}
# The servers and clusters the blocks started are stopped whatever happens.
walk_stop() {
	local f
	for f in "$W"/server-*.pid; do
		[ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	for d in pg-b pg-a; do
		[ -f "$W/$d/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$W/$d" -m immediate -w stop >/dev/null 2>&1
	done
}
trap 'walk_stop; t_cleanup' EXIT

run_block() { # run_block NAME: ok if it ran to its end
	if as_operator bash -e "$T_DIR/$1.sh" >"$T_DIR/$1.out" 2>&1; then
		t_ok "README's $1 block runs as written"
	else
		t_fail "README's $1 block runs as written" "$(tail -20 "$T_DIR/$1.out")"
		t_done; exit 1
	fi
}
run_block pg-setup

PG_SOCK=$W/sock-a PG_PORT=5432
psql_at() { # psql_at SOCKFOLDER SQL
	as_operator "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$1" -d sigcard -c "$2"
}
t_eq "the standby replicates synchronously" "standby1 sync" \
	"$(psql_at "$W/sock-a" "SELECT application_name || ' ' || sync_state FROM pg_stat_replication")"
t_eq "the primary waits for it at commit" "on standby1" \
	"$(psql_at "$W/sock-a" "SELECT current_setting('synchronous_commit') || ' ' || current_setting('synchronous_standby_names')")"
DB="host=$W/sock-a,$W/sock-b dbname=sigcard target_session_attrs=read-write connect_timeout=5"
S() { as_operator sigcard-server -D issuer --db "$DB" "$@"; }
t_check "both servers serving (their sockets)" test -S "$W/server-1.sock" -a -S "$W/server-2.sock"
PID1=$(cat "$W/server-1.pid") PID2=$(cat "$W/server-2.pid")
t_check "each server's pid file names a live process" kill -0 "$PID1" "$PID2"

# Two soft cards of ALICE (tests/tools/srvclient), enrolled by the operator.
for k in 0 1; do
	S card prepare --account ALICE --out "card$k.perso.json" >/dev/null &&
		as_operator "$CLI" card --perso "card$k.perso.json" --key "card$k.key.pem" \
			--export "card$k.record.json" &&
		S card enrol --record "card$k.record.json" >/dev/null ||
		t_fail "soft card $k enrolled"
done
pay() { # pay CARD SOCKET ATC [ARGS...]: the RESULT's first word
	local k=$1 sock=$2 atc=$3; shift 3
	as_operator "$CLI" pay --perso "card$k.perso.json" --key "card$k.key.pem" --currency 978 \
		--server "$W/$sock" --atc "$atc" --payee SHOP --amount 100 "$@" | cut -d' ' -f1
}
t_eq "a payment at each server" "OK OK" "$(pay 0 server-1.sock 1) $(pay 1 server-2.sock 1)"
# A submission on a challenge from server 1, sent to server 2.
as_operator "$CLI" pay --perso card0.perso.json --key card0.key.pem --currency 978 \
	--server "$W/server-1.sock" --atc 2 --payee SHOP --amount 100 --save held --no-send >/dev/null ||
	t_fail "a submission built on server 1's challenge"
t_eq "server 1's challenge spent at server 2" OK \
	"$(as_operator "$CLI" send --server "$W/server-2.sock" --file held | cut -d' ' -f1)"
t_eq "the transfers are on the standby too" 3 \
	"$(psql_at "$W/sock-b" "SELECT count(*) FROM transfers WHERE card_id IS NOT NULL")"

# --- the primary lost: kill -9 of its postmaster, then the failover block
kill -KILL "$(head -1 "$W/pg-a/postmaster.pid")" || t_fail "kill -9 of the primary"
rm -f "$W/pg-a/postmaster.pid" # its stop above has nothing left to stop
# Its sessions end when they see it gone (their working folder is its).
old_primary_gone() { ! find /proc/[0-9]*/cwd -maxdepth 0 -lname "$W/pg-a" 2>/dev/null | grep -q .; }
sc_wait_for 60 old_primary_gone || t_fail "the old primary's sessions ended"
t_eq "while no primary: RETRY_LATER" RETRY_LATER \
	"$(as_operator "$CLI" send --server "$W/server-1.sock" --file held | cut -d' ' -f1)"
run_block pg-failover
t_eq "after the promotion both servers pay, unrestarted" "OK OK" \
	"$(pay 0 server-2.sock 3) $(pay 1 server-1.sock 2)"
t_check "the same two server processes" kill -0 "$PID1" "$PID2"
t_eq "the resend of an acknowledged submission is answered as before" OK \
	"$(as_operator "$CLI" send --server "$W/server-1.sock" --file held | cut -d' ' -f1)"
t_eq "every transfer there once, SHOP credited 5 × 1.00" "5 500" \
	"$(psql_at "$W/sock-b" "SELECT count(*) || ' ' || (SELECT balance FROM accounts WHERE id = 'SHOP') FROM transfers WHERE card_id IS NOT NULL")"
t_eq "Σ per currency = 0" 0 \
	"$(psql_at "$W/sock-b" "SELECT count(*) FROM (SELECT currency FROM accounts GROUP BY currency HAVING sum(balance) <> 0) AS s")"
t_check "check on the promoted ledger" S check

run_block pg-stop
t_check "the servers stopped" bash -c "! kill -0 $PID1 2>/dev/null && ! kill -0 $PID2 2>/dev/null"
t_check "the cluster stopped" test ! -e "$W/pg-b/postmaster.pid"
t_done
