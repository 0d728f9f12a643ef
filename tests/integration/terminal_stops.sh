#!/usr/bin/env bash
# A scanning terminal learns at once what the card decided: the card's
# cancel, timeout and PIN-blocked screens carry the void QR of the ATC
# (PROTOCOL §5.5, §5.7), and the terminal stops on it with exit status 6
# while a generous --timeout (120 s) is far from over. The contactless read
# tells "not yet" (6985) from "void" (6984). Each case waits for events: the
# card's screen through its control socket, the terminal's own exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

if ! world_up; then
	t_fail "world up" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"; t_done; exit
fi
t_ok "world up"
A0=$(balance ALICE-1) S0=$(balance SHOP-1)
unchanged() { t_eq "$1: balances unchanged" "$A0 $S0" "$(balance ALICE-1) $(balance SHOP-1)"; }
# stopped NAME TEXT: exit 6, the message says TEXT, and the terminal ended
# while its 120 s --timeout was far from over (a sanity bound, not the
# synchronisation: the test waited for the terminal's exit).
stopped() {
	if [ "$PAY_RC" -eq 6 ] && grep -q -- "$2" "$T_DIR/pay.err"; then t_ok "$1: exit 6, says '$2'"
	else t_fail "$1: exit 6, says '$2'" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"; fi
	if [ "$TOOK" -lt 60 ]; then t_ok "$1: the terminal stopped after ${TOOK} s of its 120 s timeout"
	else t_fail "$1: the terminal stopped before its timeout" "${TOOK} s"; fi
}
# gjp: GET JOINT PASSWORD over the contactless socket; prints the SW line.
gjp() { "$FC" "$CL" on 00A4040009F05349474341524401 804A000008 off | tail -1; }

# --- Cancel; the contactless read says 6985 before, 6984 after ---
( ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":60000}' 60 >/dev/null &&
  gjp >"$T_DIR/before.sw" &&
  ctl "$CTL" '{"cmd":"press","keys":"C"}' >"$T_DIR/cancel.out" ) &
HOLDER_PID=$!
SECONDS=0
pay --amount 5.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 120
TOOK=$SECONDS
wait "$HOLDER_PID"
t_eq "cancel: the card showed its cancelled screen" cancelled "$(jq -r .screen.name "$T_DIR/cancel.out")"
# The screen first: the contact read of the ATC puts the card on a reader.
qr=$(ctl "$CTL" '{"cmd":"screen"}' | jq -r .screen.qr)
t_eq "cancel: its QR says void, cancelled" "SIGVOID1:$CARD_ID:$(card_atc):cancelled" "$qr"
stopped "cancel (scan)" "(cancelled)"
t_eq "contactless read under review: 6985 (not yet)" 6985 "$(cat "$T_DIR/before.sw")"
t_eq "contactless read after Cancel: 6984 (void)" 6984 "$(gjp)"
unchanged "cancel"

# --- three wrong PINs: the PIN is blocked ---
( ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":60000}' 60 >/dev/null &&
  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >/dev/null &&
  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >"$T_DIR/wrong.out" &&
  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >"$T_DIR/locked.out" ) &
HOLDER_PID=$!
SECONDS=0
pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 120
TOOK=$SECONDS
wait "$HOLDER_PID"
t_eq "wrong PIN with tries left: under review still" pin_wrong "$(jq -r .screen.name "$T_DIR/wrong.out")"
t_eq "three wrong PINs: blocked" pin_blocked "$(jq -r .screen.name "$T_DIR/locked.out")"
stopped "PIN blocked (scan)" "(pin-blocked)"
t_eq "contactless read after the PIN blocked: 6984 (void)" 6984 "$(gjp)"
unchanged "PIN blocked"

# --- nobody confirms: the card's own 2 s timeout (a fresh card) ---
kill -TERM "$CARD_PID"; wait "$CARD_PID" 2>/dev/null
rm -f "$T_DIR/card.flash"
"$CARD" --flash "$T_DIR/card.flash" personalise --perso "$T_DIR/perso.json" \
	--pin-file "$T_DIR/pin" --export "$T_DIR/record2.json" >"$T_DIR/perso2.log" 2>&1 ||
	t_fail "a second card" "$(cat "$T_DIR/perso2.log")"
card_start card-timeout --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" \
	--control "$CTL" --png "$PNG" --confirm-timeout 2
SECONDS=0
pay --amount 0.45 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 120
TOOK=$SECONDS
t_eq "no confirmation: the card timed out on its own" timeout \
	"$(ctl "$CTL" '{"cmd":"screen"}' | jq -r .screen.name)"
stopped "timeout (scan)" "(timeout)"
unchanged "timeout"

# --- a camera whose folder is not there: refused before the card is touched ---
atc=$(card_atc)
pay --amount 0.45 --currency EUR --to SHOP-1 --payee-name Shop \
	--camera "file:$T_DIR/no-such-folder/screen.png" --timeout 120
if [ "$PAY_RC" -eq 1 ] && grep -q "no-such-folder" "$T_DIR/pay.err"; then
	t_ok "missing camera folder: exit 1, the folder named"
else t_fail "missing camera folder: exit 1, the folder named" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"; fi
t_eq "missing camera folder: the card's ATC unchanged (nothing signed)" "$atc" "$(card_atc)"
unchanged "missing camera folder"
t_done
