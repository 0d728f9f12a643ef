# Helpers shared by the claim-7 scripts, card_claim7.sh (the host emulator)
# and firmware_claim7.sh (the image in QEMU), sourced after lib.sh and
# card_helpers.bash: the same SIGN TRANSACTION, and the same checks of what
# the card shows and answers, made with OpenSSL independently of the card's
# mbedTLS. They use the script's SELECT, ID, KC (K_card) and CH (the
# challenge). Not a test itself (the runner only runs *.sh).

aes() { openssl enc -aes-256-ecb -K $KC -nopad "$@" | python3 -c 'import sys; print(sys.stdin.buffer.read().hex())'; }
hex2bin() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
ascii_hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

# claim7_pem PUBKEY_HEX: a PEM SubjectPublicKeyInfo for OpenSSL.
claim7_pem() {
	python3 - "$1" <<'PY'
import base64, sys
spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + bytes.fromhex(sys.argv[1])
print("-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki).decode() + "-----END PUBLIC KEY-----")
PY
}

# claim7_tx [-H] SCHEME: mktx's claim-7 transaction, 12.34 EUR from
# ALICE-1 to BOB-2 on challenge CH (with -H its hash).
claim7_tx() { "$MKTX" "$@" 1234 978 ALICE-1 BOB-2 "Bob's Shop" T1 $CH 1700000000; }
# claim7_scheme_num SCHEME: the scheme's number in the signed data.
claim7_scheme_num() { case $1 in enc) echo 1 ;; enc-rand) echo 2 ;; enc-digest) echo 3 ;; esac; }

# claim7_sign SOCKET SCHEME [frameclient options]: SELECT + SIGN TRANSACTION
# of the claim-7 transaction, then the card leaves the reader. Sets TX,
# RAPDU.
claim7_sign() {
	local sock=$1 scheme=$2; shift 2
	TX=$(claim7_tx "$scheme")
	claim7_send "$sock" "$@"
}

# claim7_sign_name SOCKET NAME_HEX [frameclient options]: as claim7_sign
# (enc), to a payee whose name is the bytes NAME_HEX, UTF-8 or not: mktx
# makes the transaction with a placeholder of that length, then the
# placeholder's bytes are replaced. Sets TX, RAPDU.
claim7_sign_name() {
	local sock=$1 name=$2 q len; shift 2
	len=$(( ${#name} / 2 ))
	q=$(printf "%${len}s" "" | tr ' ' Q)
	TX=$("$MKTX" enc 1234 978 ALICE-1 BOB-2 "$q" T1 $CH 1700000000)
	TX=${TX/07$(printf %02x $len)$(ascii_hex "$q")/07$(printf %02x $len)$name}
	claim7_send "$sock" "$@"
}

# claim7_send SOCKET [frameclient options]: SELECT + SIGN TRANSACTION of
# $TX, then the card leaves the reader. Sets RAPDU.
claim7_send() {
	local sock=$1 lc; shift
	lc=$(printf %02X $(( ${#TX} / 2 )))
	RAPDU=$("$FC" -g "$@" "$sock" on $SELECT 802A0000${lc}${TX}00 off | tail -1)
}

# claim7_atc SOCKET [frameclient options]: the card's ATC, as hex.
claim7_atc() {
	local sock=$1; shift
	"$FC" "$@" "$sock" on $SELECT 00CADF2200 off | sed -n 2p | cut -c1-8
}

# claim7_check_unshowable SOCKET [frameclient options]: SIGN refuses, with
# 6A81, payee names the card's screen cannot show (docs/PROTOCOL.md §5.4):
# CJK, an emoji, a no-break space, U+0180, a cut UTF-8 sequence, a
# surrogate; and the ATC does not move.
claim7_check_unshowable() {
	local sock=$1 before name; shift
	before=$(claim7_atc "$sock" "$@")
	for name in e4b8ade69687204762 4361666520f09f9880 42c3a4636b65726569c2a04d c680617a \
		436166c328 436166eda080; do
		claim7_sign_name "$sock" $name "$@"
		t_eq "payee name $name: SIGN refuses it with 6A81" 6A81 "$(sw "$RAPDU")"
	done
	t_eq "refused names: the ATC did not move" "$before" "$(claim7_atc "$sock" "$@")"
}

# claim7_check_answer SCHEME: the SIGN answer is 9000 with an ATC above the
# last one (last_atc). Sets ATC, X, SIG, last_atc.
claim7_check_answer() {
	t_eq "$1: SIGN answers 9000" 9000 "$(sw "$RAPDU")"
	ATC=$((16#$(tlv_field "$RAPDU" C1))); X=$(tlv_field "$RAPDU" C2); SIG=$(tlv_field "$RAPDU" C3)
	[ "$ATC" -gt "$last_atc" ] && t_ok "$1: ATC $ATC above $last_atc" || t_fail "$1: ATC rises" "$ATC <= $last_atc"
	last_atc=$ATC
}

# claim7_check_review SCHEME SCREEN_JSON: the review screen shows the payee
# and the amount.
claim7_check_review() {
	jq -r '.screen.lines[]' <<<"$2" | grep -q "Bob's Shop" && t_ok "$1: the review shows the payee" || t_fail "$1: the review shows the payee" "$2"
	jq -r '.screen.lines[]' <<<"$2" | grep -q "12.34 EUR" && t_ok "$1: the review shows the amount" || t_fail "$1: the review shows the amount" "$2"
}

# claim7_check_password SCHEME SCREEN_JSON: the password screen's JP is 8
# digits and its QR payload names card, ATC and JP. Sets JP, QR.
claim7_check_password() {
	JP=$(jq -r '.screen.lines[0]' <<<"$2"); QR=$(jq -r .screen.qr <<<"$2")
	t_eq "$1: QR payload" "SIGCARD1:$ID:$ATC:$JP" "$QR"
	[[ $JP =~ ^[0-9]{8}$ ]] && t_ok "$1: JP is 8 digits" || t_fail "$1: JP is 8 digits" "$JP"
}

# claim7_check_signed SCHEME KEY_NAME: X against K_card and JP, and the
# signature over the signed data (version, scheme, card id, ATC, challenge,
# transaction hash, X) against $T_DIR/pub.pem, which KEY_NAME names.
claim7_check_signed() {
	local scheme=$1 num c d H
	case $scheme in
	enc) t_eq "enc: X = AES(K, JP || 0^8) (OpenSSL)" "$X" "$(hex2bin "$(ascii_hex "$JP")0000000000000000" | aes)" ;;
	enc-rand) d=$(hex2bin "$X" | aes -d); t_eq "enc-rand: AES^-1(K, X) starts with JP (OpenSSL)" "$(ascii_hex "$JP")" "${d:0:16}" ;;
	enc-digest) c=$(hex2bin "$(ascii_hex "$JP")0000000000000000" | aes)
		t_eq "enc-digest: X = SHA-256(AES(K, JP || 0^8)) (OpenSSL)" "$X" "$(hex2bin "$c" | openssl dgst -sha256 -r | cut -d' ' -f1)" ;;
	esac
	num=$(claim7_scheme_num $scheme)
	H=$(claim7_tx -H $scheme)
	hex2bin "01$(printf %02x $num)${ID}$(printf %08x $ATC)${CH}${H}${X}" >"$T_DIR/signed.bin"
	hex2bin "$SIG" >"$T_DIR/sig.der"
	t_check "$scheme: ECDSA signature verifies with OpenSSL against $2" \
		openssl dgst -sha256 -verify "$T_DIR/pub.pem" -signature "$T_DIR/sig.der" "$T_DIR/signed.bin"
}

# claim7_check_low_s SOCKET SCHEME COUNT [frameclient options]: COUNT SIGN
# TRANSACTIONs of the claim-7 payment in one session (each voids the one
# before), then the card leaves the reader; each answer's signature must
# verify with OpenSSL against $T_DIR/pub.pem over its signed data, and its
# s must be at most n/2 (Python reads the DER): the card emits only low-s
# signatures (docs/PROTOCOL.md §4). A card that did not would give a
# high-s one half of the time, so COUNT low ones by chance are 1 in
# 2^COUNT. The caller voids the last signature (the card shows it for
# confirmation).
claim7_check_low_s() {
	local sock=$1 scheme=$2 count=$3 lc H num i cmds=(); shift 3
	TX=$(claim7_tx "$scheme")
	H=$(claim7_tx -H "$scheme")
	num=$(claim7_scheme_num "$scheme")
	lc=$(printf %02X $(( ${#TX} / 2 )))
	for ((i = 0; i < count; i++)); do cmds+=("802A0000${lc}${TX}00"); done
	"$FC" -g "$@" "$sock" on $SELECT "${cmds[@]}" off | tail -n +2 >"$T_DIR/low_s.rapdus"
	cat >"$T_DIR/low_s.py" <<'PY'
import os, subprocess, sys
tdir, num, card_id, ch, h = sys.argv[1:6]
# P-256's group order (SEC 2 / FIPS 186-4).
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

def tlv(d, tag):
    i = 0
    while i + 2 <= len(d):
        if d[i] == tag:
            return d[i + 2:i + 2 + d[i + 1]]
        i += 2 + d[i + 1]
    return b""

def der_s(sig):
    """s of a DER SEQUENCE { INTEGER r, INTEGER s } (short lengths: P-256)."""
    assert sig[0] == 0x30 and sig[2] == 0x02
    rl = sig[3]
    assert sig[4 + rl] == 0x02
    return int.from_bytes(sig[6 + rl:6 + rl + sig[5 + rl]], "big")

answers = sys.stdin.read().split()
verified = low = 0
for a in answers:
    r = bytes.fromhex(a)
    if r[-2:] != b"\x90\x00":
        print("SW %s" % r[-2:].hex(), file=sys.stderr)
        continue
    atc, x, sig = tlv(r[:-2], 0xC1), tlv(r[:-2], 0xC2), tlv(r[:-2], 0xC3)
    sd = bytes([1, int(num)]) + bytes.fromhex(card_id) + atc.rjust(4, b"\0") + \
        bytes.fromhex(ch) + bytes.fromhex(h) + x
    open(os.path.join(tdir, "low_s.sd"), "wb").write(sd)
    open(os.path.join(tdir, "low_s.sig"), "wb").write(sig)
    ok = subprocess.run(["openssl", "dgst", "-sha256", "-verify", os.path.join(tdir, "pub.pem"),
                         "-signature", os.path.join(tdir, "low_s.sig"), os.path.join(tdir, "low_s.sd")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    verified += ok
    if der_s(sig) <= N // 2:
        low += 1
    else:
        print("ATC %d: s > n/2" % int.from_bytes(atc, "big"), file=sys.stderr)
print("%d signatures: %d verify, %d with s <= n/2" % (len(answers), verified, low))
PY
	t_eq "$scheme: $count signatures, each verifies (OpenSSL) and has s <= n/2" \
		"$count signatures: $count verify, $count with s <= n/2" \
		"$(python3 "$T_DIR/low_s.py" "$T_DIR" "$num" "$ID" "$CH" "$H" <"$T_DIR/low_s.rapdus")"
}
