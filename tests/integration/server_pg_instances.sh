#!/usr/bin/env bash
# Two servers on one PostgreSQL ledger under concurrent terminals, and
# kill -9 of one of them under load (issue 14 item 5): the other keeps
# serving its terminals throughout; the killed one's terminals go to the
# survivor with what they had in flight. Then the reconciliation: every
# acknowledged (card, ATC) there once with the very RESULT bytes first
# acknowledged, every sent submission decided exactly once, the payee
# credited once per transfer, no customer below zero, Σ per currency = 0,
# `check`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_helpers.bash"
SRV=$SC_BIN/sigcard-server CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/srv
CARDS=3 # per load, one load per server

pg_require "two servers on one PostgreSQL ledger, one killed"
pg_start
S() { "$SRV" -D "$D" --db "$PG_URL" "$@"; }

mkdir -p "$D"
t_check "init" S init
S account create PAYER --currency EUR --balance 1000000.00 >/dev/null &&
	S account create SHOP --currency EUR >/dev/null || t_fail "accounts created"
for set in load1 load2; do
	mkdir -p "$T_DIR/$set"
	for k in $(seq 0 $((CARDS - 1))); do
		sc_soft_card "$T_DIR/$set" "$k" PAYER
	done
done

start_server() { # start_server NAME SOCKET
	sc_listen "$1" 'serving: submissions on' "$SRV" -D "$D" --db "$PG_URL" -d --listen none \
		--unix "$2" --http "127.0.0.1:@PORT" serve
}
SUBMIT1=$T_DIR/submit1.sock SUBMIT2=$T_DIR/submit2.sock
start_server server1 "$SUBMIT1" || { t_fail "server 1 serving" "$(tail -20 "$T_DIR/server1.log")"; t_done; exit; }
SERVER1_PID=$SC_LAST_PID
start_server server2 "$SUBMIT2" || { t_fail "server 2 serving" "$(tail -20 "$T_DIR/server2.log")"; t_done; exit; }
SERVER2_PID=$SC_LAST_PID

load() { # load N SOCKET: srvclient load with load N's cards on SOCKET (its pid is $!)
	exec "$CLI" load --server "$2" --dir "$T_DIR/load$1" --cards $CARDS --count 100000 --from-atc 1 \
			--amount 1 --payee SHOP --currency 978 >"$T_DIR/load$1.out" 2>&1
}
acked() { wc -l <"$T_DIR/$1/acked" 2>/dev/null || echo 0; }
acked_at_least() { [ "$(acked "$1")" -ge "$2" ]; }
load 1 "$SUBMIT1" &
LOAD1=$!
load 2 "$SUBMIT2" &
LOAD2=$!
sc_wait_for 120 acked_at_least load1 100 && sc_wait_for 120 acked_at_least load2 100 ||
	t_fail "both servers acknowledge under concurrent load" "$(tail -5 "$T_DIR/server1.log")"
t_ok "both servers acknowledge under concurrent load ($(acked load1) and $(acked load2) so far)"

# --- kill -9 of server 1 under load
kill -KILL "$SERVER1_PID"
wait "$SERVER1_PID" 2>/dev/null
wait "$LOAD1" 2>/dev/null # its connections closed: the load ends
at_kill=$(acked load2)
t_check "server 2 keeps serving: 100 more acknowledged after the kill" \
	sc_wait_for 120 acked_at_least load2 $((at_kill + 100))
t_check "server 2 still running" kill -0 "$SERVER2_PID"
# Server 2 stopped as an operator stops it: what is in flight is answered,
# then its connections close and the load ends.
kill -TERM "$SERVER2_PID"
wait "$LOAD2" 2>/dev/null
t_check "server 2 stopped cleanly" sc_wait_for 60 grep -q "stopped cleanly" "$T_DIR/server2.log"

# --- reconciliation, through a server started afresh: every submission
# sent to either (the killed one's in flight included) is resent there.
SUBMIT2=$T_DIR/submit3.sock
start_server server3 "$SUBMIT2" || { t_fail "server 3 serving" "$(tail -20 "$T_DIR/server3.log")"; t_done; exit; }
SENT=$(cat "$T_DIR"/load?/sent | wc -l) ACKED=$(cat "$T_DIR"/load?/acked | wc -l)
for n in 1 2; do
	out=$("$CLI" check-acked --server "$SUBMIT2" --dir "$T_DIR/load$n" 2>"$T_DIR/check$n.err")
	t_check "load $n: every acknowledged transfer there with its id and RESULT bytes ($out)" \
		bash -c "[[ '$out' =~ acked_ok=$(acked load$n)\ .*bad=0$ ]]"
done
t_eq "one outcome per submission sent ($ACKED acknowledged of $SENT sent)" "$SENT" \
	"$(pg_sql "SELECT count(*) FROM outcomes")"
paid=$(pg_sql "SELECT count(*) FROM transfers WHERE payee = 'SHOP' AND card_id IS NOT NULL")
t_check "every acknowledged one paid ($paid transfers)" test "$paid" -ge "$ACKED"
t_eq "SHOP credited once per transfer" "$paid" "$(pg_sql "SELECT balance FROM accounts WHERE id = 'SHOP'")"
t_eq "no (card, ATC) twice" 0 \
	"$(pg_sql "SELECT count(*) FROM (SELECT card_id, atc FROM transfers WHERE card_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) AS d")"
t_eq "no customer balance below zero" 0 "$(pg_sql "SELECT count(*) FROM accounts WHERE balance < 0 AND flags = 0")"
t_eq "Σ per currency = 0" 0 "$(pg_unbalanced)"
t_check "check" S check
t_done
