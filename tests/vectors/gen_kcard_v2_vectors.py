#!/usr/bin/env python3
"""Computes the hex vectors of docs/PROTOCOL.md section 4 "K_card,
derivation v2" independently of the C code and of the token: the card
data assembled by hand from the table, AES-256-ECB with the `openssl enc
-aes-256-ecb -nopad` command (for K_card and for each scheme's X), SHA-256
and HMAC with python's hashlib/hmac, and the AES key wrap (RFC 3394) with
python's cryptography package. Prints the vector block; paste it into the
doc. tests/unit/server/test_token.c imports the master key into a SoftHSM2
token and checks the token's answers against these."""
import hashlib
import hmac
import subprocess

from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from vector_text import vec  # prints hex wrapped as the doc holds it


def aes_ecb(key, data):
    return subprocess.run(["openssl", "enc", "-aes-256-ecb", "-nopad", "-K", key.hex()],
                          input=data, capture_output=True, check=True).stdout


MASTER = bytes(range(0x1f, -1, -1))          # as kcard.master (v1)
CARD_ID = bytes.fromhex("0102030405060708")  # as kcard.card_id
JP = b"12345678"
R = bytes.fromhex("f0e1d2c3b4a59687")
TK = b"SIGCARD-TEST-TK1"                     # kw.tk
CHALLENGE = bytes(range(16))                 # script.mac's

data = b"".join(CARD_ID + b"K_card" + bytes([0x02, i]) for i in (1, 2))
assert len(data) == 32
k = aes_ecb(MASTER, data)
x_enc = aes_ecb(k, JP + bytes(8))
x_rand = aes_ecb(k, JP + R)
x_digest = hashlib.sha256(x_enc).digest()
kek = hmac.new(TK, b"sigcard/transport-kek/v1", hashlib.sha256).digest()
mac = hmac.new(k, b"sigcard/unblock/v1" + CARD_ID + CHALLENGE, hashlib.sha256).digest()

vec("kcard2.master", MASTER)
vec("kcard2.card_id", CARD_ID)
vec("kcard2.data", data)
vec("kcard2.k", k)
vec("kcard2.x.enc", x_enc, "jp=12345678")
vec("kcard2.x.enc-rand", x_rand, "jp=12345678 r=" + R.hex())
vec("kcard2.x.enc-digest", x_digest, "jp=12345678")
vec("kcard2.wrapped", aes_key_wrap(kek, k), "tk=" + TK.hex())
vec("kcard2.unblock.mac", mac, "challenge=" + CHALLENGE.hex())
