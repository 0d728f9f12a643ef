#!/usr/bin/env bash
# kill -9 of sigcard-server under load, then a restart: no acknowledged
# transfer lost, none applied twice, the books balance, and SQLite's own
# integrity check passes.
. "$(dirname "$0")/lib.sh"
SRV=$SC_BIN/sigcard-server
CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/issuer
S() { "$SRV" -D "$D" "$@"; }
CARDS=8

S init >/dev/null
S account create ALICE --currency EUR --balance 1000000.00 >/dev/null
S account create BOB --currency EUR >/dev/null
mkdir -p "$T_DIR/load"
for k in $(seq 0 $((CARDS - 1))); do
	sc_soft_card "$T_DIR/load" "$k" ALICE
done

start_server() {
	sc_bg "server$1" "$SRV" -D "$D" -d --listen none --http none --unix "$T_DIR/s.sock"
	SPID=$SC_LAST_PID
	sc_wait_sock "$T_DIR/s.sock"
}
start_server 1 || t_fail "server started" "$(cat "$T_DIR/server1.log")"

"$CLI" load --server "$T_DIR/s.sock" --dir "$T_DIR/load" --cards $CARDS --count 100000 \
	--amount 1 --payee BOB --currency 978 &
LOAD=$!
# Let it run until a good number of transfers were acknowledged.
sc_wait_for 30 bash -c "[ \$(wc -l <'$T_DIR/load/acked') -ge 300 ]" || t_fail "load acknowledged transfers"
kill -KILL "$SPID"
wait "$LOAD" 2>/dev/null
ACKED=$(wc -l <"$T_DIR/load/acked")
SENT=$(wc -l <"$T_DIR/load/sent")
t_check "acknowledged before the kill: $ACKED of $SENT sent" test "$ACKED" -ge 300
t_eq "integrity_check after kill -9" "ok" "$(sqlite3 "$D/ledger.db" 'PRAGMA integrity_check')"

rm -f "$T_DIR/s.sock" # the killed server left it; wait for the new one
start_server 2 || t_fail "server restarted" "$(cat "$T_DIR/server2.log")"
OUT=$("$CLI" check-acked --server "$T_DIR/s.sock" --dir "$T_DIR/load")
t_check "every acknowledged transfer is there, with its transfer id ($OUT)" \
	bash -c "[[ '$OUT' =~ acked_ok=$ACKED\ .*bad=0$ ]]"
DB=$D/ledger.db
t_eq "one transfer per submission, none twice" "$SENT" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM transfers WHERE card_id IS NOT NULL')"
t_eq "ALICE paid exactly once per submission" "$((100000000 - SENT))" \
	"$(sqlite3 "$DB" "SELECT balance FROM accounts WHERE id = 'ALICE'")"
t_eq "BOB received exactly once per submission" "$SENT" \
	"$(sqlite3 "$DB" "SELECT balance FROM accounts WHERE id = 'BOB'")"
t_check "ledger invariants (Σ debits = Σ credits)" S check

# SIGTERM under load: the server answers what is in flight, closes the
# ledger, exits 0; everything it acknowledged is there afterwards.
mkdir -p "$T_DIR/load2"
cp "$T_DIR"/load/card*.perso.json "$T_DIR"/load/card*.key.pem "$T_DIR/load2/"
"$CLI" load --server "$T_DIR/s.sock" --dir "$T_DIR/load2" --cards $CARDS --count 100000 \
	--from-atc 1000000 --amount 1 --payee BOB --currency 978 &
LOAD=$!
sc_wait_for 30 bash -c "[ \$(wc -l <'$T_DIR/load2/acked') -ge 200 ]" || t_fail "second load acknowledged transfers"
kill -TERM "$SPID"
wait "$SPID"; RC=$?
wait "$LOAD" 2>/dev/null
t_eq "SIGTERM under load: exit status 0" "0" "$RC"
t_check "SIGTERM under load: stopped cleanly" grep -q "stopped cleanly" "$T_DIR/server2.log"
start_server 3 || t_fail "server restarted" "$(cat "$T_DIR/server3.log")"
ACKED2=$(wc -l <"$T_DIR/load2/acked")
OUT=$("$CLI" check-acked --server "$T_DIR/s.sock" --dir "$T_DIR/load2")
t_check "after SIGTERM: every acknowledged transfer there ($OUT)" \
	bash -c "[[ '$OUT' =~ acked_ok=$ACKED2\ .*bad=0$ ]]"
t_check "ledger invariants after both stops" S check
kill -TERM "$SPID"
wait "$SPID"
t_eq "integrity_check after restart" "ok" "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
t_done
