#!/usr/bin/env bash
# The bank's back office in a browser (sigcard-server --admin-http):
# Debian's chromium, headless, driven over the DevTools protocol
# (tests/support/cdp.py) by admin_web.py, logs in with the token, finds
# both balances changed and the transfer after a payment, the card's
# counters, blocks the card by a click (the next payment is declined
# CARD_BLOCKED) and unblocks it (the one after pays), sees the submissions
# and their results and the live charts counting them; every refused
# request (no CSRF token, another Origin, no session, a wrong token) leaves
# the card as it was; no console errors on any view. A token file others
# may read, or another user's, is refused at start, by name. Screenshots
# go to BUILD/screenshots/admin-*.png (admin-page.png and admin-page-charts.png,
# small ones, are the README's docs/img/admin-page*.png).
. "$(dirname "$0")/lib.sh"
SRV=$SC_BIN/sigcard-server
CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/issuer
S() { "$SRV" -D "$D" "$@"; }

PY=/usr/bin/python3
if [ ! -x /usr/bin/chromium ] || ! "$PY" -c 'import websocket' 2>/dev/null; then
	t_skip "the back office in a browser" "needs chromium and python3-websocket (make deps)"
	t_done; exit
fi

S init >/dev/null 2>&1
S account create ALICE --currency EUR --balance 100.00 >/dev/null
S account create BOB --currency EUR >/dev/null
CARD=$(S card prepare --account ALICE --out "$T_DIR/perso.json")
"$CLI" card --perso "$T_DIR/perso.json" --key "$T_DIR/key.pem" --export "$T_DIR/record.json"
S card enrol --record "$T_DIR/record.json" >/dev/null || t_fail "card enrolled"
SOCK=$T_DIR/submit.sock
TOKEN=back-office-token-0123456789
( umask 077; printf '%s\n' "$TOKEN" >"$T_DIR/token" )

# ---- Refused at start, each by name, before anything is served.
# (A server that started after all would serve for ever: the timeout ends
# it, and its 124 fails the check.)
serve() { timeout -k 5 30 "$SRV" -D "$D" -d --listen none --unix "$SOCK" --http none "$@"; }
out=$(serve --admin-http 127.0.0.1:1 2>&1); rc=$?
t_eq "--admin-http without --admin-token-file: usage, exit 2" \
	"2 sigcard-server: --admin-http and --admin-token-file go together" "$rc $out"
out=$(serve --admin-http '[::1]' --admin-token-file "$T_DIR/token" 2>&1); rc=$?
t_eq "--admin-http with no port: usage, exit 2" \
	"2 sigcard-server: --admin-http: '[::1]' is not [HOST:]PORT" "$rc $out"
cp "$T_DIR/token" "$T_DIR/token-0644"; chmod 0644 "$T_DIR/token-0644"
out=$(serve --admin-http 127.0.0.1:1 --admin-token-file "$T_DIR/token-0644" 2>&1); rc=$?
t_eq "a token file others may read: exit 1" 1 "$rc"
grep -q -- "--admin-token-file: $T_DIR/token-0644: readable or writable by group or others (chmod 600 it)" <<<"$out" &&
	t_ok "... named" || t_fail "... named" "$out"
cp "$T_DIR/token" "$T_DIR/token-nobody"; chown nobody "$T_DIR/token-nobody" 2>/dev/null
if [ "$(stat -c %U "$T_DIR/token-nobody")" = nobody ]; then
	out=$(serve --admin-http 127.0.0.1:1 --admin-token-file "$T_DIR/token-nobody" 2>&1); rc=$?
	t_eq "another user's token file: exit 1" 1 "$rc"
	grep -q -- "--admin-token-file: $T_DIR/token-nobody: not owned by this program's user" <<<"$out" &&
		t_ok "... named" || t_fail "... named" "$out"
else
	t_skip "another user's token file" "chown needs root"
fi
( umask 077; printf 'short\n' >"$T_DIR/token-short" )
out=$(serve --admin-http 127.0.0.1:1 --admin-token-file "$T_DIR/token-short" 2>&1); rc=$?
t_eq "a token file with no token: exit 1" 1 "$rc"
grep -q -- "--admin-token-file: $T_DIR/token-short: not a token (16 to 128 of" <<<"$out" && t_ok "... named" || t_fail "... named" "$out"

# ---- Served: the back office on a port alone (127.0.0.1), the API beside it.
sc_listen server 'serving: submissions on' "$SRV" -D "$D" -d --listen none --unix "$SOCK" \
	--http 127.0.0.1:@PORT --admin-http @PORT --admin-token-file "$T_DIR/token" ||
	{ t_fail "the server starts with --admin-http" "$(cat "$T_DIR/server.log")"; t_done; exit 1; }
SRV_PID=$SC_LAST_PID
API="http://127.0.0.1:${SC_PORTS[0]}" ADMIN="http://127.0.0.1:${SC_PORTS[1]}"
grep -q "the back office: $ADMIN/" "$T_DIR/server.log" && t_ok "the server names the back office's address" ||
	t_fail "the server names the back office's address" "$(cat "$T_DIR/server.log")"
"$CLI" pay --perso "$T_DIR/perso.json" --key "$T_DIR/key.pem" --payee BOB --currency 978 \
	--server "$SOCK" --atc 1 --amount 1234 >/dev/null || t_fail "the first payment"

mkdir -p "$SC_BUILD/screenshots"
PAY="$CLI pay --perso $T_DIR/perso.json --key $T_DIR/key.pem --payee BOB --currency 978 --server $SOCK --amount 100 --atc" \
	timeout -k 10 600 "$PY" "$SC_TOP/tests/integration/admin_web.py" "$ADMIN" "$API" "$TOKEN" "$CARD" \
	"$SC_BUILD/screenshots" "$SC_BUILD/screenshots/admin-page.png" "$T_DIR" >"$T_DIR/driver.out" 2>&1
t_driver "$T_DIR/driver.out" $?

# ---- Wrong tokens: a few a minute, then even the right one waits.
code() { curl -s -o /dev/null -w '%{http_code}' -H "Origin: $ADMIN" -H 'Content-Type: application/json' \
	--data "{\"token\":\"$1\"}" "$ADMIN/api/login"; }
codes=""
for i in 1 2 3 4 5 6; do
	c=$(code "wrong-token-$i-0123456789"); codes="$codes $c"
	[ "$c" = 429 ] && break
done
t_eq "wrong tokens are 401 until the minute's fifth, then 429" 429 "${codes##* }"
t_eq "... and the right token waits too (429)" 429 "$(code "$TOKEN")"
grep -q "$TOKEN" "$T_DIR/server.log" && t_fail "the token is never logged" "$(cat "$T_DIR/server.log")" ||
	t_ok "the token is never logged"

kill -TERM "$SRV_PID"; wait "$SRV_PID"; rc=$?
t_eq "the server stops cleanly after its browsers (exit 0)" 0 "$rc"
grep -q "Sanitizer" "$T_DIR/server.log" && t_fail "... with no sanitizer report" "$(cat "$T_DIR/server.log")" ||
	t_ok "... with no sanitizer report"

# ---- IPv6: [::1]:PORT, answered under that name (the Host a browser sends).
if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	if sc_listen server6 'serving: submissions on' "$SRV" -D "$D" -d --listen none --unix "$SOCK" \
		--http none --admin-http '[::1]:@PORT' --admin-token-file "$T_DIR/token"; then
		P6=${SC_PORTS[0]}
		t_eq "--admin-http [::1]:PORT serves the page over IPv6" '200 {"csrf":null}' \
			"$(curl -s -g -o "$T_DIR/s6" -w '%{http_code}' "http://[::1]:$P6/api/session") $(cat "$T_DIR/s6")"
		kill -TERM "$SC_LAST_PID"; wait "$SC_LAST_PID"
	else
		t_fail "the server starts with --admin-http [::1]:PORT" "$(cat "$T_DIR/server6.log")"
	fi
else
	t_skip "--admin-http [::1]:PORT" "no IPv6 loopback here"
fi
t_done
