#!/usr/bin/env bash
# Failover of the PostgreSQL ledger (issue 14 item 4), on two private
# PostgreSQL 15 clusters (pg_helpers.bash): a primary and its synchronous
# streaming-replication standby, two servers on a multi-host conninfo
# (target_session_attrs=read-write). kill -9 of the primary under load
# from both servers; while no primary is reachable a submission is told
# RETRY_LATER and /healthz says 503 with the reason; the standby promoted,
# the same servers, never restarted, pay again; then the reconciliation on
# the new primary: every acknowledged (card, ATC) there once with the very
# RESULT bytes the terminal got, Σ per currency = 0, `check`, and amcheck
# over every btree index.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_helpers.bash"
SRV=$SC_BIN/sigcard-server CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/srv
CARDS=2 # per load, one load per server

pg_require "failover of the PostgreSQL ledger"
pg_start
pg_start_standby
t_ok "a standby replicates synchronously ($(pg_sql "SELECT current_setting('synchronous_commit') || ' ' || current_setting('synchronous_standby_names')"))"
URL=$(pg_failover_conninfo)
S() { "$SRV" -D "$D" --db "$URL" "$@"; }
pg_balance() { pg_sql "SELECT balance FROM accounts WHERE id = '$1'"; }

mkdir -p "$D"
t_check "init on the multi-host conninfo" S init
S account create ALICE-1 --currency EUR --balance 100000.00 >/dev/null &&
S account create BOB --currency EUR >/dev/null || t_fail "accounts created"
# Soft cards (tests/tools/srvclient): load1/ and load2/ for the two
# loads, spare/ for single payments.
for set in load1 load2 spare; do
	mkdir -p "$T_DIR/$set"
	for k in $(seq 0 $((CARDS - 1))); do
		sc_soft_card "$T_DIR/$set" "$k" ALICE-1
	done
done
soft() { # soft K ARGS...: srvclient pay with spare soft card K
	local k=$1; shift
	"$CLI" pay --perso "$T_DIR/spare/card$k.perso.json" --key "$T_DIR/spare/card$k.key.pem" \
		--currency 978 "$@"
}
t_eq "the standby has the enrolled cards (read on it)" "$((3 * CARDS))" \
	"$(PG_SOCK=$PG_STANDBY_SOCK PG_PORT=$PG_STANDBY_PORT pg_sql 'SELECT count(*) FROM cards')"

start_server() { # start_server NAME SOCKET: the API on SC_PORTS[0]
	sc_listen "$1" 'serving: submissions on' "$SRV" -D "$D" --db "$URL" -d --listen none \
		--unix "$2" --http "127.0.0.1:@PORT" serve
}
SUBMIT1=$T_DIR/submit1.sock SUBMIT2=$T_DIR/submit2.sock
start_server server1 "$SUBMIT1" || { t_fail "server 1 serving" "$(tail -20 "$T_DIR/server1.log")"; t_done; exit; }
SERVER1_PID=$SC_LAST_PID HTTP1=${SC_PORTS[0]}
start_server server2 "$SUBMIT2" || { t_fail "server 2 serving" "$(tail -20 "$T_DIR/server2.log")"; t_done; exit; }
SERVER2_PID=$SC_LAST_PID HTTP2=${SC_PORTS[0]}
health() { # health PORT: "CODE STATUS REASON"
	local code
	code=$(curl -s -o "$T_DIR/health.json" -w '%{http_code}' "http://127.0.0.1:$1/healthz")
	echo "$code $(jq -r '.status + " " + (.reason // "")' "$T_DIR/health.json" 2>/dev/null)"
}
t_eq "both servers healthy on the primary" "200 ok 200 ok" \
	"$(health "$HTTP1" | cut -d' ' -f1-2) $(health "$HTTP2" | cut -d' ' -f1-2)"
t_eq "a payment at each server" "OK OK" \
	"$(soft 0 --server "$SUBMIT1" --atc 1 --payee BOB --amount 100 | cut -d' ' -f1) $(soft 0 --server "$SUBMIT2" --atc 2 --payee BOB --amount 100 | cut -d' ' -f1)"
# A submission built on a challenge from the primary, sent only later:
# to a server with no primary, and again after the promotion.
soft 1 --server "$SUBMIT1" --atc 1 --payee BOB --amount 77 --save "$T_DIR/held" --no-send ||
	t_fail "a submission built and held"

# --- kill -9 of the primary under load from both servers
load() { # load N SOCKET: srvclient load with load N's cards on SOCKET
	"$CLI" load --server "$2" --dir "$T_DIR/load$1" --cards $CARDS --count 100000 --from-atc 100 \
		--amount 1 --payee BOB --currency 978 >"$T_DIR/load$1.out" 2>&1
}
load 1 "$SUBMIT1" &
LOAD1=$!
load 2 "$SUBMIT2" &
LOAD2=$!
acked() { [ "$(wc -l <"$T_DIR/$1/acked" 2>/dev/null || echo 0)" -ge "$2" ]; }
sc_wait_for 60 acked load1 50 && sc_wait_for 60 acked load2 50 ||
	t_fail "both loads acknowledged transfers" "$(tail -5 "$T_DIR/server1.log")"
pg_kill_primary || t_fail "kill -9 of the primary's postmaster"
# The loads end by themselves: with no primary no challenge is issued.
wait "$LOAD1" "$LOAD2" 2>/dev/null
ACKED=$(cat "$T_DIR"/load?/acked | wc -l) SENT=$(cat "$T_DIR"/load?/sent | wc -l)
t_check "acknowledged before the kill: $ACKED of $SENT sent" test "$ACKED" -ge 100

# --- no primary reachable (the old one dead, the standby read-only)
out=$("$CLI" send --server "$SUBMIT1" --file "$T_DIR/held")
t_eq "a submission while no primary is reachable: RETRY_LATER" "RETRY_LATER" "${out%% *}"
t_check "both servers still running" kill -0 "$SERVER1_PID" "$SERVER2_PID"
h=$(health "$HTTP1")
t_eq "/healthz while no primary: 503 (said: $h)" "503" "${h%% *}"
t_check "... with the reason: the ledger cannot commit" bash -c "[[ '$h' == *'the ledger cannot commit'* ]]"

# --- the standby promoted: the servers follow it by themselves
pg_promote_standby || t_fail "the standby promoted" "$(tail -5 "$T_DIR/pg/standby.log")"
out=$("$CLI" send --server "$SUBMIT1" --file "$T_DIR/held")
t_eq "after the promotion the held submission (its challenge from the old primary) pays" "OK" "${out%% *}"
t_eq "... and its resend answers the same bytes" "$out" "$("$CLI" send --server "$SUBMIT1" --file "$T_DIR/held")"
t_eq "new payments at both servers, never restarted" "OK OK" \
	"$(soft 0 --server "$SUBMIT1" --atc 10 --payee BOB --amount 100 | cut -d' ' -f1) $(soft 0 --server "$SUBMIT2" --atc 11 --payee BOB --amount 100 | cut -d' ' -f1)"
t_eq "/healthz 200 again at both" "200 ok 200 ok" \
	"$(health "$HTTP1" | cut -d' ' -f1-2) $(health "$HTTP2" | cut -d' ' -f1-2)"
both_logs() { grep -q "$1" "$T_DIR/server1.log" && grep -q "$1" "$T_DIR/server2.log"; }
t_check "both servers said they reconnected" both_logs "reconnected to the PostgreSQL ledger"

# --- reconciliation on the new primary
for n in 1 2; do
	sock=$SUBMIT1; [ $n = 2 ] && sock=$SUBMIT2
	acked=$(wc -l <"$T_DIR/load$n/acked")
	OUT=$("$CLI" check-acked --server "$sock" --dir "$T_DIR/load$n" 2>"$T_DIR/check-acked$n.err")
	t_check "load $n: every acknowledged transfer there, its RESULT byte for byte ($OUT)" \
		bash -c "[[ '$OUT' =~ acked_ok=$acked\ .*bad=0$ ]]"
	grep -q . "$T_DIR/check-acked$n.err" && echo "# check-acked $n: $(head -5 "$T_DIR/check-acked$n.err")"
done
t_eq "one outcome per (card, ATC), none twice" "0" \
	"$(pg_sql 'SELECT count(*) FROM (SELECT card_id, atc FROM outcomes GROUP BY 1, 2 HAVING count(*) > 1) AS d')"
t_eq "one transfer per (card, ATC), none twice" "0" \
	"$(pg_sql 'SELECT count(*) FROM (SELECT card_id, atc FROM transfers WHERE card_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) AS d')"
t_eq "every load submission has its one outcome" "$SENT" \
	"$(pg_sql "SELECT count(*) FROM outcomes WHERE atc >= 100")"
paid=$(pg_sql "SELECT coalesce(sum(amount), 0) FROM transfers WHERE payee = 'BOB'")
t_eq "BOB received exactly what the transfers say" "$paid" "$(pg_balance BOB)"
t_eq "Σ per currency = 0 on the new primary (psql)" "0" "$(pg_unbalanced)"
t_check "check on the new primary" S check
pg_sql "CREATE EXTENSION IF NOT EXISTS amcheck" >/dev/null || t_fail "CREATE EXTENSION amcheck"
idx=$(pg_sql "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = 'public'")
checked=$(pg_sql "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = 'public'" 2>&1)
t_eq "amcheck: bt_index_check clean over every btree index ($idx)" "$idx" "$checked"
t_check "... and there are indexes to check" test "$idx" -gt 0

kill -TERM "$SERVER1_PID" "$SERVER2_PID"
wait "$SERVER1_PID" "$SERVER2_PID"
t_check "both stopped cleanly" both_logs "stopped cleanly"
t_done
