#!/usr/bin/env bash
# The claim-7 flow through the real emulator: SIGN over the contact socket,
# the card leaves the reader, the holder confirms with PIN + OK through the
# control socket, the card shows the joint password; zbarimg reads the same
# password from the PNG the card wrote, and OpenSSL (independent of the
# card's mbedTLS) checks X against K_card and the ECDSA signature against
# the enrolled public key, for every scheme. Then Cancel, a wrong PIN, and
# the contactless GET JOINT PASSWORD (once only), an accented payee and
# names the card cannot show.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"
. "$(dirname "$0")/claim7_helpers.bash"

SELECT=00A4040009F05349474341524401
ID=a1b2c3d4e5f60718
KC=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
PIN=4711
CH=00112233445566778899aabbccddeeff
CT=$T_DIR/contact.sock CL=$T_DIR/contactless.sock CTL=$T_DIR/control.sock PNG=$T_DIR/screen.png

card_personalise "$T_DIR/card.flash" $ID ALICE-1 $KC $PIN "$T_DIR/enrol.json" || { t_fail "personalise"; t_done; exit 1; }
PUB=$(jq -r .public_key "$T_DIR/enrol.json")
claim7_pem "$PUB" >"$T_DIR/pub.pem"
card_start card --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" --control "$CTL" --png "$PNG" --seed 0badc0de

# sign SCHEME: claim7_sign on this card's contact socket.
sign() { claim7_sign "$CT" "$1"; }

last_atc=0
for scheme in enc enc-rand enc-digest; do
	sign $scheme
	claim7_check_answer $scheme
	r=$(ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}')
	t_eq "$scheme: off the reader the card shows the transaction" "true Confirm payment" "$(jq -r '"\(.ok) \(.screen.title)"' <<<"$r")"
	claim7_check_review $scheme "$r"
	r=$(ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}")
	r=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":3000}')
	t_eq "$scheme: PIN + OK shows the password" true "$(jq -r .ok <<<"$r")"
	claim7_check_password $scheme "$r"
	t_eq "$scheme: zbarimg reads the PNG the card drew" "$QR" "$(zbarimg -q --raw "$PNG" 2>/dev/null)"
	claim7_check_signed $scheme "the enrolled key"
	ctl "$CTL" '{"cmd":"press","keys":"K"}' >/dev/null
done

# The contactless read: once, only after confirmation, only contactless.
sign enc
ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}' >/dev/null
r=$("$FC" "$CL" on $SELECT 804A000008)
t_eq "GET JOINT PASSWORD before confirmation: 6985" 6985 "$(sw "$(echo "$r" | tail -1)")"
ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null
JP=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":3000}' | jq -r '.screen.lines[0]')
r=$("$FC" "$CT" on $SELECT 804A000008 | tail -1)
t_eq "GET JOINT PASSWORD on the contact slot: refused" 6985 "$(sw "$r")"
r=$("$FC" "$CL" on $SELECT 804A000008 804A000008)
first=$(echo "$r" | sed -n 2p); second=$(echo "$r" | sed -n 3p)
t_eq "contactless GET JOINT PASSWORD gives the JP" "$(ascii_hex "$JP" | tr a-f A-F)9000" "$first"
t_eq "... only once: then void (6984)" 6984 "$second"
r=$(ctl "$CTL" '{"cmd":"screen"}')
t_eq "the card says it was read" released "$(jq -r .screen.name <<<"$r")"

# Cancel: no password, ever.
sign enc-digest
ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}' >/dev/null
r=$(ctl "$CTL" '{"cmd":"press","keys":["1","C"]}')
t_eq "Cancel voids the payment" cancelled "$(jq -r .screen.name <<<"$r")"
r=$("$FC" "$CL" on $SELECT 804A000008 | tail -1)
t_eq "after Cancel no contactless password: void (6984)" 6984 "$(sw "$r")"
t_eq "after Cancel no QR on the PNG" "" "$(zbarimg -q --raw "$PNG" 2>/dev/null)"

# A wrong PIN: the card says so, and still no password.
sign enc
ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}' >/dev/null
r=$(ctl "$CTL" '{"cmd":"press","keys":"9999K"}')
t_eq "a wrong PIN is shown as such" pin_wrong "$(jq -r .screen.name <<<"$r")"
r=$(ctl "$CTL" '{"cmd":"press","keys":"C"}')
r=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":300}')
t_eq "no password after a wrong PIN and Cancel" "false" "$(jq -r .ok <<<"$r")"

# What the holder sees is what is signed: an accented payee is shown as
# itself (the control socket has the card's own text), and names the
# screen cannot show are refused before any flash write.
name="Bäckerei Müller"
claim7_sign_name "$CT" "$(ascii_hex "$name")"
t_eq "$name: SIGN answers 9000" 9000 "$(sw "$RAPDU")"
r=$(ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}')
t_eq "$name: the review shows it as it is" "$name" "$(jq -r '.screen.lines[1]' <<<"$r")"
ctl "$CTL" '{"cmd":"press","keys":"C"}' >/dev/null
writes=$(ctl "$CTL" '{"cmd":"status"}' | jq .flash_writes)
claim7_check_unshowable "$CT"
t_eq "refused names: no flash write" "$writes" "$(ctl "$CTL" '{"cmd":"status"}' | jq .flash_writes)"
t_done
