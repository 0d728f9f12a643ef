#!/usr/bin/env bash
# sigcard-server as a user meets it: init, accounts, card preparation and
# enrolment (a soft card and the real card emulator's exported record), the
# daemon on TCP and a Unix socket, the HTTP API and /metrics, a bad peer
# that must not block the others, key-file permissions, and SIGTERM.
. "$(dirname "$0")/lib.sh"
SRV=$SC_BIN/sigcard-server
CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/issuer
S() { "$SRV" -D "$D" "$@"; }

t_check "--help names the commands" bash -c "'$SRV' --help | grep -q 'card enrol --record'"
t_check "--version" bash -c "'$SRV' --version | grep -q '^sigcard-server '"
t_check "unknown option is a usage error" bash -c "'$SRV' --bogus; [ \$? -eq 2 ]"
t_check "init" S init
t_eq "master key is 0600" "600" "$(stat -c %a "$D/master.key")"
t_eq "receipt key is 0600" "600" "$(stat -c %a "$D/receipt.key")"
t_check "second init refused" bash -c "! '$SRV' -D '$D' init 2>/dev/null"
t_check "account ALICE with an opening balance" S account create ALICE --currency EUR --balance 100.00
t_check "account BOB" S account create BOB --currency EUR
t_check "bad account id refused" bash -c "! '$SRV' -D '$D' account create 'bad id' --currency EUR 2>/dev/null"
t_check "bad amount refused" bash -c "! '$SRV' -D '$D' account create CAROL --currency EUR --balance 1.234 2>/dev/null"
t_eq "ALICE shows 100.00 EUR" "balance      100.00 EUR" "$(S account show ALICE | grep balance)"
t_eq "equity holds the other side" "balance      -100.00 EUR" "$(S account show EQUITY-EUR | grep balance)"

# A soft card (OpenSSL key pair) through prepare -> record -> enrol.
CARD1=$(S card prepare --account ALICE --out "$T_DIR/perso1.json")
t_check "prepare printed a card id" bash -c "[[ '$CARD1' =~ ^[0-9a-f]{16}$ ]]"
t_eq "perso file is 0600" "600" "$(stat -c %a "$T_DIR/perso1.json")"
t_check "soft card personalised" "$CLI" card --perso "$T_DIR/perso1.json" --key "$T_DIR/key1.pem" --export "$T_DIR/record1.json"
sed 's/"ALICE"/"BOB"/' "$T_DIR/record1.json" >"$T_DIR/record1-bob.json"
t_check "record naming another account refused" bash -c "'$SRV' -D '$D' card enrol --record '$T_DIR/record1-bob.json' 2>&1 | grep -q 'prepared for ALICE'"
t_check "enrol" S card enrol --record "$T_DIR/record1.json"
t_check "card show: active" bash -c "'$SRV' -D '$D' card show $CARD1 | grep -q 'status       active'"

# The real card emulator's exported record, for a card id we choose.
CARD2=00c0ffee00000002
t_check "prepare with --card-id" S card prepare --card-id $CARD2 --account BOB --out "$T_DIR/perso2.json"
printf '1234\n' >"$T_DIR/pin2"; chmod 600 "$T_DIR/pin2"
if "$SC_BIN/sigcard-card" --flash "$T_DIR/card2.flash" personalise --perso "$T_DIR/perso2.json" \
	--pin-file "$T_DIR/pin2" --export "$T_DIR/record2.json" 2>"$T_DIR/perso2.log"; then
	t_check "enrol the emulator's record" S card enrol --record "$T_DIR/record2.json"
	t_check "card 2 has the emulator's public key" bash -c "'$SRV' -D '$D' card show $CARD2 | grep -q \"public key   \$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"public_key\"])' '$T_DIR/record2.json')\""
else
	t_fail "sigcard-card personalise" "$(cat "$T_DIR/perso2.log")"
fi

SOCK=$T_DIR/submit.sock
sc_listen server 'serving: submissions on' "$SRV" -D "$D" -d --listen 127.0.0.1:@PORT --insecure-plain-tcp --unix "$SOCK" \
	--http 127.0.0.1:@PORT --max-conns 8 --idle-timeout 3 || t_fail "server started" "$(cat "$T_DIR/server.log")"
SPID=$SC_LAST_PID PORT=${SC_PORTS[0]} HPORT=${SC_PORTS[1]}

# A port another program holds: the start fails with bind()'s reason, the
# words sc_listen (and an operator) act on, for TCP and for HTTP alike.
"$SRV" -D "$T_DIR/other" init >/dev/null 2>&1
for kind in listen http; do
	if [ $kind = listen ]; then taken=(--listen 127.0.0.1:$PORT --http none)
	else taken=(--listen none --http 127.0.0.1:$HPORT); fi
	out=$(timeout 20 "$SRV" -D "$T_DIR/other" -d --unix "$T_DIR/other.sock" "${taken[@]}" 2>&1); rc=$?
	[ $rc -eq 1 ] && grep -q "on 127.0.0.1:[0-9]*: Address already in use" <<<"$out" &&
		t_ok "--$kind on a port in use: exit 1, Address already in use" ||
		t_fail "--$kind on a port in use: exit 1, Address already in use" "exit $rc" "$out"
done

pay() { "$CLI" pay --perso "$T_DIR/perso1.json" --key "$T_DIR/key1.pem" --payee BOB --currency 978 "$@"; }
t_check "pay over TCP" pay --server tcp:127.0.0.1:$PORT --atc 1 --amount 1000 --scheme enc
t_check "pay over the Unix socket" pay --server "$SOCK" --atc 2 --amount 250 --scheme enc-digest --save "$T_DIR/sub2"
t_eq "resend: the same receipt" "$("$CLI" send --server "$SOCK" --file "$T_DIR/sub2")" "$("$CLI" send --server tcp:127.0.0.1:$PORT --file "$T_DIR/sub2")"
t_eq "wrong password" "AUTH_FAILED" "$(pay --server "$SOCK" --atc 3 --amount 1 --wrong-jp | cut -d' ' -f1)"
t_eq "counter of an executed transfer, other content" "IDEMPOTENCY_CONFLICT" "$(pay --server "$SOCK" --atc 1 --amount 1 | cut -d' ' -f1)"
t_eq "receipt key over the protocol = key show" "$(S key show)" "$("$CLI" key --server "$SOCK")"

# A peer that sends half a frame and stays: the others are served meanwhile,
# and the server drops it after --idle-timeout.
exec 7<>/dev/tcp/127.0.0.1/$PORT
printf '\x00\x40\x02\x01' >&7
t_check "served while a peer stalls" pay --server tcp:127.0.0.1:$PORT --atc 4 --amount 1
t_eq "stale counter" "STALE_COUNTER" "$(pay --server "$SOCK" --atc 3 --amount 1 | cut -d' ' -f1)"
t_eq "stalled peer dropped after its idle timeout" "closed" "$(timeout 15 cat <&7 >/dev/null && echo closed)"
exec 7<&-
# More connections than --max-conns: the extra ones are closed, the server
# lives. Waits for the closes themselves: the first two come at accept, the
# eight served ones only after --idle-timeout, and any close past two (or
# none at all) fails the count.
t_eq "connections past --max-conns are closed, the others kept" "closed: 2 of 10" "$(python3 - $PORT <<'PY'
import select, socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(10)]
closed = set()
deadline = time.monotonic() + 10
while len(closed) < 2 and time.monotonic() < deadline:
    ready, _, _ = select.select([c for c in conns if c not in closed], [], [], 0.5)
    for c in ready:
        if c.recv(1) == b"":
            closed.add(c)
for c in conns:
    c.setblocking(False)
    try:
        if c.recv(1) == b"":
            closed.add(c)
    except BlockingIOError:
        pass
print("closed: %d of %d" % (len(closed), len(conns)))
PY
)"
t_check "serves again after the flood" pay --server tcp:127.0.0.1:$PORT --atc 5 --amount 1
t_eq "malformed raw body" "MALFORMED" "$("$CLI" raw --server "$SOCK" 0201 | cut -d' ' -f1)"

H="http://127.0.0.1:$HPORT"
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
t_eq "GET /healthz" "ok" "$(curl -s $H/healthz | js 'd["status"]')"
t_eq "GET /v1/accounts/ALICE" "8748 87.48 EUR" "$(curl -s $H/v1/accounts/ALICE | js 'd["balance"]["minor"], d["balance"]["text"]')"
t_eq "GET /v1/accounts/BOB/transfers" "4" "$(curl -s $H/v1/accounts/BOB/transfers | js 'len(d["transfers"])')"
t_eq "GET /v1/transfers/2 carries its receipt" "1 $CARD1" "$(curl -s $H/v1/transfers/2 | js 'd["atc"], d["card_id"]')"
t_eq "GET /v1/cards/ID" "active 5 0" "$(curl -s $H/v1/cards/$CARD1 | js 'd["status"], d["last_atc"], d["jp_failures"]')"
t_eq "unknown account is 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' $H/v1/accounts/NOBODY)"
t_eq "POST is refused" "405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST $H/v1/accounts/ALICE)"
M=$(curl -s $H/metrics)
t_check "metrics: submissions by result" grep -q 'sigcard_submissions_total{result="OK"} 6' <<<"$M"
t_check "metrics: AUTH_FAILED counted" grep -q 'sigcard_submissions_total{result="AUTH_FAILED"} 1' <<<"$M"
t_check "metrics: verify latency histogram" grep -q "sigcard_verify_seconds_count" <<<"$M"
t_check "metrics: commit batch sizes" grep -q "sigcard_commit_batch_size_count" <<<"$M"
t_check "metrics: queue depths" grep -q 'sigcard_queue_depth{queue="writer"}' <<<"$M"

S card block "$CARD1" >/dev/null
t_eq "a blocked card" "CARD_BLOCKED" "$(pay --server "$SOCK" --atc 6 --amount 1 | cut -d' ' -f1)"
S card unblock "$CARD1" >/dev/null
t_check "unblocked, it pays again" pay --server "$SOCK" --atc 7 --amount 1
# A final decline is final (issue 12): sealed, and the same answer after an
# operator credit would cover it.
declined=$(pay --server "$SOCK" --atc 9 --amount 1000000 --save "$T_DIR/sub9")
t_check "more than the balance: a sealed decline" grep -q '^INSUFFICIENT_FUNDS counter=' <<<"$declined"
t_check "operator credit" S account credit ALICE 20000.00
t_eq "resent after the credit: the same sealed decline" "$declined" "$("$CLI" send --server "$SOCK" --file "$T_DIR/sub9")"
t_eq "resent after the credit: nothing paid" "2008747 20087.47 EUR" "$(curl -s $H/v1/accounts/ALICE | js 'd["balance"]["minor"], d["balance"]["text"]')"

kill -TERM "$SPID"
for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
t_check "SIGTERM: stopped" bash -c "! kill -0 $SPID 2>/dev/null"
t_check "SIGTERM: drained and closed cleanly" grep -q "stopped cleanly" "$T_DIR/server.log"
t_check "socket removed" test ! -e "$SOCK"
t_eq "integrity_check" "ok" "$(sqlite3 "$D/ledger.db" 'PRAGMA integrity_check')"
t_check "ledger invariants" S check
t_eq "audit log holds every submission" "14" "$(sqlite3 "$D/ledger.db" 'SELECT count(*) FROM audit')"

# As a real daemon: detaches, logs to syslog, writes its pid file.
"$SRV" -D "$D" --listen none --http none --unix "$SOCK" --pidfile "$T_DIR/srv.pid"
t_eq "daemon mode: the command returns at once" "0" "$?"
if sc_wait_sock "$SOCK" && sc_wait_for 5 test -s "$T_DIR/srv.pid"; then
	DPID=$(cat "$T_DIR/srv.pid")
	t_check "daemon mode: serves" pay --server "$SOCK" --atc 8 --amount 1
	kill -TERM "$DPID"
	sc_wait_for 10 bash -c "! kill -0 $DPID 2>/dev/null"
	t_check "daemon mode: SIGTERM stops it and removes the pid file" bash -c "! kill -0 $DPID 2>/dev/null && test ! -e '$T_DIR/srv.pid'"
else
	t_fail "daemon mode: started"
	[ -s "$T_DIR/srv.pid" ] && kill -TERM "$(cat "$T_DIR/srv.pid")"
fi

chmod 644 "$D/master.key"
t_check "refuses a readable master key" bash -c "'$SRV' -D '$D' -d --listen none --http none --unix '$SOCK' 2>&1 | grep -q 'chmod 600'"
t_done
