#!/usr/bin/env bash
# The card in a browser (sigcard-card --http): Debian's chromium, headless,
# driven over the DevTools protocol (tests/support/cdp.py) by card_web.py,
# shows the card's screen live while a reader has the card sign; the holder
# types the PIN on the page's keypad by mouse, keyboard and touch, a wrong
# PIN and a Cancel too; the keypad refuses a request without the token or
# from another origin and the card's state stays as it was; no console
# errors. Screenshots go to BUILD/screenshots/card-*.png.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

# Debian's python3-websocket is in /usr/bin/python3's path, not in a
# python3 a version manager may put first on PATH.
PY=/usr/bin/python3
if [ ! -x /usr/bin/chromium ] || ! "$PY" -c 'import websocket' 2>/dev/null; then
	t_skip "the card's page in a browser" "needs chromium and python3-websocket (make deps)"
	t_done; exit
fi

SELECT=00A4040009F05349474341524401
ID=5566778899AABBCC
PIN=3141
CT=$T_DIR/contact.sock CTL=$T_DIR/control.sock

card_personalise "$T_DIR/card.flash" $ID HANS-1 "$(printf '66%.0s' $(seq 32))" $PIN "$T_DIR/enrol.json" ||
	{ t_fail personalise "$(cat "$T_DIR"/perso-*.log)"; t_done; exit 1; }
TX=$("$MKTX" enc 1999 978 HANS-1 IDA-2 "Ida's" T4 000102030405060708090a0b0c0d0e0f 1700000004)
LC=$(printf %02X $(( ${#TX} / 2 )))

sc_listen card "the card's page: " "$CARD" -d --no-tty --flash "$T_DIR/card.flash" \
	--contact "$CT" --control "$CTL" --http 127.0.0.1:@PORT ||
	{ t_fail "the card starts with --http" "$(cat "$T_DIR/card.log")"; t_done; exit 1; }
CARD_PID=$SC_LAST_PID
sc_wait_sock "$CTL"
URL=$(sed -n "s/^sigcard-card: the card's page: //p" "$T_DIR/card.log")
case "$URL" in
	"http://127.0.0.1:${SC_PORTS[0]}/#token="[0-9a-f]*) t_ok "the card prints its page's address with a token" ;;
	*) t_fail "the card prints its page's address with a token" "$URL" ;;
esac

mkdir -p "$SC_BUILD/screenshots"
# The driver's every wait has its own deadline; the timeout is the last
# word should one be missing (a regression must fail, not hang).
FC=$FC CT=$CT PIN=$PIN SIGN="$SELECT 802A0000${LC}${TX}00" \
	timeout -k 10 600 "$PY" "$SC_TOP/tests/integration/card_web.py" "$URL" "$CTL" "$SC_BUILD/screenshots" \
	"$SC_BUILD/screenshots/card-page.png" "$T_DIR" "$T_DIR/card.log" >"$T_DIR/driver.out" 2>&1
t_driver "$T_DIR/driver.out" $?
grep -q "the card's page" "$T_DIR/card.log" && ! grep -q "$(sed -n 's/.*#token=//p' <<<"$URL")" \
	<(grep -v "the card's page: " "$T_DIR/card.log") &&
	t_ok "the token is in the start-up line only, never logged" ||
	t_fail "the token is in the start-up line only, never logged" "$(cat "$T_DIR/card.log")"

# Stopped, the card frees every request of the browsers that came and went
# (under SANITIZE=address a leak is an exit status of its own).
kill -TERM "$CARD_PID"; wait "$CARD_PID"; rc=$?
t_eq "the card stops cleanly after its browsers (exit 0)" 0 "$rc"
grep -q "Sanitizer" "$T_DIR/card.log" && t_fail "... with no sanitizer report" "$(cat "$T_DIR/card.log")" ||
	t_ok "... with no sanitizer report"

# A token file: the keypad takes that token (the address printed has
# none); a file others may read is refused.
( umask 077; printf '  a-token-from-a-file-0123\n' >"$T_DIR/token" )
if sc_listen card2 "the card's page: " "$CARD" -d --no-tty --flash "$T_DIR/card.flash" \
	--control "$CTL" --http 127.0.0.1:@PORT --http-token-file "$T_DIR/token"; then
	P=${SC_PORTS[0]}
	grep -q "the card's page: http://127.0.0.1:$P/ (the keypad's token is in the --http-token-file)" \
		"$T_DIR/card2.log" && t_ok "with --http-token-file the address printed carries no token" ||
		t_fail "with --http-token-file the address printed carries no token" "$(cat "$T_DIR/card2.log")"
	t_eq "POST /keys with the file's token: 204; with the random kind: 401" "204 401" "$(
		curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer a-token-from-a-file-0123' \
			--data-binary CANCEL "http://127.0.0.1:$P/keys") $(
		curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${URL##*#token=}" \
			--data-binary CANCEL "http://127.0.0.1:$P/keys")"
	kill -TERM "$SC_LAST_PID"; wait "$SC_LAST_PID"
else
	t_fail "the card starts with --http-token-file" "$(cat "$T_DIR/card2.log")"
fi
chmod 0644 "$T_DIR/token"
out=$("$CARD" -d --no-tty --flash "$T_DIR/card2.flash" --control "$T_DIR/c2.sock" \
	--http 127.0.0.1:1 --http-token-file "$T_DIR/token" 2>&1); rc=$?
t_eq "--http-token-file readable by others: exit 1" 1 "$rc"
grep -q "http-token-file $T_DIR/token: readable or writable by group or others" <<<"$out" &&
	t_ok "... named" || t_fail "... named" "$out"
out=$("$CARD" -d --no-tty --flash "$T_DIR/card.flash" --http nohost 2>&1); rc=$?
t_eq "--http without a port: usage, exit 2" "2 sigcard-card: --http: not [HOST:]PORT: 'nohost'" "$rc $out"
out=$("$CARD" -d --no-tty --flash "$T_DIR/card.flash" --http '[::1]' 2>&1); rc=$?
t_eq "--http with an IPv6 address and no port: usage, exit 2" "2 sigcard-card: --http: not [HOST:]PORT: '[::1]'" "$rc $out"
t_done
