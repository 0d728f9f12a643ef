#!/usr/bin/env bash
# The EK-LM3S6965 port (card/board/lm3s6965/, docs/board-lm3s6965.md) in
# QEMU's lm3s6965evb, through the port's own drivers: its clock and
# SysTick, its PL011 UARTs (UART1 drives the card-side chip of
# tests/pn532sim, whose reader side libnfc and sigcard-terminal open;
# UART0 is the contact slot, UART2 the UI events), its OLED on SSI0 (read
# back with QMP's screendump and decoded by tests/integration/board_panel.py
# against the screen model the UI events carry) and its buttons on GPIO
# (pressed with QMP's send-key): the holder reviews the payment on the
# OLED, enters the PIN on the button wheel (a stray digit taken back with
# Backspace) and confirms; a payment
# cancelled with up+down moves nothing. The flash controller is not
# emulated by QEMU: the store is the semihosted file, as on the MPS2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
. "$(dirname "$0")/nfc_helpers.bash"
PANEL=$SC_TOP/tests/integration/board_panel.py
FW_ELF=$SC_TOP/build/firmware-lm3s6965/sigcard-card.elf
fw_require
if ! command -v nfc-list >/dev/null; then
	t_skip "the LM3S6965 board over NFC" "nfc-list (libnfc-bin) is not installed"
	t_done
	exit 0
fi

fw_issuer || { t_fail "server prepared" "$(cat "$T_DIR/admin.log")"; t_done; exit; }
# --fwt-ms: a SIGN under QEMU on a loaded machine may take seconds.
nfc_sim_start sim -v --poll-wait-ms 20000 --fwt-ms 20000 ||
	{ t_fail "pn532sim starts"; t_done; exit; }
QMP=$T_DIR/qmp.sock
FW_PN532=$PN532SIM_CARD fw_start fw "$T_DIR/card.flash" --board lm3s6965 --qmp "$QMP" ||
	{ t_fail "the LM3S6965 board boots in QEMU" "$(cat "$T_DIR/fw.log")"; t_done; exit; }
sc_wait_sock "$QMP" 10 || { t_fail "QEMU's QMP socket"; t_done; exit; }
if nfc_wait_log 1 'card: target armed' 30 && grep -q 'card: woken up by 0x55' "$PN532SIM_LOG"; then
	t_ok "the board wakes its PN532 through its UART1 and arms it as a card"
else
	t_fail "the board wakes its PN532 through its UART1" "$(tail "$PN532SIM_LOG")" "$(cat "$T_DIR/fw.log")"
	t_done; exit
fi

# oled_expect SCREEN_JSON WHEEL: the 8 text rows the OLED must show for
# that screen model (display.c: the title, the six lines, the wheel's row
# when WHEEL is a digit; 21 cells a row, lowercase as uppercase, any byte
# beyond the font as '?').
oled_expect() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = json.loads(sys.argv[1])["screen"]
def row(t):
    out = ""
    for b in t.encode()[:21]:
        c = chr(b).upper() if 97 <= b <= 122 else chr(b)
        out += c if 32 <= ord(c) < 96 else "?"
    return out.rstrip()
rows = [row(s["title"])] + [row(l) for l in s["lines"]]
rows.append("PIN DIGIT  [%s]" % sys.argv[2] if sys.argv[2] != "-" else "")
print("\n".join(rows))
PY
}
# oled_shows WHAT SCREEN_JSON WHEEL: passes once the OLED, read back,
# shows that screen (it is drawn just after the UI event is sent).
oled_shows() {
	local want got
	want=$(oled_expect "$2" "$3")
	sc_wait_for 60 oled_is "$want"
	got=$(oled)
	t_eq "the OLED shows $1" "$want" "$got"
}
oled() { python3 "$PANEL" "$QMP" screen 2>&1; }
oled_is() { [ "$(oled)" = "$1" ]; }
oled_is_not() { [ "$(oled)" != "$1" ]; }
keys() { python3 "$PANEL" "$QMP" keys "$@"; }
# press K...: each key pressed once it is seen: the next waits until the
# OLED has changed. A press the firmware did not sample (its CPU starved
# on a loaded host through the whole hold) leaves the screen as it was for
# seconds, and is pressed again, at most three times; a press it did take
# always changes the screen (the wheel, the PIN's stars, the next screen).
press() {
	local k before try
	for k in "$@"; do
		before=$(oled)
		for try in 1 2 3; do
			keys "$k"
			sc_wait_for 10 oled_is_not "$before" && break
		done
		oled_is_not "$before" || { echo "# the board took no press of $k"; return 1; }
	done
}

idle=$(fw_wait_screen idle 30)
oled_shows "the idle screen" "$idle" -
# QEMU's buttons read pressed until each has been pressed once (keys.c):
# one press of each arms them, and does nothing.
keys up down left right select

PUB=$(fw_perso "$FW_CT" "$FW_TK" "$CARD_ID" "$(jq -r .k_card "$T_DIR/perso.json")" $PIN ALICE-1 2>"$T_DIR/perso.err")
t_eq "the board is personalised over its contact slot (UART0)" 130 "${#PUB}"
jq -nc --arg id "$CARD_ID" --arg pk "$PUB" '{card_id: $id, account: "ALICE-1", public_key: $pk}' \
	>"$T_DIR/record.json"
t_check "the server enrols the board's key" "$SRV" -D "$d" card enrol --record "$T_DIR/record.json"
SUBMIT=$T_DIR/submit.sock
server_up || { t_fail "server up" "$(cat "$T_DIR/server.log")"; t_done; exit; }

# nfc_pay_bg ARGS: the terminal, card and password over NFC, in the
# background (PAY_PID); its exit status is read with pay_wait.
nfc_pay_bg() {
	"$TERMINAL" pay --card "nfc:$READER_CS" --server "unix:$SUBMIT" --terminal-id T-LM3S \
		--receipt-key "$T_DIR/receipt.key" --currency EUR --to SHOP-1 --jp contactless \
		--contactless "nfc:$READER_CS" --timeout 90 "$@" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err" &
	PAY_PID=$!
}
pay_wait() { wait "$PAY_PID"; PAY_RC=$?; }
# pin_keys PIN: the button presses that enter PIN on the wheel (up N
# times, right), the wheel back at 0 after each digit.
pin_keys() {
	local i d k=()
	for ((i = 0; i < ${#1}; i++)); do
		d=${1:i:1}
		while [ "$d" -gt 0 ]; do k+=(up); d=$((d - 1)); done
		k+=(right)
	done
	printf '%s\n' "${k[@]}"
}

# --- a payment: reviewed on the OLED, the PIN on the buttons ---
alice=$(balance ALICE-1) shop=$(balance SHOP-1)
fw_mark
nfc_pay_bg --amount 4.25 --payee-name "LM3S shop"
if review=$(fw_wait_screen review 90); then
	t_ok "the board asks for the PIN (review screen)"
	oled_shows "the review with the PIN wheel at 0" "$review" 0
	python3 "$PANEL" "$QMP" screen | sed 's/^/# OLED: /'
	press up up up
	oled_shows "the wheel at 3 after three presses of up (the buttons' GPIO)" "$review" 3
	press down
	oled_shows "the wheel at 2 after down" "$review" 2
	# Back to 0; a stray 5 entered and taken back with left (Backspace:
	# without it the PIN would be wrong), then the PIN digit by digit, then
	# select (OK).
	press down down $(pin_keys 5) left $(pin_keys "$PIN") select
else
	t_fail "the board asks for the PIN (review screen)" "$(cat "$T_DIR/pay.err")"
fi
pay_wait
if [ "$PAY_RC" -eq 0 ]; then
	t_ok "paid with the PIN from the buttons (transfer $(field transfer-id))"
else
	t_fail "paid with the PIN from the buttons" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
fi
t_eq "balances moved once" "$((alice - 425)) $((shop + 425))" "$(balance ALICE-1) $(balance SHOP-1)"
if released=$(fw_wait_screen released 10); then
	oled_shows "that the password was read" "$released" -
else
	t_fail "the board shows the password was read"
fi

# --- cancelled on the buttons: up and down together ---
alice=$(balance ALICE-1) shop=$(balance SHOP-1)
fw_mark
nfc_pay_bg --amount 9.99 --payee-name "LM3S cancel"
if fw_wait_screen review 90 >/dev/null; then
	keys up+down
	cancelled=$(fw_wait_screen cancelled 10) && oled_shows "the cancellation" "$cancelled" - ||
		t_fail "up+down cancels: the board shows the cancellation"
else
	t_fail "the board asks for the PIN again" "$(cat "$T_DIR/pay.err")"
fi
pay_wait
[ "$PAY_RC" -ne 0 ] && t_ok "the cancelled payment fails at the terminal (exit $PAY_RC)" ||
	t_fail "the cancelled payment fails at the terminal" "$(cat "$T_DIR/pay.out")"
t_eq "nothing moved" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"

fw_stop

# --- the board image (sigcard-card-hw.elf) runs without a debugger's host ---
# QEMU without semihosting: a semihosting call would fault. Its flash
# controller is not emulated (the chip's flash reads as zeros there, and
# nothing is programmed), so the card finds no manufacture record and
# boots as a card that answers SW_MEMORY_FAILURE: the check is that the
# image reaches its main loop and reports on its UI UART (UART2).
HW_ELF=$SC_TOP/build/firmware-lm3s6965/sigcard-card-hw.elf
HW_UI=$T_DIR/hw.ui
sc_bg hw qemu-system-arm -M lm3s6965evb -nographic -monitor none -no-reboot -kernel "$HW_ELF" \
	-serial null -serial null -chardev "socket,id=ui,path=$HW_UI,server=on,wait=on" -serial chardev:ui
HW_PID=$SC_LAST_PID
sc_wait_sock "$HW_UI" 10
hw_out=$(timeout 30 python3 - "$HW_UI" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(25)
d = b""
while b"\n" not in d.split(b'"event":"boot"', 1)[-1] or b'"event":"boot"' not in d:
    x = s.recv(4096)
    if not x:
        break
    d += x
print(d.decode(errors="replace"))
PY
)
kill -TERM "$HW_PID" 2>/dev/null
wait "$HW_PID" 2>/dev/null
if grep -qx '{"event":"boot","ok":false}' <<<"$hw_out" && ! grep -q '^# ' <<<"$hw_out"; then
	t_ok "the board image boots in QEMU without semihosting (no manufacture record: not ok)"
else
	t_fail "the board image boots in QEMU without semihosting" "$hw_out" "$(cat "$T_DIR/hw.log")"
fi
t_done
