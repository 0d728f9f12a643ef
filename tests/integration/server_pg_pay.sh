#!/usr/bin/env bash
# Serving from PostgreSQL (issue 14 items 2 and 3), on a private
# PostgreSQL 15 cluster (pg_helpers.bash): the admin commands a ledger
# needs before a payment, `serve --db postgresql://…`, a terminal paying
# end to end with the emulated card, a resend answered byte for byte, the
# declines, `check` and Σ per currency = 0 read by psql; kill -9 under
# load and a restart (nothing acknowledged lost or doubled); then two
# servers on the one ledger: a challenge from one spent at the other, both
# raced with the same (card, ATC) (one outcome) and with one payer's last
# funds (no overdraft), wrong passwords at both blocking the one card.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_helpers.bash"
. "$(dirname "$0")/terminal_helpers.bash"
CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/srv
CARDS=4

pg_require "serving from PostgreSQL"
pg_start
S() { "$SRV" -D "$D" --db "$PG_URL" "$@"; }
pg_balance() { pg_sql "SELECT balance FROM accounts WHERE id = '$1'"; }

# --- the admin commands, on PostgreSQL
mkdir -p "$D"
( umask 077; printf '%s\n' "$PIN" >"$T_DIR/pin"; printf '%s\n' "$TK_HEX" >"$T_DIR/tk" )
t_check "init" S init
t_check "account create ALICE-1 with 100.00 EUR" S account create ALICE-1 --currency EUR --balance 100.00
t_check "account create SHOP-1" S account create SHOP-1 --currency EUR
t_eq "account show reads the balance back" "balance      100.00 EUR" "$(S account show ALICE-1 | grep balance)"
out=$(S account create ALICE-1 --currency EUR 2>&1); rc=$?
t_eq "a second ALICE-1 refused by name" "1 sigcard-server: account ALICE-1 exists already" "$rc $out"
t_eq "the books balance (psql)" "0" "$(pg_unbalanced)"
S card prepare --account ALICE-1 --transport-key-file "$T_DIR/tk" --out "$T_DIR/perso.json" \
	>"$T_DIR/prepare.out" 2>&1 || t_fail "card prepare" "$(cat "$T_DIR/prepare.out")"
"$CARD" --flash "$T_DIR/card.flash" --transport-key-file "$T_DIR/tk" personalise \
	--perso "$T_DIR/perso.json" --pin-file "$T_DIR/pin" --export "$T_DIR/record.json" \
	>"$T_DIR/perso.log" 2>&1 || t_fail "the card personalised" "$(cat "$T_DIR/perso.log")"
t_check "card enrol" S card enrol --record "$T_DIR/record.json"
CARD_ID=$(jq -r .card_id "$T_DIR/record.json")
t_check "card block" S card block "$CARD_ID"
t_check "card show: blocked" bash -c "'$SRV' -D '$D' --db '$PG_URL' card show $CARD_ID | grep -q 'status       blocked'"
t_check "card unblock" S card unblock "$CARD_ID"
t_eq "the card's row in PostgreSQL" "1|-1" "$(pg_sql "SELECT status, last_atc FROM cards WHERE card_id = '\\x$CARD_ID'")"
S key show >"$T_DIR/receipt.key"

# Soft cards for the load and the races (tests/tools/srvclient).
mkdir -p "$T_DIR/load"
S account create BOB --currency EUR >/dev/null
S account create CAROL --currency EUR --balance 5.00 >/dev/null
for k in $(seq 0 $((CARDS - 1))); do
	acct=ALICE-1; [ "$k" = 0 ] && acct=CAROL
	sc_soft_card "$T_DIR/load" "$k" $acct
done
soft() { # soft K ARGS...: srvclient pay with soft card K
	local k=$1; shift
	"$CLI" pay --perso "$T_DIR/load/card$k.perso.json" --key "$T_DIR/load/card$k.key.pem" \
		--currency 978 "$@"
}

# --- one server on the ledger
SUBMIT=$T_DIR/submit.sock
ADMIN_TOKEN=back-office-token-0123456789
( umask 077; printf '%s\n' "$ADMIN_TOKEN" >"$T_DIR/admin.token" )
start_server() { # start_server NAME SOCKET: the API on SC_PORTS[0], the back office on [1]
	sc_listen "$1" 'serving: submissions on' "$SRV" -D "$D" --db "$PG_URL" -d --listen none \
		--unix "$2" --http "127.0.0.1:@PORT" --admin-http @PORT \
		--admin-token-file "$T_DIR/admin.token" serve
}
if start_server server "$SUBMIT"; then
	t_ok "serve --db postgresql://: serving"
else
	t_fail "serve --db postgresql://: serving" "$(tail -20 "$T_DIR/server.log")"
	t_done; exit
fi
SERVER_PID=$SC_LAST_PID HTTP_PORT=${SC_PORTS[0]}
ADMIN="http://127.0.0.1:${SC_PORTS[1]}"
t_eq "/healthz on PostgreSQL" "ok" "$(curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" | jq -r .status)"
t_eq "/v1 reads the PostgreSQL ledger: ALICE-1's balance" "200 10000" \
	"$(curl -s -o "$T_DIR/v1.json" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/v1/accounts/ALICE-1") $(jq -r .balance.minor "$T_DIR/v1.json")"

# The back office on PostgreSQL: its listings are the /v1 API's, read from
# PostgreSQL; block and unblock go through the same code as `card block`.
admin() { # admin METHOD PATH [CSRF]: the status code; the body in admin.json
	curl -s -o "$T_DIR/admin.json" -w '%{http_code}' -b "$T_DIR/admin.cookies" \
		-c "$T_DIR/admin.cookies" -H "Origin: $ADMIN" -H 'Content-Type: application/json' \
		${3:+-H "X-CSRF-Token: $3"} -X "$1" ${4:+--data "$4"} "$ADMIN$2"
}
t_eq "back office: the token logs in" 200 "$(admin POST /api/login '' "{\"token\":\"$ADMIN_TOKEN\"}")"
CSRF=$(jq -r .csrf "$T_DIR/admin.json")
t_eq "back office: its account listing on PostgreSQL" "200 ALICE-1 BOB CAROL EQUITY-EUR SHOP-1" \
	"$(admin GET /v1/accounts) $(jq -r '[.accounts[].id] | join(" ")' "$T_DIR/admin.json")"
t_eq "back office: its card listing, the emulated card among the $((CARDS + 1))" "200 $((CARDS + 1)) active" \
	"$(admin GET /v1/cards) $(jq -r --arg id "$CARD_ID" '(.cards | length | tostring) + " " +
		(.cards[] | select((.card_id | ascii_downcase) == ($id | ascii_downcase)) | .status)' "$T_DIR/admin.json")"
t_eq "back office: block the card" 200 "$(admin POST "/api/cards/$CARD_ID/block" "$CSRF")"
t_eq "... its row in PostgreSQL says blocked" 2 \
	"$(pg_sql "SELECT status FROM cards WHERE card_id = '\\x$CARD_ID'")"
t_eq "back office: unblock the card" 200 "$(admin POST "/api/cards/$CARD_ID/unblock" "$CSRF")"
t_eq "... its row in PostgreSQL says active" 1 \
	"$(pg_sql "SELECT status FROM cards WHERE card_id = '\\x$CARD_ID'")"

# The terminal pays with the emulated card, the holder's PIN on its keypad.
CT=$T_DIR/contact.sock CL=$T_DIR/contactless.sock CTL=$T_DIR/control.sock PNG=$T_DIR/screen.png
card_start card --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" --control "$CTL" \
	--png "$PNG"
holder "${PIN}K"
pay --amount 12.34 --currency EUR --to SHOP-1 --payee-name "Café" --jp contactless \
	--contactless "unix:$CL" --timeout 30
wait "$HOLDER_PID"
if [ "$PAY_RC" -eq 0 ] && grep -q "receipt: verified" "$T_DIR/pay.out"; then
	t_ok "the terminal paid 12.34 EUR, its receipt verified (transfer $(field transfer-id))"
else
	t_fail "the terminal paid 12.34 EUR, its receipt verified" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
fi
t_eq "balances moved once (psql)" "8766 1234" "$(pg_balance ALICE-1) $(pg_balance SHOP-1)"
t_eq "the card's counter accepted" "1" "$(pg_sql "SELECT last_atc FROM cards WHERE card_id = '\\x$CARD_ID'")"

# The PIN unblock on PostgreSQL (docs/PROTOCOL.md §6 "Issuer scripts"), as
# terminal_unblock.sh does it on SQLite: three wrong PINs block the card's
# PIN; `card unblock-pin` approves one unblock, kept in pin_unblocks; the
# terminal gets the server's script for the card's challenge, delivers it
# and reports 9000; the approval is spent; the PIN pays again.
holder_locks_pin
pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name "Café" --jp contactless \
	--contactless "unix:$CL" --timeout 30
wait "$HOLDER_PID"
t_eq "three wrong PINs: the card reports no tries left" 009000 "$(pin_tries)"
unblock
t_eq "no approval yet: the terminal's unblock gets NO_ISSUER_SCRIPT (exit 8)" 8 "$UNBLOCK_RC"
out=$(S card unblock-pin "$CARD_ID" 2>&1); rc=$?
t_eq "card unblock-pin on PostgreSQL: approved" "0 yes" "$rc $([[ $out == *"PIN unblock approved"* ]] && echo yes)"
t_eq "... the approval is a row of pin_unblocks" "0" \
	"$(pg_sql "SELECT state FROM pin_unblocks WHERE card_id = '\\x$CARD_ID'")"
t_check "card show: approved" bash -c "'$SRV' -D '$D' --db '$PG_URL' card show $CARD_ID | grep -q 'pin unblock.*approved'"
unblock
[ "$UNBLOCK_RC" = 0 ] && t_ok "the terminal's unblock: exit 0" ||
	t_fail "the terminal's unblock: exit 0" "exit $UNBLOCK_RC" "$(cat "$T_DIR/unblock.err")"
t_eq "the card answered 9000 and has its three tries again" "9000 3 039000" \
	"$(sed -n 's/^card answer: //p' "$T_DIR/unblock.out") $(sed -n 's/^pin tries: //p' "$T_DIR/unblock.out") $(pin_tries)"
t_eq "... recorded in PostgreSQL: done, 9000" "2|36864" \
	"$(pg_sql "SELECT state, sw FROM pin_unblocks WHERE card_id = '\\x$CARD_ID'")"
t_check "card show: done, the card answered 9000" bash -c \
	"'$SRV' -D '$D' --db '$PG_URL' card show $CARD_ID | grep -q 'pin unblock.*done: the card answered 9000'"
unblock
t_eq "the approval is spent: a second unblock gets NO_ISSUER_SCRIPT" 8 "$UNBLOCK_RC"
holder "${PIN}K"
pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name "Café" --jp contactless \
	--contactless "unix:$CL" --timeout 30
wait "$HOLDER_PID"
t_eq "after the unblock the PIN pays again (exit $PAY_RC)" "8716 1284" "$(pg_balance ALICE-1) $(pg_balance SHOP-1)"

# Resend of the same SUBMIT, and the declines.
t_eq "soft card pays" "OK" "$(soft 1 --server "$SUBMIT" --atc 1 --payee BOB --amount 250 --save "$T_DIR/sub1" | cut -d' ' -f1)"
first=$("$CLI" send --server "$SUBMIT" --file "$T_DIR/sub1")
t_eq "a resend of the same (card, ATC): the same RESULT" "$first" "$("$CLI" send --server "$SUBMIT" --file "$T_DIR/sub1")"
t_eq "... and paid once" "250" "$(pg_balance BOB)"
t_eq "wrong joint password: AUTH_FAILED" "AUTH_FAILED" "$(soft 1 --server "$SUBMIT" --atc 2 --payee BOB --amount 1 --wrong-jp | cut -d' ' -f1)"
t_eq "... counted against the message" "1" "$(pg_sql 'SELECT sum(failures) FROM message_failures')"
t_eq "CAROL's 5.00 EUR cannot pay 6.00: INSUFFICIENT_FUNDS" "INSUFFICIENT_FUNDS" "$(soft 0 --server "$SUBMIT" --atc 1 --payee BOB --amount 600 --save "$T_DIR/sub0" | cut -d' ' -f1)"
first=$("$CLI" send --server "$SUBMIT" --file "$T_DIR/sub0")
t_eq "the decline is stored: its resend answers the same" "$first" "$("$CLI" send --server "$SUBMIT" --file "$T_DIR/sub0")"
t_eq "the same counter, other content: IDEMPOTENCY_CONFLICT" "IDEMPOTENCY_CONFLICT" "$(soft 1 --server "$SUBMIT" --atc 1 --payee BOB --amount 9 | cut -d' ' -f1)"
t_eq "CAROL untouched, BOB paid once" "500 250" "$(pg_balance CAROL) $(pg_balance BOB)"
t_check "check: the books and every seal" S check
t_eq "Σ per currency = 0 (psql)" "0" "$(pg_unbalanced)"

# --- PostgreSQL restarted under the server: what was in flight is told
# RETRY_LATER at worst (nothing of it happened), and the server connects
# again by itself for the next batch.
# While it is down and no batch has failed yet, /healthz says why.
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1 ||
	t_fail "PostgreSQL stopped" "$(tail -5 "$T_DIR/pg/server.log")"
code=$(curl -s -o "$T_DIR/health.json" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")
t_eq "/healthz with no PostgreSQL reachable: 503 ledger unreadable" "503 ledger unreadable" \
	"$code $(jq -r .status "$T_DIR/health.json")"
t_check "... with the reason: the connection's error ($(jq -r .reason "$T_DIR/health.json"))" \
	bash -c "jq -r .reason '$T_DIR/health.json' | grep -q '^the ledger cannot be read: .*$PG_SOCK'"
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$T_DIR/pg/server.log" -w -t 120 \
	-o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -p $PG_PORT" \
	start >/dev/null 2>&1 || t_fail "PostgreSQL started again" "$(tail -5 "$T_DIR/pg/server.log")"
before=$(pg_balance BOB) results=
for atc in 11 12 13 14 15; do
	r=$(soft 1 --server "$SUBMIT" --atc $atc --payee BOB --amount 5 2>&1 | cut -d' ' -f1)
	results="$results $r"
	[ "$r" = OK ] && break
done
t_eq "after the restart the next payments go through (results:$results)" "OK" "${results##* }"
t_eq "... each paid once, none of the refused ones" "$((before + 5))" "$(pg_balance BOB)"
t_check "the server said it reconnected" grep -q "reconnected to the PostgreSQL ledger" "$T_DIR/server.log"
t_eq "/healthz reads the ledger again" "ok" "$(curl -s "http://127.0.0.1:$HTTP_PORT/healthz" | jq -r .status)"
# The terminal's pre-check is read by a verify thread whose connection
# the restart dropped too: it connects again and answers.
before=$(pg_balance SHOP-1)
holder "${PIN}K"
pay --amount 1.00 --currency EUR --to SHOP-1 --payee-name "Café" --jp contactless --contactless "unix:$CL" --timeout 30
wait "$HOLDER_PID"
t_eq "after the restart the terminal pays, pre-check and all (exit $PAY_RC)" "$((before + 100))" "$(pg_balance SHOP-1)"

# --- kill -9 under load, and a restart
"$CLI" load --server "$SUBMIT" --dir "$T_DIR/load" --cards $CARDS --count 100000 --from-atc 100 \
	--amount 1 --payee BOB --currency 978 >"$T_DIR/load.out" 2>&1 &
LOAD=$!
sc_wait_for 60 bash -c "[ \$(wc -l <'$T_DIR/load/acked' 2>/dev/null || echo 0) -ge 100 ]" ||
	t_fail "load acknowledged transfers" "$(tail -5 "$T_DIR/server.log")"
kill -KILL "$SERVER_PID"
wait "$LOAD" 2>/dev/null
ACKED=$(wc -l <"$T_DIR/load/acked") SENT=$(wc -l <"$T_DIR/load/sent")
t_check "acknowledged before the kill: $ACKED of $SENT sent" test "$ACKED" -ge 100
rm -f "$SUBMIT"
start_server server2 "$SUBMIT" || t_fail "restarted" "$(tail -20 "$T_DIR/server2.log")"
SERVER_PID=$SC_LAST_PID
OUT=$("$CLI" check-acked --server "$SUBMIT" --dir "$T_DIR/load" 2>"$T_DIR/check-acked.err")
grep -q . "$T_DIR/check-acked.err" && echo "# check-acked: $(head -5 "$T_DIR/check-acked.err")"
t_check "every acknowledged transfer is there with its transfer id ($OUT)" \
	bash -c "[[ '$OUT' =~ acked_ok=$ACKED\ .*bad=0$ ]]"
paid=$(pg_sql "SELECT count(*) FROM transfers WHERE payee = 'BOB' AND card_id IS NOT NULL AND atc >= 100")
t_eq "one outcome per submission, none twice" "$SENT" \
	"$(pg_sql "SELECT count(*) FROM outcomes WHERE atc >= 100")"
t_eq "BOB received exactly once per transfer" "$((255 + paid))" "$(pg_balance BOB)"
t_check "no customer balance below zero" test "$(pg_sql "SELECT count(*) FROM accounts WHERE balance < 0 AND flags = 0")" = 0
t_check "check after kill -9" S check
t_eq "Σ per currency = 0 after kill -9 (psql)" "0" "$(pg_unbalanced)"

# --- two servers on one ledger (docs/SCALING.md)
SUBMIT2=$T_DIR/submit2.sock
start_server server3 "$SUBMIT2" || t_fail "a second server on the same ledger" "$(tail -20 "$T_DIR/server3.log")"
SERVER2_PID=$SC_LAST_PID
t_check "two servers serve the one ledger" kill -0 "$SERVER_PID" "$SERVER2_PID"
t_eq "a challenge from one server, the SUBMIT to the other: OK" "OK" \
	"$(soft 2 --server "$SUBMIT" --submit-to "$SUBMIT2" --atc 500001 --payee BOB --amount 100 | cut -d' ' -f1)"
t_eq "... and back the other way: OK" "OK" \
	"$(soft 2 --server "$SUBMIT2" --submit-to "$SUBMIT" --atc 500002 --payee BOB --amount 100 | cut -d' ' -f1)"
# The same SUBMIT to both at once, many times: one outcome, the same
# RESULT from both, paid once.
ok=0
for i in $(seq 1 10); do
	soft 3 --server "$SUBMIT" --atc $((600000 + i)) --payee BOB --amount 7 --save "$T_DIR/race$i" >/dev/null ||
		{ t_fail "race $i: the first submission paid"; continue; }
	"$CLI" send --server "$SUBMIT" --file "$T_DIR/race$i" >"$T_DIR/race$i.a" &
	a=$!
	"$CLI" send --server "$SUBMIT2" --file "$T_DIR/race$i" >"$T_DIR/race$i.b" &
	b=$!
	wait $a $b
	cmp -s "$T_DIR/race$i.a" "$T_DIR/race$i.b" && ok=$((ok + 1))
done
t_eq "resends raced on both servers: the same RESULT from each, 10 times" 10 "$ok"
# Fresh submissions raced: each built on a challenge from the first
# server and never sent, then its very bytes to both servers at once:
# one outcome, paid once, the same RESULT from each.
before=$(pg_balance BOB) ok=0
for i in $(seq 1 10); do
	soft 3 --server "$SUBMIT" --atc $((700000 + i)) --payee BOB --amount 3 --save "$T_DIR/fresh$i" \
		--no-send || { t_fail "race $i: a submission built"; continue; }
	"$CLI" send --server "$SUBMIT" --file "$T_DIR/fresh$i" >"$T_DIR/fresh$i.a" &
	a=$!
	"$CLI" send --server "$SUBMIT2" --file "$T_DIR/fresh$i" >"$T_DIR/fresh$i.b" &
	b=$!
	wait $a $b
	cmp -s "$T_DIR/fresh$i.a" "$T_DIR/fresh$i.b" && grep -q '^OK' "$T_DIR/fresh$i.a" && ok=$((ok + 1))
done
t_eq "fresh submissions raced on both servers: OK from each, the same RESULT, 10 times" 10 "$ok"
t_eq "... each paid once" "$((before + 30))" "$(pg_balance BOB)"
# The same payer's last funds, raced: DAVE's two cards each ask 8.00 of
# his 10.00, one at each server, at once. One pays, the other is told
# INSUFFICIENT_FUNDS; credited back between rounds.
S account create DAVE --currency EUR --balance 10.00 >/dev/null
for k in 4 5; do
	sc_soft_card "$T_DIR/load" "$k" DAVE
done
ok=0 lowest=1000
for i in $(seq 1 5); do
	soft 4 --server "$SUBMIT" --atc $i --payee BOB --amount 800 --save "$T_DIR/dave4.$i" --no-send &&
	soft 5 --server "$SUBMIT2" --atc $i --payee BOB --amount 800 --save "$T_DIR/dave5.$i" --no-send ||
		{ t_fail "round $i: DAVE's submissions built"; continue; }
	"$CLI" send --server "$SUBMIT" --file "$T_DIR/dave4.$i" >"$T_DIR/dave4.$i.out" &
	a=$!
	"$CLI" send --server "$SUBMIT2" --file "$T_DIR/dave5.$i" >"$T_DIR/dave5.$i.out" &
	b=$!
	wait $a $b
	got=$(cut -d' ' -f1 "$T_DIR/dave4.$i.out" "$T_DIR/dave5.$i.out" | sort | tr '\n' ' ')
	[ "$got" = "INSUFFICIENT_FUNDS OK " ] && ok=$((ok + 1))
	bal=$(pg_balance DAVE)
	[ "$bal" -lt "$lowest" ] && lowest=$bal
	S account credit DAVE 8.00 >/dev/null
done
t_eq "DAVE's last funds raced at two servers: one OK and one INSUFFICIENT_FUNDS, 5 times" 5 "$ok"
t_eq "... his balance never below the 2.00 left" 200 "$lowest"

# One hot payee credited from both servers at once (store_pg.c queues a
# payee's credit last and takes its row for the COMMIT only; the receipt
# counters are reserved a block per batch, in a transaction of their
# own): FRED's four cards pay SHOP-HOT a cent each, two cards' load at
# each server. SHOP-HOT gets exactly one cent per transfer, every
# acknowledged payment is stored, no receipt counter is given twice, and
# the stored counter is at or past the largest receipt's.
S account create FRED --currency EUR --balance 1000.00 >/dev/null
S account create SHOP-HOT --currency EUR >/dev/null
for side in a b; do
	mkdir -p "$T_DIR/hot$side"
	for k in 0 1; do
		sc_soft_card "$T_DIR/hot$side" "$k" FRED
	done
done
"$CLI" load --server "$SUBMIT" --dir "$T_DIR/hota" --cards 2 --count 150 --from-atc 1 \
	--amount 1 --payee SHOP-HOT --currency 978 >"$T_DIR/hota.out" 2>&1 &
a=$!
"$CLI" load --server "$SUBMIT2" --dir "$T_DIR/hotb" --cards 2 --count 150 --from-atc 1 \
	--amount 1 --payee SHOP-HOT --currency 978 >"$T_DIR/hotb.out" 2>&1 &
b=$!
wait $a $b
acked_a=$(wc -l <"$T_DIR/hota/acked") acked_b=$(wc -l <"$T_DIR/hotb/acked")
sent=$(($(wc -l <"$T_DIR/hota/sent") + $(wc -l <"$T_DIR/hotb/sent")))
t_eq "a hot payee paid at both servers at once: every payment acknowledged ($acked_a + $acked_b)" \
	"600 600" "$sent $((acked_a + acked_b))"
t_eq "... SHOP-HOT credited exactly once per transfer, FRED debited as much" \
	"600 600 99400" \
	"$(pg_sql "SELECT count(*) FROM transfers WHERE payee = 'SHOP-HOT'") $(pg_balance SHOP-HOT) $(pg_balance FRED)"
t_eq "... no receipt counter given twice across the two servers" "0" \
	"$(pg_sql 'SELECT count(*) - count(DISTINCT counter) FROM (SELECT counter FROM receipts UNION ALL SELECT counter FROM declines) AS u')"
t_eq "... the stored counter at or past the largest receipt's" "t" \
	"$(pg_sql "SELECT value >= (SELECT max(counter) FROM receipts) FROM meta WHERE key = 'receipt_counter'")"

# Wrong passwords at either server count against the one card: the
# limit (10) blocks it, whichever servers they went to.
for i in $(seq 1 10); do
	if [ $((i % 2)) = 0 ]; then srv=$SUBMIT; else srv=$SUBMIT2; fi
	soft 1 --server "$srv" --atc $((800000 + i)) --payee BOB --amount 1 --wrong-jp >/dev/null
done
t_eq "ten wrong passwords across two servers block the card" \
	"2|10" "$(pg_sql "SELECT status, jp_failures FROM cards c WHERE account = 'ALICE-1' AND jp_failures > 0")"
t_eq "... and the next payment at either is CARD_BLOCKED" "CARD_BLOCKED CARD_BLOCKED" \
	"$(soft 1 --server "$SUBMIT" --atc 800020 --payee BOB --amount 1 | cut -d' ' -f1) $(soft 1 --server "$SUBMIT2" --atc 800021 --payee BOB --amount 1 | cut -d' ' -f1)"
t_eq "one outcome per (card, ATC) across both servers" "0" \
	"$(pg_sql 'SELECT count(*) FROM (SELECT card_id, atc FROM outcomes GROUP BY 1, 2 HAVING count(*) > 1) AS d')"
t_check "check with two servers serving" S check
t_eq "Σ per currency = 0 (psql)" "0" "$(pg_unbalanced)"
kill -TERM "$SERVER_PID" "$SERVER2_PID"
wait "$SERVER_PID" "$SERVER2_PID"
t_check "both stopped cleanly" grep -q "stopped cleanly" "$T_DIR/server2.log" "$T_DIR/server3.log"
t_done
