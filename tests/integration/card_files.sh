#!/usr/bin/env bash
# What sigcard-card writes and leaves: --export and --png refuse a path that
# is not a regular file (as root: /dev/null stays a device), a card image a
# killed run was making is removed on the next start, and the enrolment
# record of an issued card whose record was lost is exported again, the
# same as personalise wrote it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

KC=$(printf '22%.0s' $(seq 32))
perso_files() { # ID: the perso and PIN files card_personalise would write
	( umask 077
	  printf '{"card_id":"%s","account":"DAN-4","k_card":"%s"}\n' "$1" "$KC" >"$T_DIR/perso-$1.json"
	  printf '2468\n' >"$T_DIR/pin-$1" )
}

# --- --export to something that is not a regular file ---
if [ "$(id -u)" -eq 0 ]; then
	perso_files 0101010101010101
	err=$("$CARD" --flash "$T_DIR/null.flash" personalise --perso "$T_DIR/perso-0101010101010101.json" \
		--pin-file "$T_DIR/pin-0101010101010101" --export /dev/null 2>&1); rc=$?
	if [ "$rc" -eq 1 ] && [[ $err == *"/dev/null: exists and is not a regular file"* ]]; then
		t_ok "--export /dev/null refused with a clear message"
	else t_fail "--export /dev/null refused with a clear message" "rc=$rc" "$err"; fi
	[ -c /dev/null ] && t_ok "/dev/null is still a character device" || t_fail "/dev/null is still a character device" "$(ls -l /dev/null)"
	[ ! -e "$T_DIR/null.flash" ] && t_ok "refused before any card was made or issued" || t_fail "refused before any card was made or issued"
else
	t_skip "--export /dev/null refused with a clear message" "needs root (as a user /dev/null cannot be replaced anyway)"
	t_skip "/dev/null is still a character device" "needs root"
	t_skip "refused before any card was made or issued" "needs root"
fi
perso_files 0202020202020202
mkfifo "$T_DIR/fifo"
err=$("$CARD" --flash "$T_DIR/fifo.flash" personalise --perso "$T_DIR/perso-0202020202020202.json" \
	--pin-file "$T_DIR/pin-0202020202020202" --export "$T_DIR/fifo" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [ -p "$T_DIR/fifo" ] && [ ! -e "$T_DIR/fifo.flash" ] && [[ $err == *"not a regular file"* ]]; then
	t_ok "--export to a fifo refused, the fifo kept, no card issued"
else t_fail "--export to a fifo refused, the fifo kept, no card issued" "rc=$rc" "$err"; fi
printf 'keep\n' >"$T_DIR/target"; ln -s "$T_DIR/target" "$T_DIR/link.png"
# timeout only bounds the failure: a card that does not refuse runs on.
err=$(timeout 20 "$CARD" -d --no-tty --flash "$T_DIR/png.flash" --png "$T_DIR/link.png" --contact "$T_DIR/png.sock" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [ -L "$T_DIR/link.png" ] && [ "$(cat "$T_DIR/target")" = keep ] && [[ $err == *"--png"*"not a regular file"* ]]; then
	t_ok "--png to a symlink refused, the link and its target kept"
else t_fail "--png to a symlink refused, the link and its target kept" "rc=$rc" "$err"; fi

# --- a card image a killed run was making ---
( exit 0 ) & dead=$!; wait "$dead"   # a pid that is no longer alive
head -c 131072 /dev/zero >"$T_DIR/new.flash.new.$dead"
head -c 131072 /dev/zero >"$T_DIR/.new.flash.tmp.$dead"
head -c 10 /dev/zero >"$T_DIR/.new.flash.tmp.$$"   # a live writer's: kept
perso_files 0303030303030303
err=$(card_personalise "$T_DIR/new.flash" 0303030303030303 DAN-4 "$KC" 2468 "$T_DIR/enrol3.json" 2>&1; cat "$T_DIR/perso-0303030303030303.log"); rc=$?
if [ ! -e "$T_DIR/new.flash.new.$dead" ] && [ ! -e "$T_DIR/.new.flash.tmp.$dead" ] && [[ $err == *"removed 2 unfinished card image"* ]]; then
	t_ok "the next run removes the unfinished images of a dead run"
else t_fail "the next run removes the unfinished images of a dead run" "$err" "$(ls -a "$T_DIR")"; fi
[ -e "$T_DIR/.new.flash.tmp.$$" ] && t_ok "a live process's temporary is left alone" || t_fail "a live process's temporary is left alone"
[ -s "$T_DIR/new.flash" ] && [ -s "$T_DIR/enrol3.json" ] && t_ok "and makes and issues its card" || t_fail "and makes and issues its card" "$err"

# --- the record of an issued card, lost and exported again ---
card_personalise "$T_DIR/card.flash" 0404040404040404 DAN-4 "$KC" 2468 "$T_DIR/enrol.json"
t_eq "personalise exits 0" 0 $?
mv "$T_DIR/enrol.json" "$T_DIR/enrol.first"   # the record is lost
err=$("$CARD" --flash "$T_DIR/card.flash" personalise --perso "$T_DIR/perso-0404040404040404.json" \
	--pin-file "$T_DIR/pin-0404040404040404" --export "$T_DIR/enrol.json" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $err == *"already issued"*"export-record"* ]]; then
	t_ok "personalise again refuses and names export-record"
else t_fail "personalise again refuses and names export-record" "rc=$rc" "$err"; fi
"$CARD" --flash "$T_DIR/card.flash" export-record --export "$T_DIR/enrol.json"
t_eq "export-record exits 0" 0 $?
t_check "export-record writes the record personalise wrote, byte for byte" cmp "$T_DIR/enrol.first" "$T_DIR/enrol.json"
out=$("$CARD" --flash "$T_DIR/card.flash" export-record)
t_eq "export-record to stdout" "$(cat "$T_DIR/enrol.first")" "$out"
# A card made but not issued has no record to give.
"$CARD" --flash "$T_DIR/blank.flash" --contact "$T_DIR/blank.sock" -d --no-tty >/dev/null 2>&1 &
bpid=$!; sc_wait_sock "$T_DIR/blank.sock" 10; kill "$bpid"; wait "$bpid"
err=$("$CARD" --flash "$T_DIR/blank.flash" export-record 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $err == *"not issued"* ]]; then t_ok "export-record refuses a card not issued"
else t_fail "export-record refuses a card not issued" "rc=$rc" "$err"; fi

# --- K_card wrapped by the issuer (PROTOCOL.md §5.3), here by python's
# cryptography apart from the C code: under another card's transport key
# the card refuses it, named, and stays as it was; under its own it is issued.
wrapped_perso() { # TRANSPORT_KEY_TEXT: blank.flash's perso file, K_card wrapped
	python3 - "$1" "$KC" >"$T_DIR/perso-wrapped.json" <<'PY'
import hashlib, hmac, json, sys
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
kek = hmac.new(sys.argv[1].encode(), b"sigcard/transport-kek/v1", hashlib.sha256).digest()
print(json.dumps({"card_id": "0505050505050505", "account": "DAN-4",
                  "k_card_wrapped": aes_key_wrap(kek, bytes.fromhex(sys.argv[2])).hex()}))
PY
	chmod 600 "$T_DIR/perso-wrapped.json"
}
wrapped_perso SIGCARD-TEST-TK2
err=$("$CARD" --flash "$T_DIR/blank.flash" personalise --perso "$T_DIR/perso-wrapped.json" \
	--pin-file "$T_DIR/pin-0404040404040404" --export "$T_DIR/enrol5.json" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $err == *"PUT DATA K_card"*"cannot unwrap"* ]] && [ ! -e "$T_DIR/enrol5.json" ]; then
	t_ok "K_card wrapped for another card's transport key: refused, named"
else t_fail "K_card wrapped for another card's transport key: refused, named" "rc=$rc" "$err"; fi
err=$("$CARD" --flash "$T_DIR/blank.flash" export-record 2>&1)
[[ $err == *"not issued"* ]] && t_ok "and the card is still not issued" || t_fail "and the card is still not issued" "$err"
wrapped_perso SIGCARD-TEST-TK1
"$CARD" --flash "$T_DIR/blank.flash" personalise --perso "$T_DIR/perso-wrapped.json" \
	--pin-file "$T_DIR/pin-0404040404040404" --export "$T_DIR/enrol5.json" 2>"$T_DIR/perso5.err"
t_eq "K_card wrapped for its own transport key: personalised" "0 0505050505050505" \
	"$? $(jq -r .card_id "$T_DIR/enrol5.json" 2>&1)"
"$CARD" --flash "$T_DIR/card.flash" export-record --bogus >/dev/null 2>&1
t_eq "export-record usage error exits 2" 2 $?
t_done
