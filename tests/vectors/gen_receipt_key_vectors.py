#!/usr/bin/env python3
"""Computes the hex vectors of docs/PROTOCOL.md section 6 "Receipt keys"
(key ids, the receipt key list, receipt version 4 and its seal) from the
layout tables there, independently of the C code in common/seal.c,
common/keylist.c and common/submit.c. Uses python's cryptography package
for P-256 (keys from fixed scalars, deterministic ECDSA of RFC 6979, so
the output is the same on every run) and its own DER encoding of the
SubjectPublicKeyInfo for the key id. Prints the vector block; paste it
into the doc."""
import hashlib
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vector_text import vec  # prints hex wrapped as the doc holds it


def sha(b):
    return hashlib.sha256(b).digest()


def key(scalar):
    return ec.derive_private_key(scalar, ec.SECP256R1())


def point(k):
    return k.public_key().public_bytes(serialization.Encoding.X962,
                                       serialization.PublicFormat.UncompressedPoint)


def key_id(k):
    spki = k.public_key().public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    return sha(spki)[:8]


def sign(k, msg):
    return k.sign(msg, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


A = key(int("11" * 32, 16))
B = key(int("22" * 32, 16))
C = key(int("33" * 32, 16))
CREATED = {"A": 1764547200, "B": 1767225600, "C": 1769904000}  # 2025-12-01, 2026-01-01, 2026-02-01

for name, k in (("a", A), ("b", B), ("c", C)):
    vec(f"keys.point-{name}", point(k))
    vec(f"keys.id-{name}", key_id(k))


def link(prev, k, created):
    return b"SCKR" + b"\x01" + key_id(prev) + point(k) + struct.pack(">Q", created)


def entry(k, created, sig):
    return point(k) + struct.pack(">Q", created) + bytes([len(sig)]) + sig


link_b = link(A, B, CREATED["B"])
link_c = link(B, C, CREATED["C"])
vec("keys.link-b", link_b, f"created={CREATED['B']}")
keylist = (b"SCKL" + b"\x01" + bytes([3]) + entry(A, CREATED["A"], b"") +
           entry(B, CREATED["B"], sign(A, link_b)) + entry(C, CREATED["C"], sign(B, link_c)))
vec("keys.list", keylist, "keys=3")
vec("keys.get-receipt-keys", b"\x07")
vec("keys.receipt-keys", b"\x87" + keylist)

# Receipt version 4 (the sample transaction of the section's vectors,
# transfer 42, counter 14), sealed alone by key C: a batch of one is its
# own root, the path is empty.
CARD = bytes.fromhex("0102030405060708")
TX_HASH = bytes.fromhex("22330cc595393c3b24650ed32f000f4cd0231aeb70ec42084ddc3ee9f540809c")
receipt = (b"SCRC" + b"\x04" + b"\x00" + struct.pack(">Q", 42) + struct.pack(">Q", 14) + CARD +
           struct.pack(">I", 7) + TX_HASH + struct.pack(">H", 978) + key_id(C) + b"\x00")
assert len(receipt) == 77
vec("submit.receipt.v4", receipt, "transfer=42 counter=14 atc=7 currency=978 key=c")
root = sha(b"\x00" + receipt)
statement = b"SCRB\x02" + root
sig = sign(C, statement)
vec("submit.seal.v4", b"\x00" + bytes([len(sig)]) + sig, "batch=1 key=c")
