#!/usr/bin/env python3
"""Computes the hex vectors of docs/PROTOCOL.md section 5.3 "K_card
wrapped under the transport KEK", independently of the C code in
common/keywrap.c: the KEK with python's hmac/hashlib, the AES key wrap
(RFC 3394) with python's cryptography package, which is first checked
against RFC 3394's own test vector 4.6 (256 bits of key data under a
256-bit KEK). Prints the vector block; paste it into the doc."""
import hashlib
import hmac

from cryptography.hazmat.primitives.keywrap import aes_key_wrap, aes_key_unwrap

from vector_text import vec  # prints hex wrapped as the doc holds it

# RFC 3394 §4.6, copied from the RFC's text.
RFC_KEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
RFC_DATA = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
RFC_WRAPPED = bytes.fromhex("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326"
                            "CBC7F0E71A99F43BFB988B9B7A02DD21")
assert aes_key_wrap(RFC_KEK, RFC_DATA) == RFC_WRAPPED, "cryptography disagrees with RFC 3394 4.6"

LABEL = b"sigcard/transport-kek/v1"
TK = b"SIGCARD-TEST-TK1"  # the well-known test transport key (README)
KCARD = bytes(range(0x20, 0x40))
OTHER_TK = b"SIGCARD-TEST-TK2"

kek = hmac.new(TK, LABEL, hashlib.sha256).digest()
wrapped = aes_key_wrap(kek, KCARD)
assert aes_key_unwrap(kek, wrapped) == KCARD
other_kek = hmac.new(OTHER_TK, LABEL, hashlib.sha256).digest()

vec("kw.rfc3394.kek", RFC_KEK)
vec("kw.rfc3394.data", RFC_DATA)
vec("kw.rfc3394.wrapped", RFC_WRAPPED)
vec("kw.tk", TK)
vec("kw.kek", kek)
vec("kw.kcard", KCARD)
vec("kw.wrapped", wrapped)
vec("kw.apdu.put_kcard", bytes.fromhex("80DADF29") + bytes([len(wrapped)]) + wrapped)
# The same K_card wrapped for another card: the first card refuses it.
vec("kw.wrapped.other_tk", aes_key_wrap(other_kek, KCARD), "tk=" + OTHER_TK.hex())
