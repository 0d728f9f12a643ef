#!/usr/bin/env bash
# The claim-7 flow on the firmware in QEMU, for every scheme: SIGN over the
# contact slot, the card leaves the reader, the holder types PIN + OK on
# the card's keypad (UART1), the card shows the joint password and its QR
# payload; OpenSSL, independent of the card's mbedTLS, checks X against
# K_card and the ECDSA signature against the key the card generated at
# personalisation. Then the contactless GET JOINT PASSWORD (once only),
# Cancel, and a wrong PIN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"
. "$(dirname "$0")/firmware_helpers.bash"
fw_require

SELECT=00A4040009F05349474341524401
ID=a1b2c3d4e5f60718
KC=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
PIN=4711
CH=00112233445566778899aabbccddeeff

fw_start fw "$T_DIR/card.flash" || { t_fail "the board boots in QEMU" "$(cat "$T_DIR/fw.log")"; t_done; exit 1; }
PUB=$(fw_perso "$FW_CT" "$FW_TK" $ID $KC $PIN ALICE-1) || { t_fail "personalise" "$PUB"; t_done; exit 1; }
fw_pem "$PUB" >"$T_DIR/pub.pem"

aes() { openssl enc -aes-256-ecb -K $KC -nopad "$@" | python3 -c 'import sys; print(sys.stdin.buffer.read().hex())'; }
hex2bin() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
ascii_hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

# sign SCHEME: SELECT + SIGN TRANSACTION, then the card leaves the reader.
# Sets TX, RAPDU.
sign() {
	TX=$("$MKTX" "$1" 1234 978 ALICE-1 BOB-2 "Bob's Shop" T1 $CH 1700000000)
	local lc; lc=$(printf %02X $(( ${#TX} / 2 )))
	fw_mark
	RAPDU=$("$FC" -g -t 20000 "$FW_CT" on $SELECT 802A0000${lc}${TX}00 off | tail -1)
}

last_atc=0
for scheme in enc enc-rand enc-digest; do
	sign $scheme
	t_eq "$scheme: SIGN answers 9000" 9000 "$(sw "$RAPDU")"
	ATC=$((16#$(tlv_field "$RAPDU" C1))); X=$(tlv_field "$RAPDU" C2); SIG=$(tlv_field "$RAPDU" C3)
	[ "$ATC" -gt "$last_atc" ] && t_ok "$scheme: ATC $ATC above $last_atc" || t_fail "$scheme: ATC rises" "$ATC <= $last_atc"
	last_atc=$ATC
	r=$(fw_wait_screen review 5)
	t_eq "$scheme: off the reader the card shows the transaction" "Confirm payment" "$(jq -r .screen.title <<<"$r")"
	jq -r '.screen.lines[]' <<<"$r" | grep -q "Bob's Shop" && t_ok "$scheme: the review shows the payee" || t_fail "$scheme: the review shows the payee" "$r"
	jq -r '.screen.lines[]' <<<"$r" | grep -q "12.34 EUR" && t_ok "$scheme: the review shows the amount" || t_fail "$scheme: the review shows the amount" "$r"
	fw_keys "${PIN}K"
	r=$(fw_wait_screen password 5)
	t_eq "$scheme: PIN + OK on the keypad shows the password" password "$(jq -r .screen.name <<<"$r")"
	JP=$(jq -r '.screen.lines[0]' <<<"$r"); QR=$(jq -r .screen.qr <<<"$r")
	t_eq "$scheme: QR payload" "SIGCARD1:$ID:$ATC:$JP" "$QR"
	[[ $JP =~ ^[0-9]{8}$ ]] && t_ok "$scheme: JP is 8 digits" || t_fail "$scheme: JP is 8 digits" "$JP"
	case $scheme in
	enc) t_eq "enc: X = AES(K, JP || 0^8) (OpenSSL)" "$X" "$(hex2bin "$(ascii_hex "$JP")0000000000000000" | aes)" ;;
	enc-rand) d=$(hex2bin "$X" | aes -d); t_eq "enc-rand: AES^-1(K, X) starts with JP (OpenSSL)" "$(ascii_hex "$JP")" "${d:0:16}" ;;
	enc-digest) c=$(hex2bin "$(ascii_hex "$JP")0000000000000000" | aes)
		t_eq "enc-digest: X = SHA-256(AES(K, JP || 0^8)) (OpenSSL)" "$X" "$(hex2bin "$c" | openssl dgst -sha256 -r | cut -d' ' -f1)" ;;
	esac
	num=$(case $scheme in enc) echo 1 ;; enc-rand) echo 2 ;; enc-digest) echo 3 ;; esac)
	H=$("$MKTX" -H $scheme 1234 978 ALICE-1 BOB-2 "Bob's Shop" T1 $CH 1700000000)
	hex2bin "01$(printf %02x $num)${ID}$(printf %08x $ATC)${CH}${H}${X}" >"$T_DIR/signed.bin"
	hex2bin "$SIG" >"$T_DIR/sig.der"
	t_check "$scheme: ECDSA signature verifies with OpenSSL against the card's key" \
		openssl dgst -sha256 -verify "$T_DIR/pub.pem" -signature "$T_DIR/sig.der" "$T_DIR/signed.bin"
	fw_mark
	fw_keys K
	fw_wait_screen idle 5 >/dev/null || t_fail "$scheme: OK leaves the password screen"
done

# The contactless read: once, only after confirmation, only contactless.
sign enc
fw_wait_screen review 5 >/dev/null
r=$("$FC" "$FW_CL" on $SELECT 804A000008)
t_eq "GET JOINT PASSWORD before confirmation: 6985" 6985 "$(sw "$(echo "$r" | tail -1)")"
fw_keys "${PIN}K"
JP=$(fw_wait_screen password 5 | jq -r '.screen.lines[0]')
r=$("$FC" "$FW_CT" on $SELECT 804A000008 | tail -1)
t_eq "GET JOINT PASSWORD on the contact slot: refused" 6985 "$(sw "$r")"
r=$("$FC" "$FW_CL" on $SELECT 804A000008 804A000008)
first=$(echo "$r" | sed -n 2p); second=$(echo "$r" | sed -n 3p)
t_eq "contactless GET JOINT PASSWORD gives the JP" "$(ascii_hex "$JP" | tr a-f A-F)9000" "$first"
t_eq "... only once: then void (6984)" 6984 "$second"
t_eq "the card says it was read" released "$(fw_wait_screen released 5 | jq -r .screen.name)"

# Cancel: no password, ever.
sign enc-digest
fw_wait_screen review 5 >/dev/null
fw_mark
fw_keys 1C
t_eq "Cancel voids the payment" cancelled "$(fw_wait_screen cancelled 5 | jq -r .screen.name)"
r=$("$FC" "$FW_CL" on $SELECT 804A000008 | tail -1)
t_eq "after Cancel no contactless password: void (6984)" 6984 "$(sw "$r")"

# A wrong PIN: the card says so, and still no password.
sign enc
fw_wait_screen review 5 >/dev/null
fw_mark
fw_keys 9999K
t_eq "a wrong PIN is shown as such" pin_wrong "$(fw_wait_screen pin_wrong 5 | jq -r .screen.name)"
fw_keys C
fw_wait_screen password 1 >/dev/null && t_fail "no password after a wrong PIN and Cancel" || t_ok "no password after a wrong PIN and Cancel"
r=$("$FC" "$FW_CT" on $SELECT 00CADF2400 off | tail -1)
t_eq "the wrong PIN cost one try (2 left)" 029000 "$r"

# The stack never came near its end (the run-time high-water mark).
st=$(fw_status)
used=$(( 16384 - $(jq .stack_unused <<<"$st") ))
echo "# stack used at the deepest point of this run: $used bytes (painted at reset)"
[ "$used" -gt 0 ] && [ "$used" -lt 16384 ] && t_ok "the stack high-water mark is within the stack ($used B)" || t_fail "stack high-water mark" "$st"
t_eq "no byte was lost on the board's UARTs" 0 "$(jq .rx_dropped <<<"$st")"
t_done
