#!/usr/bin/env bash
# Tearing on the firmware in QEMU: for a sign -> leave the reader -> PIN +
# OK sequence, the board's power is cut at each flash write in turn (the
# UI's "!cut N": that write is torn, half its bytes reach the image, and the
# board stops as a card losing power does); the board is then started
# again on the same flash image. The card must boot and answer, its ATC
# must never go back, its PIN tries stay within 0..3, and no sequence cut
# before its last write may have shown the password.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
fw_require

SELECT=00A4040009F05349474341524401
ID=0102030405060708
PIN=2468
FLASH=$T_DIR/card.flash

fw_start fw0 "$FLASH" || { t_fail "the board boots in QEMU" "$(cat "$T_DIR/fw0.log")"; t_done; exit 1; }
fw_perso "$FW_CT" "$FW_TK" $ID "$(printf '11%.0s' $(seq 32))" $PIN BOB-1 >/dev/null || { t_fail personalise; t_done; exit 1; }
TX=$("$MKTX" enc 500 978 BOB-1 CAROL-2 Carol T9 000102030405060708090a0b0c0d0e0f 1700000001)
LC=$(printf %02X $(( ${#TX} / 2 )))

get() { "$FC" "$FW_CT" on $SELECT 00CADF$1 off | tail -1; }
writes() { fw_status | jq .flash_writes; }

# One full sequence; prints "password" if the card showed the password.
sequence() {
	fw_mark
	"$FC" -t 5000 "$FW_CT" on $SELECT 802A0000${LC}${TX}00 off >/dev/null 2>&1
	fw_wait_screen review 2 >/dev/null || return 0
	fw_keys "${PIN}K"
	fw_wait_screen password 2 | jq -r .screen.name
	fw_keys K
}

w0=$(writes)
sequence >/dev/null
w1=$(writes)
total=$((w1 - w0))
[ "$total" -gt 0 ] && t_ok "an uncut sequence writes flash ($total writes)" || t_fail "an uncut sequence writes flash" "$w0 -> $w1"

bad_atc=0 bad_answer=0 leaked=0 bad_tries=0 cuts=0 no_stop=0
prev_atc=$(get 2200)
for n in $(seq 1 "$total"); do
	fw_mark
	fw_cmd "cut $n"
	fw_wait_event cut 5 >/dev/null || { t_fail "cut $n armed"; continue; }
	shown=$(sequence)
	if ! fw_wait_event power_lost 5 >/dev/null; then
		no_stop=$((no_stop + 1)); echo "# n=$n: the board did not lose power"
		fw_stop; fw_start "fw$n" "$FLASH" || break
		continue
	fi
	cuts=$((cuts + 1))
	for _ in $(seq 50); do kill -0 "$FW_PID" 2>/dev/null || break; sleep 0.1; done
	[ "$shown" = password ] && [ "$n" -lt "$total" ] && leaked=$((leaked + 1))
	fw_start "fw$n" "$FLASH" || { bad_answer=$((bad_answer + 1)); echo "# n=$n: no boot"; break; }
	[ "$(fw_wait_event boot 1 | jq .ok)" = true ] || { bad_answer=$((bad_answer + 1)); echo "# n=$n: boot not ok"; }
	a=$(get 2200); t=$(get 2400)
	if [ "$(sw "$a")" != 9000 ]; then bad_answer=$((bad_answer + 1)); echo "# n=$n: GET DATA ATC: $a"; continue; fi
	[ $((16#${a:0:8})) -ge $((16#${prev_atc:0:8})) ] || { bad_atc=$((bad_atc + 1)); echo "# n=$n: ATC $a after $prev_atc"; }
	[ "$(sw "$t")" = 9000 ] && [ $((16#${t:0:2})) -le 3 ] || { bad_tries=$((bad_tries + 1)); echo "# n=$n: tries $t"; }
	prev_atc=$a
done
t_eq "the power is lost at each of the $total writes" "$total 0" "$cuts $no_stop"
t_eq "the card boots after each cut and answers GET DATA" 0 "$bad_answer"
t_eq "the ATC never went back" 0 "$bad_atc"
t_eq "PIN tries stay within 0..3" 0 "$bad_tries"
t_eq "no password shown for a sequence cut before its last write" 0 "$leaked"
r=$("$FC" -t 5000 "$FW_CT" on $SELECT 802A0000${LC}${TX}00 off | tail -1)
t_eq "after all the cuts the card still signs" 9000 "$(sw "$r")"

# Cuts during boot, where the entropy log commits its next state: the card
# must boot on the next power-up, with one live entropy state, further on
# than any before (an output is only ever drawn from a state already moved
# past on flash, so a torn commit never repeats one).
fw_stop
read -r _ seq0 < <(fw_entropy_log "$FLASH")
bad_boot=0 bad_log=0 stopped=0
for n in 1 2 3 4 5; do
	fw_start "boot$n" "$FLASH" --cut-at-boot $n || { bad_boot=$((bad_boot + 1)); break; }
	[ "$(jq -r .event <<<"$FW_BOOT")" = power_lost ] && stopped=$((stopped + 1))
	fw_stop
	fw_start "after$n" "$FLASH" || { bad_boot=$((bad_boot + 1)); break; }
	[ "$(jq -r '.event + " " + (.ok | tostring)' <<<"$FW_BOOT")" = "boot true" ] || { bad_boot=$((bad_boot + 1)); echo "# n=$n: $FW_BOOT"; }
	[ "$(sw "$(get 2000)")" = 9000 ] || { bad_boot=$((bad_boot + 1)); echo "# n=$n: no GET DATA"; }
	fw_stop
	read -r count seq < <(fw_entropy_log "$FLASH")
	[ "$count" = 1 ] && [ "$seq" -gt "$seq0" ] || { bad_log=$((bad_log + 1)); echo "# n=$n: $count records, seq $seq after $seq0"; }
	seq0=$seq
done
[ "$stopped" -ge 2 ] && t_ok "cuts at boot stop the board ($stopped of 5 fell within the boot)" || t_fail "cuts at boot stop the board" "stopped=$stopped"
t_eq "after each boot-time cut the card boots and answers" 0 "$bad_boot"
t_eq "... with one live entropy state, further on than before" 0 "$bad_log"
t_done
