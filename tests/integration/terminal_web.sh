#!/usr/bin/env bash
# The merchant's terminal in a browser (sigcard-terminal daemon --http):
# a real server, the card with its page (--http) on the terminal's reader
# (its contact socket), the terminal daemon with its page, and Debian's
# chromium, headless, driven over the DevTools protocol by terminal_web.py.
# A payment by clicks only (terminal page -> card page: review, PIN on the
# keypad, OK -> the verified receipt on the terminal page), the balances
# from the server's JSON API and on the back office's page; a Cancel and a wrong PIN through the pages;
# POST /payments without the token (401, nothing started), from another
# origin (403), while busy (409); no console errors. Screenshots go to
# BUILD/screenshots/terminal-*.png (terminal-page.png is README's picture,
# docs/img/terminal-page.png).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

PY=/usr/bin/python3
if [ ! -x /usr/bin/chromium ] || ! "$PY" -c 'import websocket' 2>/dev/null; then
	t_skip "the terminal's page in a browser" "needs chromium and python3-websocket (make deps)"
	t_done; exit
fi

# The bank's back office beside it: the payment is checked on its page too.
ADMIN_TOKEN=back-office-token-0123456789
( umask 077; printf '%s\n' "$ADMIN_TOKEN" >"$T_DIR/admin.token" )
SRV_SERVE=(--admin-http 127.0.0.1:@PORT --admin-token-file "$T_DIR/admin.token")
world_up || { t_fail "world up" "$(cat "$T_DIR"/*.log)"; t_done; exit 1; }
# The card again, now with its page: the holder's hands are the browser's.
kill -TERM "$CARD_PID"; wait "$CARD_PID" 2>/dev/null
sc_listen card2 "the card's page: " "$CARD" -d --no-tty --flash "$T_DIR/card.flash" \
	--contact "$CT" --control "$CTL" --png "$PNG" --http 127.0.0.1:@PORT ||
	{ t_fail "the card starts with --http" "$(cat "$T_DIR/card2.log")"; t_done; exit 1; }
CARD_PID=$SC_LAST_PID
sc_wait_sock "$CT"
CARD_URL=$(sed -n "s/^sigcard-card: the card's page: //p" "$T_DIR/card2.log")

DSOCK=$T_DIR/terminal.sock
sc_listen tdaemon "the terminal's page: " "$TERMINAL" daemon --socket "$DSOCK" -d \
	--card "unix:$CT" --server "unix:$SUBMIT" --terminal-id SHOP-T1 \
	--receipt-key "$T_DIR/receipt.key" --camera "file:$PNG" --http 127.0.0.1:@PORT ||
	{ t_fail "the terminal daemon starts with --http" "$(cat "$T_DIR/tdaemon.log")"; t_done; exit 1; }
TD_PID=$SC_LAST_PID
sc_wait_sock "$DSOCK"
TERM_URL=$(sed -n "s/^sigcard-terminal: the terminal's page: //p" "$T_DIR/tdaemon.log")
case "$TERM_URL" in
	"http://127.0.0.1:${SC_PORTS[0]}/#token="[0-9a-f]*) t_ok "the daemon prints its page's address with a token" ;;
	*) t_fail "the daemon prints its page's address with a token" "$TERM_URL" ;;
esac

mkdir -p "$SC_BUILD/screenshots"
# Every wait of the driver has its own deadline; the timeout is the last
# word should one be missing.
CTL=$CTL PIN=$PIN API="http://127.0.0.1:$HTTP_PORT" ADMIN="http://127.0.0.1:$SERVE_PORT" ADMIN_TOKEN=$ADMIN_TOKEN DLOG=$T_DIR/tdaemon.log TERMINAL=$TERMINAL DSOCK=$DSOCK \
	timeout -k 10 600 "$PY" "$SC_TOP/tests/integration/terminal_web.py" "$TERM_URL" "$CARD_URL" \
	"$SC_BUILD/screenshots" "$SC_BUILD/screenshots/terminal-page.png" "$T_DIR" >"$T_DIR/driver.out" 2>&1
t_driver "$T_DIR/driver.out" $?
TOKEN=${TERM_URL##*#token=}
! grep -v "the terminal's page: " "$T_DIR/tdaemon.log" | grep -q "$TOKEN" &&
	t_ok "the token is in the start-up line only, never logged" ||
	t_fail "the token is in the start-up line only, never logged" "$(cat "$T_DIR/tdaemon.log")"

# The Unix-socket front end still pays with the page on (the same way in).
out=$("$TERMINAL" pay --daemon "unix:$DSOCK" --amount 1.00 --currency EUR --to SHOP-1 \
	--payee-name Kiosk --card unix:/elsewhere 2>&1); rc=$?
t_eq "the socket's front end: a fixed setting refused as before (exit 2)" 2 "$rc"
grep -q -- "--card is this terminal's own setting" <<<"$out" && t_ok "... named" || t_fail "... named" "$out"

kill -TERM "$TD_PID"; wait "$TD_PID"; rc=$?
t_eq "the daemon stops cleanly after its browsers (exit 0)" 0 "$rc"
grep -q "Sanitizer" "$T_DIR/tdaemon.log" && t_fail "... with no sanitizer report" "$(cat "$T_DIR/tdaemon.log")" ||
	t_ok "... with no sanitizer report"

# --http-token-file: that token starts payments; a file others may read is refused.
( umask 077; printf 'merchant-token-from-a-file-42\n' >"$T_DIR/token" )
if sc_listen tdaemon2 "the terminal's page: " "$TERMINAL" daemon --socket "$T_DIR/t2.sock" -d \
	--card "unix:$T_DIR/no-card.sock" --server "unix:$SUBMIT" --terminal-id SHOP-T2 \
	--camera "file:$PNG" --http 127.0.0.1:@PORT --http-token-file "$T_DIR/token"; then
	P=${SC_PORTS[0]} T2=$SC_LAST_PID
	grep -q "the terminal's page: http://127.0.0.1:$P/ (the token is in the --http-token-file)" \
		"$T_DIR/tdaemon2.log" && t_ok "with --http-token-file the address printed carries no token" ||
		t_fail "with --http-token-file the address printed carries no token" "$(cat "$T_DIR/tdaemon2.log")"
	body='{"amount":"1.00","currency":"EUR","payee":"SHOP-1","payee_name":"Kiosk"}'
	t_eq "POST /payments with the file's token: 202; with another: 401" "202 401" "$(
		curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer merchant-token-from-a-file-42' \
			--data-binary "$body" "http://127.0.0.1:$P/payments") $(
		curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
			--data-binary "$body" "http://127.0.0.1:$P/payments")"
	# That payment fails (no card there): the daemon says so and is free.
	sc_wait_for 20 grep -q "payment failed: card-absent" "$T_DIR/tdaemon2.log" &&
		t_ok "... and the payment it started ran (no card: card-absent)" ||
		t_fail "... and the payment it started ran (no card: card-absent)" "$(cat "$T_DIR/tdaemon2.log")"
	kill -TERM "$T2"; wait "$T2"
else
	t_fail "the daemon starts with --http-token-file" "$(cat "$T_DIR/tdaemon2.log")"
fi
chmod 0644 "$T_DIR/token"
out=$("$TERMINAL" daemon --socket "$T_DIR/t3.sock" -d --card "unix:$CT" --server "unix:$SUBMIT" \
	--terminal-id T3 --camera "file:$PNG" --http 127.0.0.1:1 --http-token-file "$T_DIR/token" 2>&1); rc=$?
t_eq "--http-token-file readable by others: exit 1" 1 "$rc"
grep -q "http-token-file $T_DIR/token: readable or writable by group or others" <<<"$out" &&
	t_ok "... named" || t_fail "... named" "$out"
[ ! -e "$T_DIR/t3.sock" ] && t_ok "... and no socket left behind" || t_fail "... and no socket left behind"
t_done
