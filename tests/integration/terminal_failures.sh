#!/usr/bin/env bash
# sigcard-terminal when things go wrong, end to end: bad command lines, the
# holder cancelling or mistyping on the card, no card, no server, a refusal,
# a receipt that does not verify, and the server restarted between SIGN and
# SUBMIT (the identical submission is resent and pays once), the card
# losing power in the middle of SIGN, no confirmation before the card's
# timeout, and the PIN locked out. Each failure
# has its own exit status and a message naming what happened.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

# --- the command line, before anything is touched ---
"$TERMINAL" --help >"$T_DIR/help.out"; rc=$?
if [ "$rc" -eq 0 ] && grep -q "Exit status" "$T_DIR/help.out"; then t_ok "--help: exits 0, lists exit statuses"; else t_fail "--help"; fi
t_check "pay --help mentions every option" bash -c "'$TERMINAL' pay --help | grep -q -- --receipt-key"
t_check "daemon --help" bash -c "'$TERMINAL' daemon --help | grep -q -- --socket"
t_check "--version" bash -c "'$TERMINAL' --version | grep -q '^sigcard-terminal '"
"$TERMINAL" >/dev/null 2>&1; t_eq "no command: exit 2" 2 $?
"$TERMINAL" refund >/dev/null 2>"$T_DIR/err"; t_eq "unknown command: exit 2" 2 $?
GOOD=(--amount 1.00 --currency EUR --to SHOP-1 --payee-name Shop --card unix:/x --server unix:/y --terminal-id T --camera file:/z)
bad() { # bad NAME EXPECTED_IN_MESSAGE ARGS...
	local name=$1 want=$2 err rc; shift 2
	err=$("$TERMINAL" pay "${GOOD[@]}" "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 2 ] && [[ $err == *"$want"* ]]; then t_ok "bad input: $name"; else t_fail "bad input: $name" "exit $rc" "$err"; fi
}
bad "amount with 3 decimals" "--amount '1.001'" --amount 1.001
bad "negative amount" "--amount '-5'" --amount -5
bad "unknown currency" "--currency 'EUX'" --currency EUX
bad "lower-case account" "--to 'shop-1'" --to shop-1
bad "name with a control character" "--payee-name" --payee-name $'a\tb'
bad "unknown scheme" "--scheme 'rsa'" --scheme rsa
bad "unknown password source" "--jp 'sms'" --jp sms
bad "unknown carrier" "--card 'tty:/dev/ttyS0'" --card tty:/dev/ttyS0
bad "server without port" "--server 'localhost'" --server localhost
bad "timeout 0" "--timeout '0'" --timeout 0
bad "unknown option" "--tip: unknown option" --tip 1
bad "stray argument" "unexpected argument 'now'" now
bad "contactless without its socket" "--jp contactless needs --contactless" --jp contactless
err=$("$TERMINAL" pay "${GOOD[@]:0:12}" --camera file:/z 2>&1); rc=$?
if [ "$rc" -eq 2 ] && [[ $err == *"--terminal-id is required"* ]]; then t_ok "bad input: missing --terminal-id"; else t_fail "bad input: missing --terminal-id" "$rc $err"; fi
err=$("$TERMINAL" pay "${GOOD[@]}" --card nfc:pn532 --receipt-key /dev/null 2>&1); rc=$?
if [ "$rc" -eq 2 ] && [[ $err == *"libnfc connstring"* ]]; then t_ok "nfc: without a connstring is refused"; else t_fail "nfc: without a connstring is refused" "$rc $err"; fi

if ! world_up; then
	t_fail "world up" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"; t_done; exit
fi
t_ok "world up"
A0=$(balance ALICE-1) S0=$(balance SHOP-1)
unchanged() { t_eq "$1: balances unchanged" "$A0 $S0" "$(balance ALICE-1) $(balance SHOP-1)"; }
expect_rc() { # NAME RC TEXT
	if [ "$PAY_RC" -eq "$2" ] && grep -q -- "$3" "$T_DIR/pay.err"; then t_ok "$1: exit $2, says '$3'"
	else t_fail "$1: exit $2, says '$3'" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"; fi
}

# --- the holder cancels on the card ---
holder C
pay --amount 5.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 4
wait "$HOLDER_PID"
expect_rc "cancel on the card (scan)" 6 "cancelled"
t_eq "cancel: the card showed its cancelled screen" cancelled "$(ctl "$CTL" '{"cmd":"screen"}' | jq -r .screen.name)"
unchanged "cancel (scan)"
# Contactless: the card answers 6984 once the holder cancelled, so the
# terminal stops at once instead of polling until its --timeout (30 s here).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The time is taken just before the press: the terminal may well be done
# before a timestamp taken after the press is written.
( ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 30 >/dev/null &&
  now_ms >"$T_DIR/cancel.at" && ctl "$CTL" '{"cmd":"press","keys":"C"}' >/dev/null ) &
HOLDER_PID=$!
pay --amount 5.00 --currency EUR --to SHOP-1 --payee-name Shop --jp contactless \
	--contactless "unix:$CL" --timeout 30
done_at=$(now_ms)
wait "$HOLDER_PID"
expect_rc "cancel on the card (contactless)" 6 "will not release the password"
grep -q "start a new payment" "$T_DIR/pay.err" && t_ok "cancel (contactless): the message says what to do" ||
	t_fail "cancel (contactless): the message says what to do" "$(cat "$T_DIR/pay.err")"
took=$(( done_at - $(cat "$T_DIR/cancel.at" 2>/dev/null || echo 0) ))
if [ "$took" -ge 0 ] && [ "$took" -lt 15000 ]; then
	t_ok "cancel (contactless): the terminal stopped ${took} ms after Cancel, not at its 30 s timeout"
else t_fail "cancel (contactless): the terminal stopped well before its timeout" "${took} ms"; fi
unchanged "cancel (contactless)"

# --- a wrong PIN first: tries left shown, then the right one pays ---
( ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 30 >/dev/null &&
  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >"$T_DIR/wrong.out" &&
  ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null ) &
HOLDER_PID=$!
pay --amount 0.10 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
t_eq "wrong PIN first: the card says so" pin_wrong "$(jq -r .screen.name "$T_DIR/wrong.out")"
t_eq "wrong PIN, then the right one: paid" 0 "$PAY_RC"
A0=$((A0 - 10)) S0=$((S0 + 10))
unchanged "after the 0.10 payment (moved once)"

# --- no card, no server ---
atc=$(card_atc)
"$TERMINAL" pay --card "unix:$T_DIR/no-card.sock" --server "unix:$SUBMIT" --terminal-id T-1 \
	--receipt-key "$T_DIR/receipt.key" --amount 1.00 --currency EUR --to SHOP-1 \
	--payee-name Shop --camera "file:$PNG" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
PAY_RC=$?
expect_rc "no card in the slot" 3 "no card"
"$TERMINAL" pay --card "unix:$CT" --server "unix:$T_DIR/no-server.sock" --terminal-id T-1 \
	--receipt-key "$T_DIR/receipt.key" --amount 1.00 --currency EUR --to SHOP-1 \
	--payee-name Shop --camera "file:$PNG" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
PAY_RC=$?
expect_rc "server unreachable" 7 "cannot connect"
t_eq "server unreachable: the card never signed" "$atc" "$(card_atc)"
unchanged "no card / no server"

# --- the server says no ---
holder "${PIN}K"
pay --amount 1000.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
expect_rc "more than the balance" 8 "INSUFFICIENT_FUNDS"
expect_rc "more than the balance: the decline's sealed receipt" 8 "decline's receipt verified"
unchanged "refusal"

# --- a receipt signed by someone else ---
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout 2>/dev/null >"$T_DIR/other.pem"
holder "${PIN}K"
"$TERMINAL" pay --card "unix:$CT" --server "unix:$SUBMIT" --terminal-id T-1 \
	--receipt-key "$T_DIR/other.pem" --amount 0.20 --currency EUR --to SHOP-1 \
	--payee-name Shop --camera "file:$PNG" --timeout 30 >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
PAY_RC=$?
wait "$HOLDER_PID"
expect_rc "receipt under another key" 9 "does not verify"
t_eq "bad receipt: nothing printed as a receipt" "" "$(cat "$T_DIR/pay.out")"
A0=$((A0 - 20)) S0=$((S0 + 20)) # the server did pay: only the terminal could not prove it

# --- the server restarts between SIGN and SUBMIT ---
pay_bg() {
	"$TERMINAL" pay --card "unix:$CT" --server "unix:$SUBMIT" --terminal-id T-1 \
		--receipt-key "$T_DIR/receipt.key" "$@" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err" &
	PAY_PID=$!
}
pay_bg --amount 0.30 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 30 >/dev/null
server_down
server_up
ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null
wait "$PAY_PID"
PAY_RC=$?
t_eq "server restarted between SIGN and SUBMIT: paid" 0 "$PAY_RC"
grep -q "sending the same submission again" "$T_DIR/pay.err" && t_ok "restart: the same submission was resent" ||
	t_fail "restart: the same submission was resent" "$(cat "$T_DIR/pay.err")"
A0=$((A0 - 30)) S0=$((S0 + 30))
unchanged "after the restart (moved exactly once)"

# --- the card loses power in the middle of SIGN (its first flash write) ---
atc=$(card_atc)
ctl "$CTL" '{"cmd":"power_cut","at_write":1}' >/dev/null
pay --amount 0.40 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 5
expect_rc "power lost during SIGN" 4 "left the reader during"
unchanged "power lost during SIGN"
after=$(card_atc)
if [ "$after" -eq "$atc" ] || [ "$after" -eq $((atc + 1)) ]; then t_ok "power lost during SIGN: the ATC is the old or the new one ($atc -> $after)"
else t_fail "power lost during SIGN: the ATC is the old or the new one" "$atc -> $after"; fi
holder "${PIN}K"
pay --amount 0.40 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
t_eq "after the power cut the card pays again" 0 "$PAY_RC"
t_eq "... with a counter above the one before the cut" 1 "$(( $(field atc) > after ))"
A0=$((A0 - 40)) S0=$((S0 + 40))
unchanged "after the power cut (moved once)"

# --- nobody confirms: the card's own timeout voids the signature ---
kill -TERM "$CARD_PID"; wait "$CARD_PID" 2>/dev/null
card_start card-timeout --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" \
	--control "$CTL" --png "$PNG" --confirm-timeout 2
pay --amount 0.45 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 6
expect_rc "no confirmation on the card" 6 "cancelled"
t_eq "no confirmation: the card timed out on its own" timeout \
	"$(ctl "$CTL" '{"cmd":"screen"}' | jq -r .screen.name)"
unchanged "no confirmation"
# Contactless: the card's 2 s timeout ends the terminal's 30 s wait too.
SECONDS=0
pay --amount 0.45 --currency EUR --to SHOP-1 --payee-name Shop --jp contactless \
	--contactless "unix:$CL" --timeout 30
took=$SECONDS
expect_rc "no confirmation on the card (contactless)" 6 "will not release the password"
if [ "$took" -lt 15 ]; then t_ok "no confirmation (contactless): exit after ${took} s, not at the terminal's 30 s"
else t_fail "no confirmation (contactless): exit well before the terminal's timeout" "${took} s"; fi
unchanged "no confirmation (contactless)"

# --- three wrong PINs: locked out; the card then refuses to sign ---
# The card of the timeout checks above gives the holder 2 s, and three
# control-socket round trips can take longer than that on a loaded machine:
# the holder here has the card's default time, and the terminal ends as
# soon as the card shows it is locked (the screen, not its timeout).
kill -TERM "$CARD_PID"; wait "$CARD_PID" 2>/dev/null
card_start card --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" \
	--control "$CTL" --png "$PNG"
holder_locks_pin
pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
t_eq "three wrong PINs: the card shows it is locked" pin_blocked "$(jq -r .screen.name "$T_DIR/locked.out")"
expect_rc "three wrong PINs: no password" 6 "cancelled"
pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 5
expect_rc "PIN locked: the card refuses to sign" 5 "blocked"
unchanged "PIN locked out"
t_done
