#!/usr/bin/env python3
"""Computes the test vectors of docs/PROTOCOL.md sections 1-4 independently of
the C code: Python's hashlib/hmac for SHA-256 and HKDF (RFC 5869), and the
openssl command for AES-256-ECB. Prints the fenced vector blocks; the doc
holds their output and tests/unit/common/test_vectors.c checks the C code
against the doc."""
import hashlib, hmac, struct, subprocess

from vector_text import h, print

def aes_ecb(key, block):
    out = subprocess.run(["openssl", "enc", "-aes-256-ecb", "-nopad", "-K", h(key)],
                         input=block, capture_output=True, check=True).stdout
    assert len(out) == 16
    return out

def frame(body): return struct.pack(">H", len(body)) + body

def tlv(tag, v): return bytes([tag, len(v)]) + v

# 1. Frames: power on, get ATR, SELECT, reset, power off.
select = bytes.fromhex("00a4040009f05349474341524401")
bodies = [b"\x01", b"\x04", select, b"\x02", b"\x00"]
print("## frames")
print("vector frame.stream\n" + h(b"".join(frame(b) for b in bodies)))
for i, b in enumerate(bodies, 1):
    print(f"vector frame.body.{i}\n{h(b)}")

print("vector frame.bad.zero-length err=LENGTH\n0000")

# The card's rule for bad input: an empty frame and an unknown control
# code are each answered 67 00, and the SELECT after them is served.
print("vector frame.card.in\n" + h(frame(b"") + frame(b"\x03") + frame(select)))
print("vector frame.card.out\n" + h(frame(b"\x67\x00") * 2 + frame(b"\x90\x00")))

# 2. APDUs: each case, short and extended, then malformed ones.
def apdu(name, hdr, data=b"", le=None, ext=False, attrs=""):
    b = bytes(hdr)
    if data:
        b += (b"\x00" + struct.pack(">H", len(data)) if ext else bytes([len(data)])) + data
    if le is not None:
        lb = struct.pack(">H", le % 65536) if ext else bytes([le % 256])
        b += (b"\x00" if ext and not data else b"") + lb
    kase = (3 if data else 1) + (1 if le is not None else 0)
    print(f"vector apdu.{name} case={kase} ext={int(ext)} cla={hdr[0]:02x} ins={hdr[1]:02x} "
          f"p1={hdr[2]:02x} p2={hdr[3]:02x} lc={len(data)} le={le or 0}\n{h(b)}")
print("## apdus")
apdu("case1", [0x80, 0x10, 0x00, 0x00])
apdu("case2s", [0x00, 0xc0, 0x00, 0x00], le=256)
apdu("case2e", [0x00, 0xb0, 0x00, 0x00], le=65536, ext=True)
apdu("case3s", [0x00, 0xa4, 0x04, 0x00], data=bytes.fromhex("f05349474341524401"))
apdu("case3e", [0x80, 0x20, 0x00, 0x00], data=bytes(range(256)) + bytes(44), ext=True)
apdu("case4s", [0x00, 0xa4, 0x04, 0x00], data=bytes.fromhex("f05349474341524401"), le=256)
apdu("case4e", [0x80, 0x30, 0x01, 0x02], data=bytes.fromhex("0102030405"), le=1000, ext=True)
for name, hx, err in (("short-lc-0", "00a404000000", "BAD_APDU"),
                      ("lc-data-mismatch", "00a4040003010203ff11", "BAD_APDU"),
                      ("truncated", "00a40400050102", "TRUNCATED"),
                      ("ext-lc-short-le", "80200000000002aabb00", "BAD_APDU"),
                      ("short-lc-ext-le", "8020000002aabb0000", "BAD_APDU"),
                      ("ext-lc-0", "802000000000000102", "BAD_APDU"),
                      ("ext-truncated", "8020000000010001", "TRUNCATED"),
                      ("header-only-3", "00a404", "BAD_APDU")):
    print(f"vector apdu.bad.{name} err={err}\n{hx}")

# 3. Transaction.
tx = (tlv(1, b"\x01") + tlv(2, b"\x02") + tlv(3, struct.pack(">Q", 1234)) +
      tlv(4, struct.pack(">H", 978)) + tlv(5, b"DE89370400440532013000") +
      tlv(6, b"FR1420041010050500013M02606") + tlv(7, "Café Müller".encode()) +
      tlv(8, b"TERM-0001") + tlv(9, bytes(range(0xa0, 0xb0))) +
      tlv(10, struct.pack(">Q", 1767225600)))
txh = hashlib.sha256(tx).digest()
print("## tx")
print("vector tx.sample\n" + h(tx))
print("vector tx.sample.sha256\n" + h(txh))
def item(t):  # offset of the item with tag t in tx
    pos = 0
    while tx[pos] != t:
        pos += 2 + tx[pos + 1]
    return pos
def edit(at, cut, ins=b""): return tx[:at] + ins + tx[at + cut:]
for name, b, err in (
        ("version-2", edit(0, 3, tlv(1, b"\x02")), "BAD_VERSION"),
        ("scheme-4", edit(item(2), 3, tlv(2, b"\x04")), "BAD_VALUE"),
        ("amount-0", edit(item(3), 10, tlv(3, bytes(8))), "BAD_VALUE"),
        ("amount-7-bytes", edit(item(3), 10, tlv(3, bytes(6) + b"\x01")), "LENGTH"),
        ("currency-1000", edit(item(4), 4, tlv(4, struct.pack(">H", 1000))), "BAD_VALUE"),
        ("payer-lowercase", edit(item(5), item(6) - item(5), tlv(5, b"de89")), "BAD_VALUE"),
        ("name-overlong-utf8", edit(item(7), item(8) - item(7), tlv(7, b"A\xc0\xaf")), "BAD_UTF8"),
        ("name-bidi-override", edit(item(7), item(8) - item(7), tlv(7, "A\u202eB".encode())), "BAD_UTF8"),
        ("terminal-id-space", edit(item(8), item(9) - item(8), tlv(8, b"T 1")), "BAD_VALUE"),
        ("challenge-15", edit(item(9), 18, tlv(9, bytes(15))), "LENGTH"),
        ("missing-scheme", edit(item(2), 3), "BAD_TAG"),
        ("repeated-version", edit(item(2), 0, tlv(1, b"\x01")), "BAD_TAG"),
        ("unknown-tag", edit(item(10), 0, tlv(0x0b, b"")), "BAD_TAG"),
        ("missing-time", tx[:item(10)], "TRUNCATED"),
        ("trailing-byte", tx + b"\x00", "TRAILING")):
    print(f"vector tx.bad.{name} err={err}\n{h(b)}")

# 4. K_card, X, signed data.
master = bytes(range(31, -1, -1))
card_id = bytes(range(1, 9))
prk = hmac.new(b"sigcard/K_card/v1", master, hashlib.sha256).digest()
kcard = hmac.new(prk, card_id + b"\x01", hashlib.sha256).digest()
print("## kcard")
print(f"vector kcard.master\n{h(master)}\nvector kcard.card_id\n{h(card_id)}")
print(f"vector kcard.k\n{h(kcard)}")

k = bytes(range(32))
jp = b"12345678"
r = bytes.fromhex("f0e1d2c3b4a59687")
x = {1: aes_ecb(k, jp + bytes(8)), 2: aes_ecb(k, jp + r)}
x[3] = hashlib.sha256(x[1]).digest()
atc = 7
print("## schemes")
print(f"vector scheme.k\n{h(k)}\nvector scheme.r\n{h(r)}")
for s, name in ((1, "enc"), (2, "enc-rand"), (3, "enc-digest")):
    sd = bytes([1, s]) + card_id + struct.pack(">I", atc) + bytes(range(0xa0, 0xb0)) + txh + x[s]
    print(f"vector x.{name} jp=12345678\n{h(x[s])}")
    print(f"vector signed.{name} atc={atc}\n{h(sd)}")
