#!/usr/bin/env bash
# The scan path against the firmware: the board's screen (its UART1 screen
# events) drawn by `sigcard-card screen-png` into the PNG the emulator
# writes, and sigcard-terminal paying with the firmware card by pointing its
# camera (zbar) at that PNG, per scheme. The board's review screen is the
# same PNG, byte for byte, as the emulator's for the same transaction, and
# screen-png refuses a screen event it cannot rebuild, keeping the PNG.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
fw_require

if ! world_up; then
	t_fail "world up (server, accounts, emulated card)" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"
	t_done; exit
fi
# The board: a second card for ALICE-1, personalised over its contact slot.
if ! "$SRV" -D "$T_DIR/srv" card prepare --account ALICE-1 --out "$T_DIR/fw-perso.json" \
	>>"$T_DIR/admin.log" 2>&1; then
	t_fail "server prepared the board's card" "$(cat "$T_DIR/admin.log")"; t_done; exit
fi
FW_ID=$(jq -r .card_id "$T_DIR/fw-perso.json")
fw_start fw "$T_DIR/fw.flash" || { t_fail "the board boots in QEMU" "$(cat "$T_DIR/fw.log")"; t_done; exit; }
PUB=$(fw_perso "$FW_CT" "$FW_TK" "$FW_ID" "$(jq -r .k_card "$T_DIR/fw-perso.json")" $PIN ALICE-1 2>"$T_DIR/fw-perso.err")
t_eq "the board is personalised with the server's card data" 130 "${#PUB}"
jq -nc --arg id "$FW_ID" --arg pk "$PUB" '{card_id: $id, account: "ALICE-1", public_key: $pk}' \
	>"$T_DIR/fw-record.json"
t_check "the server enrols the board's key" "$SRV" -D "$T_DIR/srv" card enrol --record "$T_DIR/fw-record.json"
fw_wait_screen idle 10 >/dev/null && [ -s "$FW_PNG" ] &&
	t_ok "the board's idle screen is drawn into its PNG" ||
	t_fail "the board's idle screen is drawn into its PNG" "$(cat "$FW_UI_LOG")"

# fw_holder KEYS COPY: in the background, waits for the review on the
# board's screen, copies the board's PNG to COPY (screen-png drew it before
# the event reached the log, and it stays until a key), then types KEYS.
fw_holder() {
	fw_mark
	( fw_wait_screen review 60 >/dev/null && cp "$FW_PNG" "$2" && fw_keys "$1" ) &
	HOLDER_PID=$!
}

# The emulator pays first; its review PNG is the reference.
holder "${PIN}K" review "$T_DIR/emu-review.png"
pay --amount 2.00 --currency EUR --to SHOP-1 --payee-name "Board shop" --scheme enc \
	--camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
t_eq "the emulator pays by scan (reference)" 0 "$PAY_RC"

alice=$(balance ALICE-1) shop=$(balance SHOP-1)
for scheme in enc enc-rand enc-digest; do
	fw_holder "${PIN}K" "$T_DIR/fw-review-$scheme.png"
	"$TERMINAL" pay --card "unix:$FW_CT" --server "unix:$SUBMIT" --terminal-id T-1 \
		--receipt-key "$T_DIR/receipt.key" --amount 2.00 --currency EUR --to SHOP-1 \
		--payee-name "Board shop" --scheme "$scheme" --camera "file:$FW_PNG" --timeout 60 \
		>"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
	rc=$?
	wait "$HOLDER_PID"
	if [ "$rc" -ne 0 ]; then
		t_fail "$scheme: paid with the firmware card by scanning its PNG" "exit $rc" \
			"$(cat "$T_DIR/pay.err")" "$(tail -5 "$FW_UI_LOG")"
		continue
	fi
	t_ok "$scheme: paid with the firmware card by scanning its PNG (transfer $(field transfer-id))"
	t_eq "$scheme: receipt amount, payee, scheme" "2.00 EUR|SHOP-1|$scheme" \
		"$(field amount)|$(field payee)|$(field scheme)"
	alice=$((alice - 200)) shop=$((shop + 200))
	t_eq "$scheme: balances moved by the amount, once" "$alice $shop" \
		"$(balance ALICE-1) $(balance SHOP-1)"
	if cmp -s "$T_DIR/emu-review.png" "$T_DIR/fw-review-$scheme.png"; then
		t_ok "$scheme: the board's review PNG is the emulator's, byte for byte"
	else
		t_fail "$scheme: the board's review PNG is the emulator's, byte for byte" \
			"$(ls -l "$T_DIR/emu-review.png" "$T_DIR/fw-review-$scheme.png")"
	fi
done
# The password the camera read came from the board's password screen.
t_eq "the board showed its password screen with a QR code" 3 \
	"$(grep -c '"name":"password".*"qr":"' "$FW_UI_LOG")"

# Screen events screen-png cannot rebuild (one line of 6; cut short):
# named, exit 1, the PNG kept; the lines still pass through.
cp "$FW_PNG" "$T_DIR/kept.png"
printf '%s\n' '{"event":"screen","screen":{"id":2,"name":"review","title":"t","lines":["a"],"qr":null}}' \
	'{"event":"screen","screen":{"id":2,"name":"rev' >"$T_DIR/bad.ui"
"$CARD" screen-png --png "$FW_PNG" <"$T_DIR/bad.ui" >"$T_DIR/bad.out" 2>"$T_DIR/bad.err"
t_eq "bad screen events: exit 1" 1 "$?"
grep -q "line 1: a screen event with a bad lines" "$T_DIR/bad.err" &&
	t_ok "... 1 line of 6: named on stderr" || t_fail "... 1 line of 6: named on stderr" "$(cat "$T_DIR/bad.err")"
grep -q "line 2: not JSON" "$T_DIR/bad.err" &&
	t_ok "... cut short: named on stderr" || t_fail "... cut short: named on stderr" "$(cat "$T_DIR/bad.err")"
cmp -s "$T_DIR/kept.png" "$FW_PNG" && t_ok "... the PNG keeps the screen before it" ||
	t_fail "... the PNG keeps the screen before it"
cmp -s "$T_DIR/bad.ui" "$T_DIR/bad.out" && t_ok "... the lines are passed on" ||
	t_fail "... the lines are passed on"
"$CARD" screen-png </dev/null >/dev/null 2>&1
t_eq "screen-png without --png: usage, exit 2" 2 "$?"
fw_stop
server_down
t_done
