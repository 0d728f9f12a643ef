#!/usr/bin/env bash
# The card firmware in QEMU (MPS2 AN385), through the same contact and
# contactless frame sockets and frameclient as the host emulator: boot and
# manufacture, ATRs, SELECT, unknown AID, GET DATA, malformed frames, the
# issuer's personalisation over APDUs, and what survives a restart: the
# store, the forward-secure entropy log, and no manufacture secrets left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
fw_require

SELECT=00A4040009F05349474341524401
ID=1122334455667788
KC=$(printf 'c3%.0s' $(seq 32))
FLASH=$T_DIR/card.flash

# --- the run script ---
out=$("$FW_RUN" --help); rc=$?
[ "$rc" -eq 0 ] && [[ $out == *"--contact SOCKET"* ]] && t_ok "run-firmware --help" || t_fail "run-firmware --help" "$out"
"$FW_RUN" --flash "$FLASH" >/dev/null 2>&1; t_eq "no --contact: usage, exit 2" 2 $?
printf 'x' >"$T_DIR/short.flash"
err=$("$FW_RUN" --flash "$T_DIR/short.flash" --contact "$T_DIR/x.sock" 2>&1); rc=$?
[ "$rc" -eq 2 ] && [[ $err == *"wrong size"* ]] && t_ok "a file that is no board image is refused" || t_fail "a file that is no board image is refused" "$err"
printf '00112233445566778899aabbccddeeff\n' >"$T_DIR/tk"; chmod 644 "$T_DIR/tk"
err=$("$FW_RUN" --flash "$T_DIR/tk.flash" --transport-key-file "$T_DIR/tk" --contact "$T_DIR/x.sock" 2>&1); rc=$?
[ "$rc" -eq 2 ] && [[ $err == *"group or others"* ]] && [ ! -e "$T_DIR/tk.flash" ] && t_ok "group-readable transport key refused, no image made" || t_fail "group-readable transport key refused" "$err"

# --- first boot: manufacture ---
fw_start fw "$FLASH" --seed "$(printf '5e%.0s' $(seq 32))" || { t_fail "the board boots in QEMU" "$(cat "$T_DIR/fw.log")"; t_done; exit 1; }
t_eq "first boot: manufactured, then booted" "true true" \
	"$(fw_wait_event manufactured 1 >/dev/null && echo true) $(fw_wait_event boot 1 | jq .ok)"
t_eq "the idle screen is shown" sigcard "$(fw_wait_screen idle 5 | jq -r .screen.title)"

atr=$("$FC" "$FW_CT" on atr)
t_eq "contact ATR (historical bytes SIGCARDC)" 3B888001534947434152444303 "$atr"
atr=$("$FC" "$FW_CL" on atr)
t_eq "contactless ATR (historical bytes SIGCARDL)" L "$(python3 -c 'import sys; print(chr(bytes.fromhex(sys.argv[1])[11]))' "$atr")"
r=($("$FC" "$FW_CT" on $SELECT 00A4040005A000000001 00CADF2300 00CADF2000 off))
t_eq "SELECT the applet: 9000" 9000 "${r[0]}"
t_eq "unknown AID: 6A82" 6A82 "${r[1]}"
t_eq "GET DATA lifecycle: personalising" 019000 "${r[2]}"
t_eq "GET DATA card id before personalisation: 6A88" 6A88 "${r[3]}"

# Malformed frames are answered 6700 by the board's carrier engine, as on
# the host emulator's sockets (PROTOCOL.md §1): the card never sees them,
# its state is kept (the applet stays selected), the stream stays in step.
r=$(echo $("$FC" "$FW_CT" on $SELECT body:03 00CADF2300))
t_eq "unknown control code: answered 6700, the applet still selected" "9000 6700 019000" "$r"
r=$(echo $("$FC" "$FW_CT" on $SELECT empty 00CADF2300))
t_eq "zero-length frame: answered 6700, the applet still selected" "9000 6700 019000" "$r"
big=$(printf '00%.0s' $(seq 1100))
r=$(echo $("$FC" "$FW_CT" on $SELECT body:$big 00CADF2300))
t_eq "a frame longer than the board takes: read whole, answered 6700" "9000 6700 019000" "$r"
r=$("$FC" "$FW_CT" on $SELECT)
t_eq "the next reader is served" 9000 "$r"
one_reader_at_a_time "$FW_CT" $SELECT

# --- personalisation by the issuer, over APDUs ---
PUB=$(fw_perso "$FW_CT" "$FW_TK" $ID "$KC" 4321 ALICE-9 2>"$T_DIR/perso.err")
t_eq "personalisation over the contact UART" "130 04" "${#PUB} ${PUB:0:2}"
r=($("$FC" "$FW_CT" on $SELECT 00CADF2000 00CADF2100 00CADF2300 00CADF2500 00CADF2400 00CADF2200 off))
t_eq "GET DATA card id" ${ID^^}9000 "${r[1]}"
t_eq "GET DATA public key = the one generated" "${PUB^^}9000" "${r[2]}"
t_eq "GET DATA lifecycle: issued" 029000 "${r[3]}"
t_eq "GET DATA account" "$(printf ALICE-9 | od -An -tx1 | tr -d ' \n' | tr a-f A-F)9000" "${r[4]}"
t_eq "GET DATA PIN tries: 3" 039000 "${r[5]}"
t_eq "GET DATA ATC: 0" 000000009000 "${r[6]}"
r=$("$FC" "$FW_CT" on $SELECT 0084000010 80820001200000000000000000000000000000000000000000000000000000000000000000 | tail -1)
t_eq "after ISSUE, EXTERNAL AUTHENTICATE is refused" 6985 "$(sw "$r")"

# --- power off and on: the store and the entropy log ---
fw_stop
kill -0 "$FW_PID" 2>/dev/null && t_fail "the board stops on SIGTERM" || t_ok "the board stops on SIGTERM"
[ ! -e "$FW_CT" ] && t_ok "... and removes its slot sockets" || t_fail "... and removes its slot sockets"
mfg_erased=$(python3 -c 'import sys; img = open(sys.argv[1], "rb").read(); print(int(img[8 * 2048:9 * 2048] == b"\xff" * 2048))' "$FLASH")
read -r n1 seq1 <<<"$(fw_entropy_log "$FLASH")"
t_eq "after first boot: manufacture page erased, one live entropy state" "mfg_erased=1 records=1" "mfg_erased=$mfg_erased records=$n1"
fw_start fw2 "$FLASH" || { t_fail "the board boots again"; t_done; exit 1; }
fw_wait_event manufactured 1 >/dev/null && t_fail "a second boot does not manufacture again" || t_ok "a second boot does not manufacture again"
r=($("$FC" "$FW_CT" on $SELECT 00CADF2000 00CADF2100 00CADF2300 off))
t_eq "after a restart: card id, key and lifecycle are kept" "${ID^^}9000 ${PUB^^}9000 029000" "${r[1]} ${r[2]} ${r[3]}"
fw_stop
read -r n2 seq2 <<<"$(fw_entropy_log "$FLASH")"
e2="records=$n2 seq=$seq2"
[ "${e2%% *}" = records=1 ] && [ "${e2##*seq=}" -gt "$seq1" ] && t_ok "a boot moves the entropy state on and zeroes the old one ($e2, was $seq1)" || t_fail "entropy state moves on" "$e2 after $seq1"

# The board's own handling of malformed frames, UART0 straight on a socket
# (no bridge): the same rule, every malformed frame answered 6700 and the
# stream in step.
sc_bg raw "$FW_RUN" --flash "$FLASH" --contact-raw "$T_DIR/raw.ct"
RAW_PID=$SC_LAST_PID
if sc_wait_sock "$T_DIR/raw.ct" 10; then
	t_eq "raw UART: an empty frame is answered 6700, the next served" "6700 9000" "$(echo $("$FC" "$T_DIR/raw.ct" empty on $SELECT))"
	r=$("$FC" "$T_DIR/raw.ct" on body:$big $SELECT)
	t_eq "raw UART: an over-long frame is skipped whole and answered 6700" "6700 9000" "$(echo $r)"
else
	t_fail "raw UART: the board starts" "$(cat "$T_DIR/raw.log")"
fi
kill -TERM "$RAW_PID"; wait "$RAW_PID" 2>/dev/null

# A blank image with no manufacture record: no entropy, no transport key.
# The board boots what it can and the card answers every APDU 6581.
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\xff" * 22528)' "$T_DIR/blank.flash"
fw_start blank "$T_DIR/blank.flash" || { t_fail "a blank board starts"; t_done; exit 1; }
t_eq "no manufacture record: the card does not boot" false "$(jq .ok <<<"$FW_BOOT")"
t_eq "... and answers SW_MEMORY_FAILURE" 6581 "$("$FC" "$FW_CT" on $SELECT)"
fw_stop
t_done
