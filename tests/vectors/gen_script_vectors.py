#!/usr/bin/env python3
"""Computes the vectors of docs/PROTOCOL.md §6 "Issuer scripts" (the issuer-script exchange
of a PIN unblock) independently of the C code: K_card by HKDF-SHA256 (RFC
5869, written out here over Python's hmac), the RESET RETRY COUNTER MAC by
HMAC-SHA256 over the label, card id and card challenge, and the message
bytes from the layout table of §6 "Issuer scripts". Prints the fenced vector block;
tests/unit/common/test_submit.c checks common/issuer_script.c against the
doc."""
import hashlib
import hmac

from vector_text import h, print

def hkdf_sha256(salt, ikm, info, n):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]

MASTER = bytes(range(0x40, 0x60))
CARD = bytes.fromhex("0123456789abcdef")
CHALLENGE = bytes(range(16))

kcard = hkdf_sha256(b"sigcard/K_card/v1", MASTER, CARD, 32)
mac = hmac.new(kcard, b"sigcard/unblock/v1" + CARD + CHALLENGE, hashlib.sha256).digest()
apdu = bytes([0x80, 0x2C, 0x00, 0x00, len(mac)]) + mac
ref = CARD + CHALLENGE

GET, SCRIPT, REPORT, RECORDED = b"\x04", b"\x84", b"\x05", b"\x85"
SW_OK = bytes([0x90, 0x00])

def vec(name, b): print(f"vector {name}\n{h(b)}")

print("```")
vec(f"script.kcard master={h(MASTER)} card_id={h(CARD)}", kcard)
vec(f"script.mac challenge={h(CHALLENGE)}", mac)
vec("script.get-issuer-script", GET + ref)
vec("script.issuer-script", SCRIPT + ref + bytes([len(apdu)]) + apdu)
vec("script.report sw=9000", REPORT + ref + SW_OK)
vec("script.recorded", RECORDED)
vec("script.bad.apdu-65 err=LENGTH", SCRIPT + ref + bytes([65]) + bytes(65))
vec("script.bad.apdu-3 err=LENGTH", SCRIPT + ref + bytes([3]) + apdu[:3])
vec("script.bad.report-trailing err=TRAILING", REPORT + ref + SW_OK + b"\x00")
vec("script.bad.get-short err=TRUNCATED", GET + ref[:-1])
print("```")
