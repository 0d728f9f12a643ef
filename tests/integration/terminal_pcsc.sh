#!/usr/bin/env bash
# sigcard-terminal through real PC/SC: a private pcscd with vpcd (as in
# card_pcsc.sh: pcsc_helpers.bash), the emulated card dialling vpcd, and the terminal's
# pcsc: carrier (libpcsclite) doing SELECT, GET DATA and SIGN; the card
# leaves the reader when the terminal unpowers it, the holder confirms on
# the card, and the payment completes against the real server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
. "$(dirname "$0")/pcsc_helpers.bash"
pcsc_require "terminal over PC/SC"

READER="sigcard terminal vpcd 00 00"
pcsc_start pcscd "sigcard terminal vpcd" @PORT && PORT=$VPCD_PORT && t_ok "private pcscd with vpcd on port $PORT" ||
	{ t_fail "private pcscd" "$(cat "$T_DIR/pcscd.log")"; t_done; exit 1; }

# The server and a card enrolled with it; the card goes on vpcd, not a socket.
d=$T_DIR/srv; mkdir -p "$d"
"$SRV" -D "$d" init >"$T_DIR/admin.log" 2>&1 &&
"$SRV" -D "$d" account create ALICE-1 --currency EUR --balance 100.00 >>"$T_DIR/admin.log" 2>&1 &&
"$SRV" -D "$d" account create SHOP-1 --currency EUR >>"$T_DIR/admin.log" 2>&1 &&
"$SRV" -D "$d" card prepare --account ALICE-1 --out "$T_DIR/perso.json" >>"$T_DIR/admin.log" 2>&1 &&
( umask 077; printf '%s\n' "$PIN" >"$T_DIR/pin" ) &&
"$CARD" --flash "$T_DIR/card.flash" personalise --perso "$T_DIR/perso.json" --pin-file "$T_DIR/pin" \
	--export "$T_DIR/record.json" >"$T_DIR/perso.log" 2>&1 &&
"$SRV" -D "$d" card enrol --record "$T_DIR/record.json" >>"$T_DIR/admin.log" 2>&1 &&
"$SRV" -D "$d" key show >"$T_DIR/receipt.key" 2>>"$T_DIR/admin.log" ||
	{ t_fail "server and card set up" "$(cat "$T_DIR"/*.log | tail -20)"; t_done; exit 1; }
SUBMIT=$T_DIR/submit.sock
server_up || { t_fail "server up" "$(cat "$T_DIR/server.log")"; t_done; exit 1; }
CTL=$T_DIR/control.sock PNG=$T_DIR/screen.png

tpay() {
	"$TERMINAL" pay --server "unix:$SUBMIT" --terminal-id T-1 --receipt-key "$T_DIR/receipt.key" \
		--currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" "$@" \
		>"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
}

# no_card NAME CARD PATTERN: paying with CARD exits 3 (no card) and the
# error says PATTERN.
no_card() {
	local rc
	tpay --card "$2" --amount 1.00
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q "$3" "$T_DIR/pay.err"; then
		t_ok "$1"
	else
		t_fail "$1" "exit $rc" "$(cat "$T_DIR/pay.err")"
	fi
}

# The reader is there but holds no card yet; a reader that does not exist.
no_card "empty reader: exit 3, card-absent" "pcsc:$READER" "card-absent: pcsc:$READER: SCardConnect"
no_card "unknown reader: exit 3, names the readers there are" "pcsc:no such reader" "readers: \"$READER\""

card_start card --flash "$T_DIR/card.flash" --vpcd=127.0.0.1:$PORT --control "$CTL" --png "$PNG"
sc_wait_for 10 grep -q "vpcd: connected" "$T_DIR/card.log" && t_ok "the card dials vpcd" ||
	t_fail "the card dials vpcd" "$(cat "$T_DIR/card.log")"
sc_wait_for 10 bash -c "opensc-tool -l 2>/dev/null | grep -q 'Yes.*sigcard terminal vpcd'"

holder "${PIN}K"
tpay --card "pcsc:$READER" --amount 3.21 --scheme enc-digest --timeout 20
rc=$?
wait "$HOLDER_PID"
if [ "$rc" -eq 0 ]; then t_ok "paid through PC/SC (transfer $(field transfer-id))"
else t_fail "paid through PC/SC" "exit $rc" "$(cat "$T_DIR/pay.err")"; fi
t_eq "PC/SC: balances" "9679 321" "$(balance ALICE-1) $(balance SHOP-1)"
t_eq "PC/SC: the card showed the transaction once unpowered by the terminal" review \
	"$(jq -r .screen.name "$T_DIR/holder-wait.out")"
t_done
