#!/usr/bin/env bash
# sigcard over NFC, through the real libnfc and the emulated PN532 pair:
# sigcard-card --nfc as an ISO 14443-4A target, sigcard-terminal with
# nfc: carriers as initiator. nfc-list sees the card; a full payment per
# scheme with the card and the password read both over NFC; the
# contactless password read over NFC after signing on the contact slot; a
# command longer than a PN532 frame, chained, answered as over the contact
# slot; the ATR built from the ATS; the card taken out of the field while the
# holder confirms (tapped again: paid) and in the middle of SIGN (exit 4, no
# signature); missing ports and a reader gone mid-command, each named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
. "$(dirname "$0")/nfc_helpers.bash"
TERM_APDU=$SC_BUILD/tests/tools/term_apdu

# atc: the card's counter over the contact slot, retried while the slot is
# still held by the reader that just left it.
atc() {
	local r i
	for i in $(seq 20); do
		if r=$("$FC" "$CT" on 00A4040009F05349474341524401 00CADF2200 off 2>/dev/null); then
			r=$(tail -n +2 <<<"$r" | head -1)
			printf '%d' "0x${r:0:8}"
			return 0
		fi
		sleep 0.1
	done
	echo "unreadable"
}

# card_at_rest: waits until the card, since its last selection over NFC, has
# counted itself out of the field (or lost power): it then waits, armed with
# a new UID, for the next reader. A new reader started meanwhile could
# select it in the instant it renews its UID and see it vanish (the PN532
# target cannot change its UID without stopping: see nfc_target.c), so each
# new reader of this script waits for this first.
card_at_rest() {
	sc_wait_for 30 awk '/nfc: selected by a reader/ { rest = 0 }
		/nfc: not selected again within|nfc: card lost power/ { rest = 1 }
		END { exit !rest }' "$T_DIR/card2.log"
}

if ! world_up; then
	t_fail "world up (server, accounts, card)" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"
	t_done; exit
fi
# --poll-wait-ms: the reader's polls wait for the card to be armed (below).
nfc_sim_start sim -v --poll-wait-ms 20000 || { t_fail "pn532sim starts"; t_done; exit; }
# The same card again, now also on the card side of the emulated PN532.
nfc_stop "$CARD_PID"
card_start card2 --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" \
	--control "$CTL" --png "$PNG" --nfc "$CARD_CS"
if nfc_wait_log 1 'card: target armed'; then t_ok "sigcard-card --nfc waits in target mode"
else t_fail "sigcard-card --nfc waits in target mode" "$(tail "$T_DIR/card2.log")"; t_done; exit; fi

# --- nfc-list, unmodified, sees the card once ---
# nfc-list selects a card, releases it and polls again until it meets a card
# it has already seen (at most 16). The sim holds each poll until the card is
# armed again, so the worst case happens every time: the card re-armed before
# the reader's next poll. It must come back as the card that stayed in the
# field (same UID), not as a new card.
# nfc_list NAME: runs nfc-list; its output in $T_DIR/NAME.out, and in
# NFC_SELECTIONS how many times the reader selected the card meanwhile.
nfc_list() {
	local before
	before=$(grep -c 'reader: selected the target of card' "$PN532SIM_LOG")
	LIBNFC_DEFAULT_DEVICE=$READER_CS timeout 60 nfc-list >"$T_DIR/$1.out" 2>&1
	NFC_SELECTIONS=$(($(grep -c 'reader: selected the target of card' "$PN532SIM_LOG") - before))
}
# listed_uids NAME: the UIDs nfc-list printed, one line each.
listed_uids() { sed -n 's/^ *UID (NFCID[0-9]): \(.*\)$/\1/p' "$T_DIR/$1.out" | tr -d ' '; }
nfc_list list1
out=$(cat "$T_DIR/list1.out")
if grep -q 'ATQA (SENS_RES): 00  04' <<<"$out" && grep -q 'SAK (SEL_RES): 20' <<<"$out" &&
   grep -qE 'UID \(NFCID[0-9]\): 08  ' <<<"$out" && grep -q 'ATS: 78  80  70  02  53  49  47  43  41  52  44  4c' <<<"$out"; then
	t_ok "nfc-list lists sigcard-card (ATQA 00 04, SAK 20, UID 08..., ATS with SIGCARDL)"
else
	t_fail "nfc-list lists sigcard-card" "$out"
fi
[ "$NFC_SELECTIONS" -ge 2 ] && t_ok "nfc-list's next poll found the card re-armed ($NFC_SELECTIONS selections)" ||
	t_fail "nfc-list's next poll found the card re-armed" "$NFC_SELECTIONS selections" "$(tail -20 "$PN532SIM_LOG")"
if grep -q '^1 ISO14443A passive target(s) found' <<<"$out" && [ "$(listed_uids list1 | wc -l)" -eq 1 ]; then
	t_ok "nfc-list lists the card re-armed after its release once, not as a new card"
else
	t_fail "nfc-list lists the card re-armed after its release once" "$(grep 'found\|UID' <<<"$out")"
fi
grep -q 'nfc: selected by a reader (UID .*, again in the same field)' "$T_DIR/card2.log"
t_eq "the card says it was selected again in the same field" 0 $?
# nfc-list has gone and switched its field off: once the card counts itself
# out of the field it shows a new UID to the next reader (untraceable from
# one tap to the next), and is listed once again.
if sc_wait_for 30 grep -q 'nfc: not selected again within .* ms: out of the field' "$T_DIR/card2.log"; then
	t_ok "the card leaves the field once no reader takes it back"
else
	t_fail "the card leaves the field once no reader takes it back" "$(tail "$T_DIR/card2.log")"
fi
nfc_list list2
uid1=$(listed_uids list1 | head -1) uid2=$(listed_uids list2)
if grep -q '^1 ISO14443A passive target(s) found' "$T_DIR/list2.out" && [ "$(wc -l <<<"$uid2")" -eq 1 ] &&
   [ -n "$uid1" ] && [ "$uid2" != "$uid1" ]; then
	t_ok "the next field presence: listed once, with a new UID ($uid1, then $uid2)"
else
	t_fail "the next field presence: listed once, with a new UID" "$uid1 / $uid2" "$(cat "$T_DIR/list2.out")"
fi

# --- a full payment over NFC, each scheme ---
alice=$(balance ALICE-1) shop=$(balance SHOP-1)
n=0
for scheme in enc enc-rand enc-digest; do
	n=$((n + 1))
	card_at_rest
	holder "${PIN}K"
	pay --card "nfc:$READER_CS" --amount "3.0$n" --currency EUR --to SHOP-1 \
		--payee-name "NFC Shop $n" --scheme "$scheme" --jp contactless \
		--contactless "nfc:$READER_CS" --timeout 30
	wait "$HOLDER_PID"
	if [ "$PAY_RC" -ne 0 ]; then
		t_fail "$scheme over NFC: paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")" "$(tail -5 "$T_DIR/card2.log")"
		continue
	fi
	t_ok "$scheme over NFC: paid (transfer $(field transfer-id))"
	alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
	t_eq "$scheme over NFC: balances moved once" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
	grep -q "receipt: verified" "$T_DIR/pay.out" && t_ok "$scheme over NFC: receipt verified" ||
		t_fail "$scheme over NFC: receipt verified" "$(cat "$T_DIR/pay.out")"
done
grep -q 'nfc: selected by a reader' "$T_DIR/card2.log"; t_eq "the card served them over NFC" 0 $?

# --- only the password over NFC: signed on the contact slot ---
n=$((n + 1))
card_at_rest
holder "${PIN}K"
pay --amount "3.0$n" --currency EUR --to SHOP-1 --payee-name "NFC Shop $n" --scheme enc-rand \
	--jp contactless --contactless "nfc:$READER_CS" --timeout 30
wait "$HOLDER_PID"
t_eq "contact signature, contactless password over NFC: paid" 0 "$PAY_RC"
alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
t_eq "contactless password over NFC: balances" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
jp_reads=$(grep -c 'd4 40 01 80 4a' "$PN532SIM_LOG")
[ "$jp_reads" -ge 4 ] && t_ok "GET JOINT PASSWORD went over the emulated field ($jp_reads times)" ||
	t_fail "GET JOINT PASSWORD went over the emulated field" "$jp_reads"

# --- the ATR the terminal builds from the ATS is the contactless ATR ---
card_at_rest
atr_nfc=$(timeout 30 "$TERM_APDU" -a "nfc:$READER_CS" 2>&1)
atr_cl=$(timeout 30 "$TERM_APDU" -a "unix:$CL" 2>&1)
t_eq "ATR over NFC (from the ATS) = ATR of the contactless socket" "atr 3B888001534947434152444C0C|$atr_cl" "$atr_nfc|$atr_nfc"

# --- a command longer than one PN532 frame: chained, same answer ---
atc_before=$(atc)
card_at_rest
over_nfc=$(timeout 30 "$TERM_APDU" "nfc:$READER_CS" 00A4040009F05349474341524401 @300 2>&1)
over_ct=$(timeout 30 "$TERM_APDU" "unix:$CT" 00A4040009F05349474341524401 @300 2>&1)
t_eq "300-byte SIGN: same answer over NFC (chained) as over the contact slot" "$over_ct" "$over_nfc"
if [[ $over_nfc =~ ^9000$'\n'[0-9A-F]{4}$ ]] && [ "${over_nfc: -4}" != 9000 ]; then
	t_ok "SELECT then a status word refusing the over-long transaction (${over_nfc: -4})"
else
	t_fail "SELECT then a status word refusing the over-long transaction" "$over_nfc"
fi
if grep -q 'reader <- d4 40 01 90 2a 00 00 ff' "$PN532SIM_LOG"; then t_ok "it crossed the field as a chain (CLA 90)"
else t_fail "it crossed the field as a chain (CLA 90)" "$over_nfc"; fi
t_eq "the refused SIGN moved no counter (4 signatures so far)" "4 4" "$atc_before $(atc)"

# --- taken away while the holder confirms, tapped again for the password ---
n=$((n + 1))
card_at_rest
# The holder: at the review, the card leaves the field (the sim says so);
# PIN + OK on the card (the control socket acknowledges the keys); once the
# terminal has polled the empty field, the card comes back.
( ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 30 >"$T_DIR/away-wait.out" 2>&1 &&
  kill -USR1 "$PN532SIM_PID" && nfc_wait_log 1 'card taken out of the field' 30 &&
  ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >"$T_DIR/away-press.out" 2>&1 &&
  jq -e .ok "$T_DIR/away-press.out" >/dev/null &&
  nfc_wait_after 'card taken out of the field' 'reader <- d4 4a' 30 &&
  kill -USR2 "$PN532SIM_PID" ) &
HOLDER_PID=$!
pay --card "nfc:$READER_CS" --amount "3.0$n" --currency EUR --to SHOP-1 --payee-name "NFC Shop $n" \
	--scheme enc-digest --jp contactless --contactless "nfc:$READER_CS" --timeout 30
wait "$HOLDER_PID"
t_eq "card away during the confirmation, tapped again: paid" 0 "$PAY_RC"
alice=$((alice - 300 - n)) shop=$((shop + 300 + n))
t_eq "card away and back: balances" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
if grep -q 'card taken out of the field (SIGUSR1)' "$PN532SIM_LOG" && grep -q 'card back in the field' "$PN532SIM_LOG"; then
	t_ok "the card really left the field and came back"
else t_fail "the card really left the field and came back" "$(tail "$PN532SIM_LOG")"; fi

# --- devices that are not there ---
err=$("$CARD" -d --no-tty --flash "$T_DIR/other.flash" --nfc "pn532_uart:$T_DIR/no-such-port" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $err == *"--nfc pn532_uart:$T_DIR/no-such-port: libnfc cannot open"* ]]; then
	t_ok "sigcard-card --nfc on a missing port: exit 1, named"
else t_fail "sigcard-card --nfc on a missing port: exit 1, named" "rc=$rc" "$err"; fi
pay --card "nfc:pn532_uart:$T_DIR/no-such-port" --amount 1.00 --currency EUR --to SHOP-1 \
	--payee-name X --scheme enc --camera "file:$PNG" --timeout 5
if [ "$PAY_RC" -eq 3 ] && grep -q 'no NFC reader there' "$T_DIR/pay.err"; then
	t_ok "terminal nfc: on a missing reader: exit 3 (no card), named"
else t_fail "terminal nfc: on a missing reader: exit 3, named" "rc=$PAY_RC" "$(cat "$T_DIR/pay.err")"; fi

# --- the card taken out of the field in the middle of SIGN ---
nfc_stop "$CARD_PID"
nfc_stop "$PN532SIM_PID"
# SIGN is the reader's 5th command: SELECT, GET DATA card id, account and
# PIN tries (a blocked PIN would first get the issuer's script), SIGN.
nfc_sim_start sim2 --remove-at 5 || t_fail "pn532sim --remove-at starts"
card_start card3 --flash "$T_DIR/card.flash" --contact "$CT" --control "$CTL" --nfc "$CARD_CS"
nfc_wait_log 1 'card: target armed'
atc_before=$(atc)
pay --card "nfc:$READER_CS" --amount 9.99 --currency EUR --to SHOP-1 --payee-name "Gone" \
	--scheme enc --jp contactless --contactless "nfc:$READER_CS" --timeout 5
t_eq "card removed during SIGN: exit 4 (card removed)" 4 "$PAY_RC"
if grep -q 'left the field during a command' "$T_DIR/pay.err"; then t_ok "the terminal says the card left the field"
else t_fail "the terminal says the card left the field" "$(cat "$T_DIR/pay.err")"; fi
t_eq "no money moved" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
t_eq "the card never signed (5 signatures so far)" "5 5" "$atc_before $(atc)"

# --- the reader itself gone in the middle of a command ---
nfc_stop "$CARD_PID"
nfc_stop "$PN532SIM_PID"
nfc_sim_start sim3 -v || t_fail "pn532sim starts again"
sc_bg echo3 "$NFC_ECHO" "$CARD_CS"
ECHO_PID=$SC_LAST_PID
nfc_wait_log 1 'card: target armed'
kill -STOP "$ECHO_PID"          # the card's host never answers ...
# ... and once the reader has sent it the command, the reader goes away
( nfc_wait_log 1 'reader <- d4 40 01 00 a4 04 00 00' 30 && kill -TERM "$PN532SIM_PID" ) &
timeout 30 "$TERM_APDU" -t 8000 "nfc:$READER_CS" 00A4040000 >"$T_DIR/gone.out" 2>&1
rc=$?
wait $!
kill -CONT "$ECHO_PID"
t_eq "reader gone mid-command: exit 1 (local failure), not 'card removed'" 1 "$rc"
if grep -q 'the reader failed during a command' "$T_DIR/gone.out"; then t_ok "the terminal names the reader failure"
else t_fail "the terminal names the reader failure" "$(cat "$T_DIR/gone.out")"; fi
nfc_stop "$ECHO_PID"
t_done
