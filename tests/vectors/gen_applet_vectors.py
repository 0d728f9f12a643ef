#!/usr/bin/env python3
"""Computes the vectors of docs/PROTOCOL.md §5.7 (the applet's bytes, the SIGN
TRANSACTION response, the password QR payload and the void QR payload)
independently of the C code: the bytes are assembled here from the tables of §5, the DER signature
is encoded by hand from two integers, and low s is reduced with Python's
integers against the P-256 order. Prints the fenced vector blocks; the doc
holds their output and tests/unit/common/test_vectors.c checks common/applet.c
against the doc."""
import hashlib

from vector_text import h, print

# P-256 group order n (SEC 2, secp256r1).
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

def der_int(v):
    b = v.to_bytes((v.bit_length() + 7) // 8 or 1, "big")
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + bytes([len(b)]) + b

def der_sig(r, s):
    body = der_int(r) + der_int(s)
    return b"\x30" + bytes([len(body)]) + body

def tlv(tag, v): return bytes([tag, len(v)]) + v

aid = b"\xf0" + b"SIG" + b"CARD" + b"\x01"
print(f"vector applet.aid\n{h(aid)}")

# The commands a terminal sends, with the smallest Le that says "all of it".
print("vector applet.apdu.select\n" + h(bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid))
print("vector applet.apdu.get_data.atc\n" + h(bytes([0x00, 0xCA, 0xDF, 0x22, 0x00])))
print("vector applet.apdu.get_jp\n" + h(bytes([0x80, 0x4A, 0x00, 0x00, 0x08])))
print("vector applet.apdu.sign.header\n" + h(bytes([0x80, 0x2A, 0x00, 0x00])))

# A SIGN response: ATC 7, X = C of scheme enc from §4, and a low-s
# signature (r, s) made of two hashes, s reduced to n - s if above n/2.
x = bytes.fromhex("4a388f5c3abc09add2d06b215742863d")
r = int.from_bytes(hashlib.sha256(b"sigcard vector r").digest(), "big") % N
s = int.from_bytes(hashlib.sha256(b"sigcard vector s").digest(), "big") % N
high = s if s > N // 2 else N - s
low = N - high
assert low <= N // 2 < high
sig = der_sig(r, low)
print(f"vector applet.sign.x\n{h(x)}")
print(f"vector applet.sign.sig\n{h(sig)}")
resp = tlv(0xC1, (7).to_bytes(4, "big")) + tlv(0xC2, x) + tlv(0xC3, sig)
print(f"vector applet.sign atc=7\n{h(resp)}")

for card_id, atc, jp in (("0123456789abcdef", 42, "31415926"),
                         ("f0e1d2c3b4a59687", 4294967295, "00000000"),
                         ("0011223344556677", 1, "73019482")):
    payload = f"SIGCARD1:{card_id}:{atc}:{jp}".encode("ascii")
    print(f"vector applet.qr card_id={card_id} atc={atc} jp={jp}\n{h(payload)}")

# The void QR payload: its own prefix, the same card id and ATC fields, and
# the reason as a word.
for card_id, atc, reason in (("0123456789abcdef", 42, "cancelled"),
                             ("f0e1d2c3b4a59687", 4294967295, "timeout"),
                             ("0011223344556677", 1, "pin-blocked")):
    payload = f"SIGVOID1:{card_id}:{atc}:{reason}".encode("ascii")
    print(f"vector applet.void_qr card_id={card_id} atc={atc} reason={reason}\n{h(payload)}")
