#!/usr/bin/env bash
# Real PC/SC: a private pcscd (its own reader.conf.d with vpcd on a free
# port, its own /run in a private mount namespace, so a system pcscd is not
# touched; pcsc_helpers.bash), sigcard-card dialling
# vpcd, and opensc-tool talking to the card through libpcsclite: SELECT, GET
# DATA, an unknown AID, SIGN with on-card confirmation, and pcscd restarting
# under the card.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"
. "$(dirname "$0")/pcsc_helpers.bash"

SELECT=00A4040009F05349474341524401
ID=feedfacecafe0001
PIN=1357
CTL=$T_DIR/control.sock PNG=$T_DIR/screen.png
pcsc_require "real PC/SC"

# apdu HEX...: opensc-tool on reader 0; prints one line per answer: data hex then SW.
apdu() {
	local args=() a
	for a in "$@"; do args+=(-s "$a"); done
	opensc-tool -c default -r 0 "${args[@]}" 2>&1 | python3 -c '
import re, sys
text = sys.stdin.read()
for block in re.split(r"Sending: ", text)[1:]:
    m = re.search(r"SW1=0x([0-9A-Fa-f]{2}), SW2=0x([0-9A-Fa-f]{2})\)(:?)(.*)", block, re.S)
    if not m:
        print("NOANSWER"); continue
    data = "".join(re.findall(r"(?m)^((?:[0-9A-F]{2} )+)", m.group(4))).replace(" ", "")
    print(data + m.group(1).upper() + m.group(2).upper())
'
}

card_personalise "$T_DIR/card.flash" $ID DAVE-1 "$(printf '22%.0s' $(seq 32))" $PIN "$T_DIR/enrol.json" || { t_fail personalise; t_done; exit 1; }
pcsc_start pcscd1 "sigcard test vpcd" @PORT || { t_fail "pcscd starts" "$(cat "$T_DIR/pcscd1.log")"; t_done; exit 1; }
PORT=$VPCD_PORT
t_ok "private pcscd with vpcd on port $PORT"
card_start card --flash "$T_DIR/card.flash" --vpcd=127.0.0.1:$PORT --control "$CTL" --png "$PNG"
sc_wait_for 10 grep -q "vpcd: connected" "$T_DIR/card.log" && t_ok "the card dials vpcd" || t_fail "the card dials vpcd" "$(cat "$T_DIR/card.log")"

sc_wait_for 10 bash -c "opensc-tool -l 2>/dev/null | grep -q 'Yes.*sigcard test vpcd'"
t_check "opensc-tool lists the reader with a card" bash -c "opensc-tool -l | grep -q 'Yes.*sigcard test vpcd 00 00'"
atr=$(opensc-tool -r 0 -a 2>/dev/null | tr -d ' :\n')
[[ ${atr^^} == 3B* ]] && t_ok "ATR through PC/SC ($atr)" || t_fail "ATR through PC/SC" "$atr"
r=($(apdu $SELECT 00CADF2000 00CADF2300 00A4040005A000000001))
t_eq "SELECT the applet through PC/SC" 9000 "${r[0]}"
t_eq "GET DATA card id through PC/SC" "${ID^^}9000" "${r[1]}"
t_eq "GET DATA lifecycle through PC/SC" 9000 "$(sw "${r[2]}")"
t_eq "unknown AID gets 6A82 through PC/SC" 6A82 "${r[3]}"
if command -v scriptor >/dev/null; then
	out=$(printf 'reset\n%s\n' "$SELECT" | timeout 10 scriptor -r "sigcard test vpcd 00 00" 2>&1)
	[[ $out == *"90 00"* ]] && t_ok "scriptor SELECT answers 90 00" || t_fail "scriptor SELECT answers 90 00" "$out"
fi

# SIGN through PC/SC, the card taken off the reader, PIN + OK on the card.
TX=$("$MKTX" enc-rand 999 978 DAVE-1 ERIN-2 "Erin" T7 0f0e0d0c0b0a09080706050403020100 1700000002)
r=$(apdu $SELECT 802A0000$(printf %02X $(( ${#TX} / 2 )))${TX}00 | tail -1)
t_eq "SIGN TRANSACTION through PC/SC" 9000 "$(sw "$r")"
ATC=$((16#$(tlv_field "$r" C1)))
ctl "$CTL" '{"cmd":"field","iface":"contact","on":false}' >/dev/null
r=$(ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 40)
t_eq "off the reader: review" true "$(jq .ok <<<"$r")"
ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null
r=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":30000}' 40)
JP=$(jq -r '.screen.lines[0]' <<<"$r")
t_eq "password shown after PIN + OK" "SIGCARD1:$ID:$ATC:$JP" "$(jq -r .screen.qr <<<"$r")"
t_eq "zbarimg decodes the card's PNG to that password" "SIGCARD1:$ID:$ATC:$JP" "$(zbarimg -q --raw "$PNG" 2>/dev/null)"

# pcscd goes away and comes back: the card dials again.
kill -TERM "$PCSCD_PID"; wait "$PCSCD_PID" 2>/dev/null
pcsc_start pcscd2 "sigcard test vpcd" "$PORT" || t_fail "pcscd restarts" "$(cat "$T_DIR/pcscd2.log")"
sc_wait_for 15 bash -c "[ \$(grep -c 'vpcd: connected' '$T_DIR/card.log') -ge 2 ]" &&
	t_ok "the card reconnects after pcscd restarts" || t_fail "the card reconnects after pcscd restarts" "$(cat "$T_DIR/card.log")"
sc_wait_for 10 bash -c "opensc-tool -l 2>/dev/null | grep -q 'Yes.*sigcard test vpcd 00 00'"
r=($(apdu $SELECT 00CADF2000))
t_eq "GET DATA after the restart" "${ID^^}9000" "${r[1]:-none}"
t_done
