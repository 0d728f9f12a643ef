#!/usr/bin/env bash
# The emulated PN532 pair (tests/pn532sim) under the real libnfc 1.8:
# nfc-list, unmodified, lists the emulated ISO 14443-4A card; APDU round
# trips between libnfc initiator and target programs up to the frame limit;
# raw-frame checks of what libnfc cannot reach (MI chaining across frames,
# extended frames, ACK/NACK, wake-up, corrupt and unknown frames, InAutoPoll);
# libnfc's own nfc-emulate-forum-tag4 read as a type 4 tag; the card taken
# out of the field mid-exchange.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nfc_helpers.bash"

"$PN532SIM" --help | grep -q 'pn532_uart:PATH'; t_eq "pn532sim --help" 0 $?
"$PN532SIM" --bogus >/dev/null 2>&1; t_eq "pn532sim: bad option exits 2" 2 $?
"$PN532SIM" --remove-at x >/dev/null 2>&1; t_eq "pn532sim: bad --remove-at exits 2" 2 $?
"$PN532SIM" --poll-wait-ms -1 >/dev/null 2>&1; t_eq "pn532sim: bad --poll-wait-ms exits 2" 2 $?
"$PN532SIM" --late-ms 0 >/dev/null 2>&1; t_eq "pn532sim: bad --late-ms exits 2" 2 $?
"$PN532SIM" --faults "$T_DIR/no-such-file" >/dev/null 2>&1; t_eq "pn532sim: missing --faults file exits 2" 2 $?
printf 'nack 8e 0\n' >"$T_DIR/bad-faults"
err=$("$PN532SIM" --faults "$T_DIR/bad-faults" 2>&1 >/dev/null); rc=$?
if [ "$rc" -eq 2 ] && [[ $err == *"bad-faults:1: not KIND CODE N"* ]]; then
	t_ok "pn532sim: a bad --faults line exits 2, named by file and line"
else t_fail "pn532sim: a bad --faults line exits 2, named" "rc=$rc" "$err"; fi

nfc_sim_start sim1 || { t_fail "pn532sim starts"; t_done; exit 1; }
t_ok "pn532sim starts and names its two ports"

# --- nfc-list against the reader side while a libnfc target waits ---
sc_bg echo1 "$NFC_ECHO" "$CARD_CS"
ECHO_PID=$SC_LAST_PID
nfc_wait_log 1 'card: target armed' || t_fail "echo target armed" "$(cat "$T_DIR/echo1.log")"
out=$(LIBNFC_DEFAULT_DEVICE=$READER_CS timeout 30 nfc-list 2>&1); rc=$?
t_eq "nfc-list exits 0" 0 "$rc"
for want in "1 ISO14443A passive target(s) found" "ATQA (SENS_RES): 00  04" \
	"UID (NFCID[0-9]): 08  ab  cd  ef" "SAK (SEL_RES): 20" "ATS: 78  80  70  02  45  43  48  4f"; do
	if grep -qE "$(printf '%s' "$want" | sed 's/[()]/\\&/g')" <<<"$out"; then
		t_ok "nfc-list shows: $want"
	else
		t_fail "nfc-list shows: $want" "$out"
	fi
done

# --- APDU round trips: nfc_initiator_transceive_bytes <-> nfc_target_* ---
nfc_wait_log 2 'card: target armed'
out=$(timeout 30 "$NFC_APDU" "$READER_CS" 00A4040009F05349474341524401 @200 @262 2>&1); rc=$?
t_eq "nfc_apdu: three exchanges succeed" 0 "$rc"
lines=()
mapfile -t lines <<<"$out"
t_eq "initiator sees UID 08ABCDEF" "uid 08ABCDEF" "${lines[0]}"
t_eq "initiator sees the ATS" "ats 788070024543484F" "${lines[3]}"
t_eq "14-byte APDU answered (reversed)" "0144524143474953F0090004A400" "${lines[4]}"
t_eq "200-byte message answered" "$(nfc_pattern 200 rev)" "${lines[5]}"
t_eq "262-byte message (frame limit) answered" "$(nfc_pattern 262 rev)" "${lines[6]}"
if grep -qx "rx $(nfc_pattern 262)" "$T_DIR/echo1.log"; then t_ok "target received the 262 bytes intact"
else t_fail "target received the 262 bytes intact" "$(cut -c1-100 "$T_DIR/echo1.log")"; fi
nfc_stop "$ECHO_PID"

# --- raw frames: what libnfc's own buffers cannot reach ---
for s in framing chained removal autopoll; do
	t_check "raw frames: $s" timeout 30 python3 "$RAWHOST" "$PN532SIM_READER" "$PN532SIM_CARD" "$s"
done

# --- another unmodified libnfc target: an NFC Forum type 4 tag ---
armed=$(grep -c 'card: target armed' "$PN532SIM_LOG")
sc_bg tag4 env LIBNFC_DEFAULT_DEVICE="$CARD_CS" nfc-emulate-forum-tag4
TAG4_PID=$SC_LAST_PID
nfc_wait_log $((armed + 1)) 'card: target armed'
out=$(timeout 30 "$NFC_APDU" "$READER_CS" 00A4040007D276000085010100 00A4000C02E103 00B000000F 2>&1); rc=$?
lines=()
mapfile -t lines <<<"$out"
if [ "$rc" -eq 0 ] && [ "${lines[4]}" = 9000 ] && [ "${lines[5]}" = 9000 ] &&
   [[ ${lines[6]} == 000F20*9000 ]]; then
	t_ok "nfc-emulate-forum-tag4: NDEF application selected, capability container read"
else
	t_fail "nfc-emulate-forum-tag4: NDEF application selected, capability container read" \
		"rc=$rc" "$out" "$(cat "$T_DIR/tag4.log")"
fi
nfc_stop "$TAG4_PID"
nfc_stop "$PN532SIM_PID"

# --- the card taken out of the field mid-exchange ---
nfc_sim_start sim2 --remove-at 2 || t_fail "pn532sim --remove-at starts"
sc_bg echo2 "$NFC_ECHO" "$CARD_CS"
ECHO_PID=$SC_LAST_PID
nfc_wait_log 1 'card: target armed'
out=$(timeout 30 "$NFC_APDU" "$READER_CS" 0102 0304 0506 2>&1); rc=$?
t_eq "exchange with the card gone fails" 1 "$rc"
if grep -q '^0201$' <<<"$out" && ! grep -q '^0403$' <<<"$out"; then t_ok "first exchange answered, second not"
else t_fail "first exchange answered, second not" "$out"; fi
if grep -q 'exchange failed: RF Transmission Error' <<<"$out"; then t_ok "initiator names the RF error"
else t_fail "initiator names the RF error" "$out"; fi
if sc_wait_for 5 grep -q '^released' "$T_DIR/echo2.log"; then t_ok "target is told it was released"
else t_fail "target is told it was released" "$(cat "$T_DIR/echo2.log")"; fi
grep -q 'card taken out of the field' "$PN532SIM_LOG"; t_eq "sim logs the removal" 0 $?
nfc_stop "$ECHO_PID"
nfc_stop "$PN532SIM_PID"

# --- the test hook that holds a reader's poll until the card is armed ---
nfc_sim_start sim4 --poll-wait-ms 500 || t_fail "pn532sim --poll-wait-ms starts"
t_check "raw frames: a poll held until the card is armed, then none" \
	timeout 30 python3 "$RAWHOST" "$PN532SIM_READER" "$PN532SIM_CARD" pollwait
t_done
