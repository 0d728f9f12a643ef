#!/usr/bin/env bash
# One full payment against the firmware in QEMU: a real server (SQLite
# ledger, HTTP API) prepares the card, the issuer personalises the board
# over its contact slot, the server enrols it; then sigcard-terminal pays
# with the card on the contact slot, the holder confirms with PIN + OK on
# the board's keypad (UART1), the terminal reads the joint password over
# the contactless slot and the server settles. Checked against the
# server's balances and the receipt, for every scheme.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
fw_require

fw_issuer || { t_fail "server prepared" "$(cat "$T_DIR/admin.log")"; t_done; exit; }
fw_start fw "$T_DIR/card.flash" || { t_fail "the board boots in QEMU" "$(cat "$T_DIR/fw.log")"; t_done; exit; }
PUB=$(fw_perso "$FW_CT" "$FW_TK" "$CARD_ID" "$(jq -r .k_card "$T_DIR/perso.json")" $PIN ALICE-1 2>"$T_DIR/perso.err")
t_eq "the board is personalised with the server's card data" 130 "${#PUB}"
jq -nc --arg id "$CARD_ID" --arg pk "$PUB" '{card_id: $id, account: "ALICE-1", public_key: $pk}' \
	>"$T_DIR/record.json"
t_check "the server enrols the board's key" "$SRV" -D "$d" card enrol --record "$T_DIR/record.json"
SUBMIT=$T_DIR/submit.sock
server_up || { t_fail "server up" "$(cat "$T_DIR/server.log")"; t_done; exit; }

# fw_holder KEYS: in the background, waits for the review on the board's
# screen, then types KEYS on its keypad.
fw_holder() {
	fw_mark
	( fw_wait_screen review 30 >/dev/null && fw_keys "$1" ) &
	HOLDER_PID=$!
}

alice=$(balance ALICE-1) shop=$(balance SHOP-1)
t_eq "opening balances" "10000 0" "$alice $shop"
n=0
for scheme in enc enc-rand enc-digest; do
	n=$((n + 1))
	amount="3.0$n"
	fw_holder "${PIN}K"
	"$TERMINAL" pay --card "unix:$FW_CT" --server "unix:$SUBMIT" --terminal-id T-FW \
		--receipt-key "$T_DIR/receipt.key" --amount "$amount" --currency EUR --to SHOP-1 \
		--payee-name "Board shop $n" --scheme "$scheme" --jp contactless \
		--contactless "unix:$FW_CL" --timeout 60 >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
	rc=$?
	wait "$HOLDER_PID"
	if [ "$rc" -ne 0 ]; then
		t_fail "$scheme: paid with the firmware card" "exit $rc" "$(cat "$T_DIR/pay.err")"
		continue
	fi
	t_ok "$scheme: paid with the firmware card (transfer $(field transfer-id))"
	t_eq "$scheme: receipt amount, payee, scheme" "$amount EUR|SHOP-1|$scheme" \
		"$(field amount)|$(field payee)|$(field scheme)"
	alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
	t_eq "$scheme: balances moved by the amount, once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
	grep -q "receipt: verified" "$T_DIR/pay.out" && t_ok "$scheme: receipt verified" ||
		t_fail "$scheme: receipt verified" "$(cat "$T_DIR/pay.out")"
	fw_wait_screen released 5 >/dev/null && t_ok "$scheme: the board shows the password was read" ||
		t_fail "$scheme: the board shows the password was read"
done
r=$("$FC" "$FW_CT" on 00A4040009F05349474341524401 00CADF2200 off | tail -n 1)
t_eq "the board's counter: one per signature" 000000039000 "$r"

# Cancel on the board's keypad: the terminal is refused, nothing moves.
fw_holder C
"$TERMINAL" pay --card "unix:$FW_CT" --server "unix:$SUBMIT" --terminal-id T-FW \
	--receipt-key "$T_DIR/receipt.key" --amount 9.99 --currency EUR --to SHOP-1 \
	--payee-name "Board shop" --scheme enc --jp contactless --contactless "unix:$FW_CL" \
	--timeout 20 >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
rc=$?
wait "$HOLDER_PID"
[ "$rc" -ne 0 ] && t_ok "holder cancels on the board: the payment fails (exit $rc)" || t_fail "holder cancels: payment fails"
t_eq "... and no money moved" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
server_down
t_done
