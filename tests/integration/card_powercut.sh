#!/usr/bin/env bash
# Tearing through the real emulator and its flash file: for a sign ->
# leave the reader -> PIN + OK sequence, cut the power at each flash write
# in turn (control socket power_cut at_write N), let the card reboot, and
# check that it still answers, that the ATC never went back, that no joint
# password was shown for a torn sequence, and that the PIN tries left
# never rose.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

SELECT=00A4040009F05349474341524401
ID=0102030405060708
PIN=2468
CT=$T_DIR/contact.sock CTL=$T_DIR/control.sock

card_personalise "$T_DIR/card.flash" $ID BOB-1 "$(printf '11%.0s' $(seq 32))" $PIN "$T_DIR/enrol.json" || { t_fail personalise; t_done; exit 1; }
card_start card --flash "$T_DIR/card.flash" --contact "$CT" --control "$CTL" --png "$T_DIR/s.png"
TX=$("$MKTX" enc 500 978 BOB-1 CAROL-2 Carol T9 000102030405060708090a0b0c0d0e0f 1700000001)
LC=$(printf %02X $(( ${#TX} / 2 )))

atc() { "$FC" "$CT" on $SELECT 00CADF2200 | tail -1; }
tries() { "$FC" "$CT" on $SELECT 00CADF2400 | tail -1; }
status() { ctl "$CTL" '{"cmd":"status"}'; }

# One full sequence; prints "password" if the card showed the password.
sequence() {
	"$FC" -t 2000 "$CT" on $SELECT 802A0000${LC}${TX}00 off >/dev/null 2>&1
	ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":500}' | jq -e .ok >/dev/null || return 0
	ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null
	ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":500}' | jq -r 'select(.ok) | .screen.name'
	ctl "$CTL" '{"cmd":"press","keys":"K"}' >/dev/null
}

# Writes of one uncut sequence.
w0=$(status | jq .flash_writes)
sequence >/dev/null
w1=$(status | jq .flash_writes)
total=$((w1 - w0))
[ "$total" -gt 0 ] && t_ok "an uncut sequence writes flash ($total writes)" || t_fail "an uncut sequence writes flash"

bad_atc=0 bad_answer=0 leaked=0 bad_tries=0 cuts=0
prev_atc=$(atc); prev_tries=$(tries)
for n in $(seq 1 $((total + 2))); do
	boots0=$(status | jq .boots)
	ctl "$CTL" "{\"cmd\":\"power_cut\",\"at_write\":$n}" >/dev/null
	shown=$(sequence)
	st=$(status)
	if [ "$(jq .cut_pending <<<"$st")" -gt 0 ]; then
		ctl "$CTL" '{"cmd":"power_cut","cancel":true}' >/dev/null
		continue
	fi
	cuts=$((cuts + 1))
	[ "$(jq .boots <<<"$st")" -gt "$boots0" ] || bad_answer=$((bad_answer + 1))
	[ "$shown" = password ] && [ "$n" -le "$total" ] && leaked=$((leaked + 1))
	a=$(atc); t=$(tries)
	if [ "$(sw "$a")" != 9000 ]; then bad_answer=$((bad_answer + 1)); echo "# n=$n: GET DATA ATC: $a"; continue; fi
	[ $((16#${a:0:8})) -ge $((16#${prev_atc:0:8})) ] || { bad_atc=$((bad_atc + 1)); echo "# n=$n: ATC $a after $prev_atc"; }
	[ "$(sw "$t")" = 9000 ] && [ $((16#${t:0:2})) -le 3 ] || { bad_tries=$((bad_tries + 1)); echo "# n=$n: tries $t"; }
	prev_atc=$a
done
[ "$cuts" -ge "$total" ] && t_ok "power cut at each of the $total writes ($cuts cuts)" || t_fail "power cut at each write" "cuts=$cuts total=$total"
t_eq "the card reboots after each cut and answers GET DATA" 0 "$bad_answer"
t_eq "the ATC never went back" 0 "$bad_atc"
t_eq "PIN tries stay within 0..3" 0 "$bad_tries"
# A cut sequence may still have shown the password if the cut fell after
# confirmation (the sequence's last writes); before it, never.
t_eq "no password shown for a sequence cut before its end" 0 "$leaked"

# "cut now" and reset keep the card whole.
r=$(ctl "$CTL" '{"cmd":"power_cut"}'); t_eq "power_cut now" true "$(jq .ok <<<"$r")"
r=$(ctl "$CTL" '{"cmd":"reset"}'); t_eq "reset" true "$(jq .ok <<<"$r")"
t_eq "after cut and reset the card still signs" 9000 "$(sw "$("$FC" "$CT" on $SELECT 802A0000${LC}${TX}00 | tail -1)")"
t_done
