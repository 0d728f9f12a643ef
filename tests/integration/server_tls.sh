#!/usr/bin/env bash
# TLS between terminal and server (docs/PROTOCOL.md §4.1): a whole payment
# by sigcard-terminal over TLS 1.3 with a certificate `sigcard-server
# terminal enrol` made; then each peer the listener must refuse, each a
# check of its own: the handshake fails, /metrics counts it under its
# reason, and the ledger's tables (audit included) are exactly as before.
# The refused peers are python's ssl module (tests/tools/tls_peer.py) and
# certificates the openssl command line makes: implementations apart from
# the server's. Last, a challenge asked under one terminal's certificate
# and used under another's is refused with CHALLENGE_INVALID.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
PEER="python3 $SC_TOP/tests/tools/tls_peer.py"

if ! world_up; then
	t_fail "world up (server, accounts, card)" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"
	t_done; exit
fi
D=$T_DIR/srv
t_check "init made the terminal CA and the server's certificate" \
	test -s "$D/tls/ca.pem" -a -s "$D/tls/server.pem"
t_eq "the CA's and the server's keys are 0600" "600 600" \
	"$(stat -c %a "$D/tls/ca.key") $(stat -c %a "$D/tls/server.key")"

# Two terminals enrolled; T-1's key made by the issuer, T-2's own from a CSR.
"$SRV" -D "$D" terminal enrol T-1 --out "$T_DIR/t1" >"$T_DIR/enrol1.out" 2>&1 ||
	t_fail "terminal enrol T-1" "$(cat "$T_DIR/enrol1.out")"
t_eq "enrol: the terminal's key is 0600" 600 "$(stat -c %a "$T_DIR/t1/terminal.key")"
t_eq "enrol: the certificate's subject is the terminal id" "subject=CN = T-1" \
	"$(openssl x509 -in "$T_DIR/t1/terminal.pem" -noout -subject)"
t_check "enrol: the certificate chains to the CA it hands out" \
	openssl verify -CAfile "$T_DIR/t1/ca.pem" -purpose sslclient "$T_DIR/t1/terminal.pem"
mkdir -p "$T_DIR/t2"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ignored \
	-keyout "$T_DIR/t2/terminal.key" -out "$T_DIR/t2.csr" 2>/dev/null
if "$SRV" -D "$D" terminal enrol T-2 --csr "$T_DIR/t2.csr" --out "$T_DIR/t2" >"$T_DIR/enrol2.out" 2>&1; then
	t_eq "enrol --csr: the id enrolled, not the CSR's subject" "subject=CN = T-2" \
		"$(openssl x509 -in "$T_DIR/t2/terminal.pem" -noout -subject)"
else t_fail "terminal enrol T-2 --csr" "$(cat "$T_DIR/enrol2.out")"; fi

# The server with TLS on --listen (the default), beside its Unix socket.
server_down
sc_listen server 'serving: submissions on' "$SRV" -D "$D" -d --listen 127.0.0.1:@PORT \
	--unix "$SUBMIT" --http 127.0.0.1:@PORT serve ||
	t_fail "server with TLS started" "$(cat "$T_DIR/server.log")"
SERVER_PID=$SC_LAST_PID PORT=${SC_PORTS[0]} HTTP_PORT=${SC_PORTS[1]}
t_check "the start line says TLS" grep -q "submissions on 127.0.0.1:$PORT (TLS)" "$T_DIR/server.log"

# tls_pay TLS-ARGS... -- PAY-ARGS...: a payment over TLS, the holder confirming.
tls_pay() {
	local tls=()
	while [ "$1" != -- ]; do tls+=("$1"); shift; done; shift
	holder "${PIN}K"
	"$TERMINAL" pay --card "unix:$CT" --server "127.0.0.1:$PORT" "${tls[@]}" \
		--receipt-key "$T_DIR/receipt.key" --camera "file:$PNG" --timeout 30 \
		--currency EUR --to SHOP-1 --payee-name Shop "$@" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
	PAY_RC=$?
	kill "$HOLDER_PID" 2>/dev/null; wait "$HOLDER_PID" 2>/dev/null
}

tls_pay --tls "$T_DIR/t1" -- --terminal-id T-1 --amount 2.50
if [ "$PAY_RC" -eq 0 ] && grep -q "receipt: verified" "$T_DIR/pay.out"; then
	t_ok "a payment over TLS with T-1's certificate (transfer $(field transfer-id))"
else t_fail "a payment over TLS with T-1's certificate" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"; fi
t_eq "the payment moved the money once" "9750 250" "$(balance ALICE-1) $(balance SHOP-1)"
tls_pay --server-ca "$T_DIR/t1/ca.pem" --cert "$T_DIR/t2/terminal.pem" \
	--key "$T_DIR/t2/terminal.key" -- --terminal-id T-2 --amount 1.00
[ "$PAY_RC" -eq 0 ] && t_ok "a payment with T-2's CSR-made certificate, files one by one" ||
	t_fail "a payment with T-2's CSR-made certificate" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"

# The terminal pins the server's name: another name is a TLS failure, exit 10.
"$TERMINAL" pay --card "unix:$CT" --server "127.0.0.1:$PORT" --tls "$T_DIR/t1" \
	--server-name pay.example --terminal-id T-1 --receipt-key "$T_DIR/receipt.key" \
	--camera "file:$PNG" --currency EUR --to SHOP-1 --payee-name Shop --amount 1.00 \
	>/dev/null 2>"$T_DIR/name.err"
rc=$?
[ $rc -eq 10 ] && grep -q "tls-refused.*certificate verify failed" "$T_DIR/name.err" &&
	t_ok "a server certificate without the pinned name: exit 10, named" ||
	t_fail "a server certificate without the pinned name: exit 10, named" "exit $rc" "$(cat "$T_DIR/name.err")"
"$TERMINAL" pay --card "unix:$CT" --server "127.0.0.1:$PORT" --terminal-id T-1 \
	--camera "file:$PNG" --currency EUR --to SHOP-1 --payee-name Shop --amount 1.00 \
	>/dev/null 2>"$T_DIR/notls.err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--tls DIR" "$T_DIR/notls.err" &&
	t_ok "a HOST:PORT server without TLS options: usage error" ||
	t_fail "a HOST:PORT server without TLS options: usage error" "exit $rc" "$(cat "$T_DIR/notls.err")"

# Certificates the server must refuse, made with the openssl command line.
mk_key_csr() { # NAME CN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$T_DIR/$1.key" -out "$T_DIR/$1.csr" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=other CA" \
	-days 30 -keyout "$T_DIR/other-ca.key" -out "$T_DIR/other-ca.pem" 2>/dev/null
mk_key_csr other T-1
openssl x509 -req -in "$T_DIR/other.csr" -CA "$T_DIR/other-ca.pem" -CAkey "$T_DIR/other-ca.key" \
	-days 30 -out "$T_DIR/other.pem" 2>/dev/null
# Signed by the issuer's own CA, but valid until yesterday.
mk_key_csr expired T-1
openssl x509 -req -in "$T_DIR/expired.csr" -CA "$D/tls/ca.pem" -CAkey "$D/tls/ca.key" \
	-days -1 -out "$T_DIR/expired.pem" 2>/dev/null
t_check "the expired certificate is expired" \
	bash -c "! openssl x509 -in '$T_DIR/expired.pem' -noout -checkend 0 >/dev/null"

# ledger: every table's row count, the audit table's included.
ledger() {
	python3 - "$D/ledger.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
    print(t, db.execute("SELECT count(*) FROM %s" % t).fetchone()[0])
PY
}
refused() { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | sed -n "s/^sigcard_tls_refused_total{reason=\"$1\"} //p"; }

# refusal NAME REASON EXPECT CMD...: CMD's output matches EXPECT (grep -E),
# the counter for REASON moved by one, the ledger is unchanged.
refusal() {
	local name=$1 reason=$2 expect=$3 before count out
	shift 3
	before=$(ledger) count=$(refused "$reason")
	out=$("$@" 2>&1)
	if grep -qE "$expect" <<<"$out"; then t_ok "$name: refused ($out)"
	else t_fail "$name: refused" "expected: $expect" "got: $out"; fi
	sc_wait_for 10 test "$(refused "$reason")" = "$((count + 1))" &&
		t_ok "$name: counted as $reason" ||
		t_fail "$name: counted as $reason" "before $count, now $(refused "$reason")"
	t_eq "$name: nothing reached the ledger or the audit table" "$before" "$(ledger)"
}

t_eq "T-1's own certificate is answered" answered \
	"$($PEER try "$PORT" "$T_DIR/t1/ca.pem" "$T_DIR/t1/terminal.pem" "$T_DIR/t1/terminal.key")"
refusal "no client certificate" no_cert "^refused: .*CERTIFICATE_REQUIRED" \
	$PEER try "$PORT" "$T_DIR/t1/ca.pem" - -
refusal "a certificate from another CA" bad_chain "^refused: .*UNKNOWN_CA" \
	$PEER try "$PORT" "$T_DIR/t1/ca.pem" "$T_DIR/other.pem" "$T_DIR/other.key"
refusal "an expired certificate" expired "^refused: .*CERTIFICATE_EXPIRED" \
	$PEER try "$PORT" "$T_DIR/t1/ca.pem" "$T_DIR/expired.pem" "$T_DIR/expired.key"
refusal "a plain-TCP client on the TLS port" not_tls "^closed$" $PEER plain "$PORT"

# Revoked while the server runs: T-2's next handshake fails, no restart.
t_eq "T-2 is answered before it is revoked" answered \
	"$($PEER try "$PORT" "$T_DIR/t1/ca.pem" "$T_DIR/t2/terminal.pem" "$T_DIR/t2/terminal.key")"
t_check "terminal revoke T-2" "$SRV" -D "$D" terminal revoke T-2
t_check "terminal list shows T-2 revoked, T-1 valid" bash -c \
	"'$SRV' -D '$D' terminal list | grep -q '^T-2 .* revoked\$' && '$SRV' -D '$D' terminal list | grep -q '^T-1 .* valid\$'"
refusal "a revoked terminal" revoked "^refused: .*CERTIFICATE_REVOKED" \
	$PEER try "$PORT" "$T_DIR/t1/ca.pem" "$T_DIR/t2/terminal.pem" "$T_DIR/t2/terminal.key"
tls_pay --tls "$T_DIR/t2" \
	-- --terminal-id T-2 --amount 1.00
[ "$PAY_RC" -eq 10 ] && grep -q "tls-refused.*revoked" "$T_DIR/pay.err" &&
	t_ok "the revoked terminal's pay: exit 10, named" ||
	t_fail "the revoked terminal's pay: exit 10, named" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"

# A challenge asked under T-3's certificate and used under T-1's: a proxy
# in front of the server sends GET CHALLENGE (01) with T-3's, the rest
# with T-1's; the terminal names T-3 throughout.
"$SRV" -D "$D" terminal enrol T-3 --out "$T_DIR/t3" >/dev/null 2>&1
cross() { # TYPES-UNDER-T-3
	rm -f "$T_DIR/proxy.port"
	sc_bg proxy $PEER proxy "$T_DIR/proxy.port" "$PORT" "$T_DIR/t1/ca.pem" \
		"$T_DIR/t3/terminal.pem" "$T_DIR/t3/terminal.key" \
		"$T_DIR/t1/terminal.pem" "$T_DIR/t1/terminal.key" "$1"
	sc_wait_for 20 test -s "$T_DIR/proxy.port"
	holder "${PIN}K"
	"$TERMINAL" pay --card "unix:$CT" --server "127.0.0.1:$(cat "$T_DIR/proxy.port")" \
		--insecure-plain-tcp --terminal-id T-3 --receipt-key "$T_DIR/receipt.key" \
		--camera "file:$PNG" --timeout 30 --retries 0 --currency EUR --to SHOP-1 \
		--payee-name Shop --amount 3.00 >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
	PAY_RC=$?
	kill "$HOLDER_PID" 2>/dev/null; wait "$HOLDER_PID" 2>/dev/null
}
before=$(balance ALICE-1)
cross 01
[ "$PAY_RC" -eq 8 ] && grep -q "CHALLENGE_INVALID" "$T_DIR/pay.err" &&
	t_ok "challenge under T-3, pre-check under T-1: CHALLENGE_INVALID" ||
	t_fail "challenge under T-3, pre-check under T-1: CHALLENGE_INVALID" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
cross 01,06
[ "$PAY_RC" -eq 8 ] && grep -q "CHALLENGE_INVALID" "$T_DIR/pay.err" &&
	t_ok "challenge and pre-check under T-3, SUBMIT under T-1: CHALLENGE_INVALID" ||
	t_fail "challenge and pre-check under T-3, SUBMIT under T-1: CHALLENGE_INVALID" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
t_eq "neither moved money" "$before" "$(balance ALICE-1)"
cross 01,06,02
[ "$PAY_RC" -eq 0 ] && t_ok "the same through the proxy all under T-3: paid" ||
	t_fail "the same through the proxy all under T-3: paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"

# A data folder from before TLS: the server names the command that makes it.
rm -rf "$T_DIR/old" && mkdir -p "$T_DIR/old"
"$SRV" -D "$T_DIR/old" init >/dev/null 2>&1 && rm -rf "$T_DIR/old/tls"
out=$(timeout 20 "$SRV" -D "$T_DIR/old" -d --listen 127.0.0.1:1 --unix none --http none 2>&1)
grep -q "terminal-ca" <<<"$out" && t_ok "no terminal CA: the start names terminal-ca" ||
	t_fail "no terminal CA: the start names terminal-ca" "$out"
t_check "terminal-ca makes it" "$SRV" -D "$T_DIR/old" terminal-ca --server-name pay.example
t_check "the server certificate names --server-name" bash -c \
	"openssl x509 -in '$T_DIR/old/tls/server.pem' -noout -ext subjectAltName | grep -q 'DNS:pay.example'"
t_check "the ledger's invariants hold" "$SRV" -D "$D" check
t_done
