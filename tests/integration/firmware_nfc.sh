#!/usr/bin/env bash
# The firmware's PN532 front end (card/board/common/pn532.c) through the real
# libnfc: the board's UART2 is wired to the card-side chip of tests/pn532sim,
# whose reader side unmodified nfc-list and sigcard-terminal's nfc: carrier
# open. nfc-list lists the board; a full payment per scheme over NFC, the
# joint password read contactlessly once; the card taken out of the field
# while it signs (nothing moves, the counter and the flash stay
# consistent); commands longer than one chip frame (MI chaining); a PN532
# that NACKs a command, loses one, sends a bad checksum, answers late or
# with its error frame: the firmware recovers, and the terminal gets a
# clear error where the exchange is lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
. "$(dirname "$0")/nfc_helpers.bash"
TERM_APDU=$SC_BUILD/tests/tools/term_apdu
fw_require
if ! command -v nfc-list >/dev/null; then
	t_skip "firmware over NFC" "nfc-list (libnfc-bin) is not installed"
	t_done
	exit 0
fi

fw_issuer || { t_fail "server prepared" "$(cat "$T_DIR/admin.log")"; t_done; exit; }

# The card-side chip's faults, armed by rewriting this file and SIGHUP.
FAULTS=$T_DIR/faults
: >"$FAULTS"
# --fwt-ms: a SIGN under QEMU on a loaded machine may take seconds.
nfc_sim_start sim -v --poll-wait-ms 20000 --fwt-ms 20000 --faults "$FAULTS" --late-ms 4000 ||
	{ t_fail "pn532sim starts"; t_done; exit; }
FW_PN532=$PN532SIM_CARD fw_start fw "$T_DIR/card.flash" ||
	{ t_fail "the board boots in QEMU" "$(cat "$T_DIR/fw.log")"; t_done; exit; }
if nfc_wait_log 1 'card: target armed' 30 && grep -q 'card: woken up by 0x55' "$PN532SIM_LOG"; then
	t_ok "the board wakes its PN532 (0x55, SAMConfiguration) and arms it as a card"
else
	t_fail "the board wakes its PN532 and arms it as a card" "$(tail "$PN532SIM_LOG")" "$(cat "$T_DIR/fw.log")"
	t_done; exit
fi

PUB=$(fw_perso "$FW_CT" "$FW_TK" "$CARD_ID" "$(jq -r .k_card "$T_DIR/perso.json")" $PIN ALICE-1 2>"$T_DIR/perso.err")
t_eq "the board is personalised over its contact slot" 130 "${#PUB}"
jq -nc --arg id "$CARD_ID" --arg pk "$PUB" '{card_id: $id, account: "ALICE-1", public_key: $pk}' \
	>"$T_DIR/record.json"
t_check "the server enrols the board's key" "$SRV" -D "$d" card enrol --record "$T_DIR/record.json"
SUBMIT=$T_DIR/submit.sock
server_up || { t_fail "server up" "$(cat "$T_DIR/server.log")"; t_done; exit; }

# fw_nfc_events: the board's selection events so far, one word a line.
fw_nfc_events() {
	grep -o '"event":"nfc","what":"[a-z_]*"' "$FW_UI_LOG" | sed 's/.*"what":"\(.*\)"/\1/'
}
# fw_at_rest: waits until the board, since its last selection, has counted
# itself out of the field or started its chip afresh (armed with a new UID
# for the next reader); a reader started before could select it in the
# instant it re-arms.
fw_at_rest() {
	sc_wait_for 30 bash -c "last=\$(grep -o '\"what\":\"[a-z_]*\"' '$FW_UI_LOG' |
		grep -E 'selected|released|out_of_field|error_frame|chip_lost' | tail -n 1)
		[ -z \"\$last\" ] || [ \"\$last\" != '\"what\":\"selected\"' ] &&
		[ \"\$last\" != '\"what\":\"released\"' ]"
}
# fw_holder KEYS: in the background, waits for the review on the board's
# screen, then types KEYS on its keypad.
fw_holder() {
	fw_mark
	( fw_wait_screen review 60 >/dev/null && fw_keys "$1" ) &
	HOLDER_PID=$!
}
# fw_atc: the board's counter over its contact slot.
fw_atc() {
	local r
	r=$("$FC" "$FW_CT" on 00A4040009F05349474341524401 00CADF2200 off | tail -n 1)
	printf '%d' "0x${r:0:8}"
}
# nfc_pay ARGS: the terminal with the card and the password both over NFC.
nfc_pay() {
	"$TERMINAL" pay --card "nfc:$READER_CS" --server "unix:$SUBMIT" --terminal-id T-FW \
		--receipt-key "$T_DIR/receipt.key" --currency EUR --to SHOP-1 --jp contactless \
		--contactless "nfc:$READER_CS" "$@" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
	PAY_RC=$?
}
# arm_faults LINES: the card-side chip's next faults, counted from now.
arm_faults() {
	local armed
	armed=$(grep -c 'faults armed from' "$PN532SIM_LOG")
	printf '%s\n' "$@" >"$FAULTS"
	kill -HUP "$PN532SIM_PID"
	nfc_wait_log $((armed + 1)) 'faults armed from' 10
}

# --- nfc-list, unmodified, lists the board once ---
fw_at_rest
sel_before=$(fw_nfc_events | grep -c '^selected$')
LIBNFC_DEFAULT_DEVICE=$READER_CS timeout 60 nfc-list >"$T_DIR/list.out" 2>&1
out=$(cat "$T_DIR/list.out")
if grep -q 'ATQA (SENS_RES): 00  04' <<<"$out" && grep -q 'SAK (SEL_RES): 20' <<<"$out" &&
   grep -qE 'UID \(NFCID[0-9]\): 08  ' <<<"$out" &&
   grep -q 'ATS: 78  80  70  02  53  49  47  43  41  52  44  4c' <<<"$out"; then
	t_ok "nfc-list lists the board (ATQA 00 04, SAK 20, UID 08..., ATS with SIGCARDL)"
else
	t_fail "nfc-list lists the board" "$out" "$(tail -20 "$PN532SIM_LOG")"
fi
sc_wait_for 10 bash -c "[ \$(grep -c '\"what\":\"selected\"' '$FW_UI_LOG') -ge $((sel_before + 2)) ]"
sel=$(($(fw_nfc_events | grep -c '^selected$') - sel_before))
if grep -q '^1 ISO14443A passive target(s) found' <<<"$out" && [ "$sel" -ge 2 ] &&
   [ "$(grep -c 'UID (NFCID' <<<"$out")" -eq 1 ]; then
	t_ok "re-armed after nfc-list's release with the same UID: listed once ($sel selections)"
else
	t_fail "re-armed after nfc-list's release with the same UID: listed once" "$sel selections" "$out"
fi

# --- a full payment over NFC, each scheme ---
alice=$(balance ALICE-1) shop=$(balance SHOP-1)
t_eq "opening balances" "10000 0" "$alice $shop"
n=0
for scheme in enc enc-rand enc-digest; do
	n=$((n + 1))
	fw_at_rest
	fw_holder "${PIN}K"
	nfc_pay --amount "3.0$n" --payee-name "Board NFC shop $n" --scheme "$scheme" --timeout 60
	wait "$HOLDER_PID"
	if [ "$PAY_RC" -ne 0 ]; then
		t_fail "$scheme over the PN532: paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")" \
			"$(tail -20 "$PN532SIM_LOG")"
		continue
	fi
	t_ok "$scheme over the PN532: paid (transfer $(field transfer-id))"
	alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
	t_eq "$scheme over the PN532: balances moved once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
	grep -q "receipt: verified" "$T_DIR/pay.out" && t_ok "$scheme over the PN532: receipt verified" ||
		t_fail "$scheme over the PN532: receipt verified" "$(cat "$T_DIR/pay.out")"
	fw_wait_screen released 10 >/dev/null && t_ok "$scheme: the board shows the password was read" ||
		t_fail "$scheme: the board shows the password was read"
done
jp_reads=$(grep -c 'card -> .* d5 87 00 80 4a' "$PN532SIM_LOG")
[ "$jp_reads" -ge 3 ] && t_ok "GET JOINT PASSWORD reached the board through its PN532 ($jp_reads times)" ||
	t_fail "GET JOINT PASSWORD reached the board through its PN532" "$jp_reads"
# Once: the password just released is not given again.
fw_at_rest
again=$(timeout 60 "$TERM_APDU" "nfc:$READER_CS" 00A4040009F05349474341524401 804A000008 2>&1)
t_eq "the password is released once: read again over NFC, 6984" "9000|6984" \
	"$(head -n 1 <<<"$again")|$(tail -n 1 <<<"$again")"
t_eq "the board's counter: one per signature" 3 "$(fw_atc)"

# --- commands longer than one of the chip's frames: MI chaining ---
# A raw reader sends 300 and 600 bytes in one exchange each; the chip hands
# them to the board in 262-byte TgGetData parts (MI set on all but the
# last). The board answers as over its contact slot: the 300 bytes as a
# command, the 600 bytes (beyond its command buffer) 6700, state intact.
long_apdu() { python3 -c 'import sys
n = int(sys.argv[1]); d = bytes((5 * i + 3) & 0xFF for i in range(n - 7))
print(("802A000000%04X" % len(d)) + d.hex().upper())' "$1"; }
SELECT=00A4040009F05349474341524401
a300=$(long_apdu 300) a600=$(long_apdu 600)
fw_at_rest
fw_mark
over_nfc=$(timeout 60 python3 "$RAWHOST" "$PN532SIM_READER" - apdus "$SELECT" "$a300" "$a600" 2>&1)
over_ct=$("$FC" "$FW_CT" on "$SELECT" "$a300" "$a600" off 2>&1)
t_eq "300 and 600 bytes in one exchange: the same answers as over the contact slot" "$over_ct" "$over_nfc"
t_eq "... the 600 bytes refused 6700" 6700 "$(tail -n 1 <<<"$over_nfc")"
mi=$(grep -c 'card -> .*d5 87 40 ' "$PN532SIM_LOG")
[ "$mi" -ge 3 ] && t_ok "the chip chained them to the board with MI ($mi parts)" ||
	t_fail "the chip chained them to the board with MI" "$mi"
fw_wait_json '.event == "bad_frame" and .why == "frame too long"' 5 >/dev/null &&
	t_ok "the board reports the over-long command" || t_fail "the board reports the over-long command"
t_eq "... and its counter did not move" 3 "$(fw_atc)"

# --- the card taken out of the field while it signs ---
# The fault takes the card away as soon as its PN532 has handed the board
# the 5th command of the next session (SELECT, GET DATA card id, account
# and PIN tries, SIGN): the board signs with no reader left.
fw_at_rest
atc_before=$(fw_atc)
arm_faults "remove 86 5"
fw_mark
nfc_pay --amount 9.99 --payee-name "Gone" --scheme enc --timeout 20
t_eq "card removed during SIGN: exit 4 (card removed)" 4 "$PAY_RC"
if grep -q 'left the field during a command' "$T_DIR/pay.err"; then t_ok "the terminal says the card left the field"
else t_fail "the terminal says the card left the field" "$(cat "$T_DIR/pay.err")"; fi
if grep -B3 'card taken out of the field (fault' "$PN532SIM_LOG" | grep -q 'card -> .* d5 87 00 80 2a'; then
	t_ok "the board had the SIGN when the card left the field"
else t_fail "the board had the SIGN when the card left the field" "$(grep -B3 'taken out' "$PN532SIM_LOG")"; fi
fw_wait_json '.event == "nfc" and .what == "released"' 30 >/dev/null &&
	t_ok "the board's PN532 reports the release after the SIGN; it re-arms" ||
	t_fail "the board sees the release after the SIGN" "$(tail "$FW_UI_LOG")"
# The signature was never delivered: the holder is asked on the board
# (claim 7) and cancels, so its password is void.
fw_wait_screen review 30 >/dev/null && fw_keys C
fw_wait_screen cancelled 30 >/dev/null && t_ok "the undelivered signature is voided on the board" ||
	t_fail "the undelivered signature is voided on the board" "$(tail -3 "$FW_UI_LOG")"
kill -USR2 "$PN532SIM_PID"
nfc_wait_log 1 'card back in the field'
t_eq "nothing moved" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
t_eq "the counter counts the signature the board made, once" "$((atc_before + 1))" "$(fw_atc)"
fw_at_rest
n=$((n + 1))
fw_holder "${PIN}K"
nfc_pay --amount "3.0$n" --payee-name "Board NFC shop $n" --scheme enc-rand --timeout 60
wait "$HOLDER_PID"
t_eq "back in the field: the next payment goes through" 0 "$PAY_RC"
alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
t_eq "... moving the money once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
t_eq "... and the counter by one more: the flash kept every count" "$((atc_before + 2))" "$(fw_atc)"

# --- a PN532 that NACKs, loses a command, sends a bad checksum ---
# The 2nd TgSetData is NACKed (dropped: the board sends it again), the 3rd
# TgGetData answer comes with a bad checksum (the board NACKs it: the chip
# sends it again), the 5th TgGetData is lost on the line (no ACK: the board
# sends it again); the payment goes through.
fw_at_rest
arm_faults "nack 8e 2" "bad-dcs 86 3" "drop 86 5"
fw_mark
n=$((n + 1))
fw_holder "${PIN}K"
nfc_pay --amount "3.0$n" --payee-name "Board NFC shop $n" --scheme enc --timeout 60
wait "$HOLDER_PID"
t_eq "PN532 NACKs a command and corrupts an answer: paid all the same" 0 "$PAY_RC"
alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
t_eq "... once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
if grep -q 'fault: NACK instead of ACK for command 8e' "$PN532SIM_LOG" &&
   fw_wait_json '.event == "nfc" and .what == "nack"' 5 >/dev/null; then
	t_ok "the board sent the NACKed TgSetData again"
else t_fail "the board sent the NACKed TgSetData again" "$(grep fault "$PN532SIM_LOG")"; fi
if grep -q 'fault: answer to 86 sent with a bad checksum' "$PN532SIM_LOG" &&
   fw_wait_json '.event == "nfc" and .what == "bad_dcs"' 5 >/dev/null &&
   nfc_wait_after 'answer to 86 sent with a bad checksum' 'card: NACK: the last answer again' 5; then
	t_ok "the board NACKed the answer with the bad checksum and took it again"
else t_fail "the board NACKed the bad checksum" "$(grep -A2 'bad checksum' "$PN532SIM_LOG")"; fi

if grep -q 'fault: command 86 lost on the line: no ACK' "$PN532SIM_LOG" &&
   fw_wait_json '.event == "nfc" and .what == "no_ack"' 5 >/dev/null; then
	t_ok "the board sent the TgGetData the chip never ACKed again"
else t_fail "the board sent the unACKed TgGetData again" "$(grep fault "$PN532SIM_LOG")"; fi

# --- a PN532 that answers late: the board gives up, the terminal is told ---
# The answer to the 2nd TgSetData of the next session is held back 4 s: the
# board aborts it (ACK) and arms the chip again; the reader's next command
# finds no card.
fw_at_rest
arm_faults "late 8e 2"
fw_mark
nfc_pay --amount 9.98 --payee-name "Late" --scheme enc --timeout 20
t_eq "PN532 answers late: the terminal fails with exit 4 (card removed)" 4 "$PAY_RC"
if grep -q 'left the field during a command' "$T_DIR/pay.err"; then t_ok "the terminal names the lost card"
else t_fail "the terminal names the lost card" "$(cat "$T_DIR/pay.err")"; fi
if fw_wait_json '.event == "nfc" and .what == "late"' 10 >/dev/null &&
   grep -q 'card: late answer withdrawn (host sent ACK)' "$PN532SIM_LOG"; then
	t_ok "the board gave up on the late answer with an ACK"
else t_fail "the board gave up on the late answer with an ACK" "$(tail "$FW_UI_LOG")"; fi
t_eq "nothing moved" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
atc_before=$(fw_atc)
fw_at_rest
n=$((n + 1))
fw_holder "${PIN}K"
nfc_pay --amount "3.0$n" --payee-name "Board NFC shop $n" --scheme enc-digest --timeout 60
wait "$HOLDER_PID"
t_eq "after the late answer: the next payment goes through" 0 "$PAY_RC"
alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
t_eq "... once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
t_eq "... one more on the counter" "$((atc_before + 1))" "$(fw_atc)"

# --- a PN532 that answers a command with its syntax error frame ---
# The board cannot know what the chip did: it starts the chip afresh
# (wake-up, configuration, armed with a new UID); the reader's exchange is
# lost and the terminal says so; the next payment goes through.
fw_at_rest
arm_faults "syntax 8e 2"
fw_mark
nfc_pay --amount 9.97 --payee-name "Syntax" --scheme enc --timeout 20
t_eq "PN532 error frame: the terminal fails with exit 4 (card removed)" 4 "$PAY_RC"
if fw_wait_json '.event == "nfc" and .what == "error_frame"' 10 >/dev/null &&
   nfc_wait_after 'fault: command answered as a syntax error' 'card <- d4 14 01' 10 &&
   nfc_wait_after 'fault: command answered as a syntax error' 'card: target armed' 10; then
	t_ok "the board woke, configured and armed its chip again after the error frame"
else t_fail "the board started its chip afresh after the error frame" "$(tail "$PN532SIM_LOG")"; fi
t_eq "nothing moved" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
fw_at_rest
n=$((n + 1))
fw_holder "${PIN}K"
nfc_pay --amount "3.0$n" --payee-name "Board NFC shop $n" --scheme enc --timeout 60
wait "$HOLDER_PID"
t_eq "after the error frame: the next payment goes through" 0 "$PAY_RC"
alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
t_eq "... once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"

server_down
fw_stop
nfc_stop "$PN532SIM_PID"
t_done
