#!/usr/bin/env bash
# The claim-7 flow through the real emulator: SIGN over the contact socket,
# the card leaves the reader, the holder confirms with PIN + OK through the
# control socket, the card shows the joint password; zbarimg reads the same
# password from the PNG the card wrote, and OpenSSL (independent of the
# card's mbedTLS) checks X against K_card and the ECDSA signature against
# the enrolled public key, for every scheme. Then Cancel, a wrong PIN, and
# the contactless GET JOINT PASSWORD (once only).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

SELECT=00A4040009F05349474341524401
ID=a1b2c3d4e5f60718
KC=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
PIN=4711
CH=00112233445566778899aabbccddeeff
CT=$T_DIR/contact.sock CL=$T_DIR/contactless.sock CTL=$T_DIR/control.sock PNG=$T_DIR/screen.png

card_personalise "$T_DIR/card.flash" $ID ALICE-1 $KC $PIN "$T_DIR/enrol.json" || { t_fail "personalise"; t_done; exit 1; }
PUB=$(jq -r .public_key "$T_DIR/enrol.json")
python3 - "$PUB" >"$T_DIR/pub.pem" <<'PY'
import base64, sys
spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + bytes.fromhex(sys.argv[1])
print("-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki).decode() + "-----END PUBLIC KEY-----")
PY
card_start card --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" --control "$CTL" --png "$PNG" --seed 0badc0de

aes() { openssl enc -aes-256-ecb -K $KC -nopad "$@" | python3 -c 'import sys; print(sys.stdin.buffer.read().hex())'; }
hex2bin() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }

# sign SCHEME: SELECT + SIGN TRANSACTION, then the card leaves the reader.
# Sets TX, RAPDU.
sign() {
	TX=$("$MKTX" "$1" 1234 978 ALICE-1 BOB-2 "Bob's Shop" T1 $CH 1700000000)
	local lc; lc=$(printf %02X $(( ${#TX} / 2 )))
	RAPDU=$("$FC" -g "$CT" on $SELECT 802A0000${lc}${TX}00 off | tail -1)
}

last_atc=0
for scheme in enc enc-rand enc-digest; do
	sign $scheme
	t_eq "$scheme: SIGN answers 9000" 9000 "$(sw "$RAPDU")"
	ATC=$((16#$(tlv_field "$RAPDU" C1))); X=$(tlv_field "$RAPDU" C2); SIG=$(tlv_field "$RAPDU" C3)
	[ "$ATC" -gt "$last_atc" ] && t_ok "$scheme: ATC $ATC above $last_atc" || t_fail "$scheme: ATC rises" "$ATC <= $last_atc"
	last_atc=$ATC
	r=$(ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}')
	t_eq "$scheme: off the reader the card shows the transaction" "true Confirm payment" "$(jq -r '"\(.ok) \(.screen.title)"' <<<"$r")"
	jq -r '.screen.lines[]' <<<"$r" | grep -q "Bob's Shop" && t_ok "$scheme: the review shows the payee" || t_fail "$scheme: the review shows the payee" "$r"
	jq -r '.screen.lines[]' <<<"$r" | grep -q "12.34 EUR" && t_ok "$scheme: the review shows the amount" || t_fail "$scheme: the review shows the amount" "$r"
	r=$(ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}")
	r=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":3000}')
	t_eq "$scheme: PIN + OK shows the password" true "$(jq -r .ok <<<"$r")"
	JP=$(jq -r '.screen.lines[0]' <<<"$r"); QR=$(jq -r .screen.qr <<<"$r")
	t_eq "$scheme: QR payload" "SIGCARD1:$ID:$ATC:$JP" "$QR"
	[[ $JP =~ ^[0-9]{8}$ ]] && t_ok "$scheme: JP is 8 digits" || t_fail "$scheme: JP is 8 digits" "$JP"
	t_eq "$scheme: zbarimg reads the PNG the card drew" "$QR" "$(zbarimg -q --raw "$PNG" 2>/dev/null)"
	case $scheme in
	enc) t_eq "enc: X = AES(K, JP || 0^8) (OpenSSL)" "$X" "$(hex2bin "$(printf %s "$JP" | python3 -c 'import sys; print(sys.stdin.read().encode().hex())')0000000000000000" | aes)" ;;
	enc-rand) d=$(hex2bin "$X" | aes -d); t_eq "enc-rand: AES^-1(K, X) starts with JP (OpenSSL)" "$(printf %s "$JP" | python3 -c 'import sys; print(sys.stdin.read().encode().hex())')" "${d:0:16}" ;;
	enc-digest) c=$(hex2bin "$(printf %s "$JP" | python3 -c 'import sys; print(sys.stdin.read().encode().hex())')0000000000000000" | aes)
		t_eq "enc-digest: X = SHA-256(AES(K, JP || 0^8)) (OpenSSL)" "$X" "$(hex2bin "$c" | openssl dgst -sha256 -r | cut -d' ' -f1)" ;;
	esac
	num=$(python3 -c 'import sys; print({"enc":1,"enc-rand":2,"enc-digest":3}[sys.argv[1]])' $scheme)
	H=$("$MKTX" -H $scheme 1234 978 ALICE-1 BOB-2 "Bob's Shop" T1 $CH 1700000000)
	hex2bin "01$(printf %02x $num)${ID}$(printf %08x $ATC)${CH}${H}${X}" >"$T_DIR/signed.bin"
	hex2bin "$SIG" >"$T_DIR/sig.der"
	t_check "$scheme: ECDSA signature verifies with OpenSSL against the enrolled key" \
		openssl dgst -sha256 -verify "$T_DIR/pub.pem" -signature "$T_DIR/sig.der" "$T_DIR/signed.bin"
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
t_eq "contactless GET JOINT PASSWORD gives the JP" "$(printf %s "$JP" | python3 -c 'import sys; print(sys.stdin.read().encode().hex().upper())')9000" "$first"
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
t_done
