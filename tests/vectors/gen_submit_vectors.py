#!/usr/bin/env python3
"""Computes the hex vectors of docs/PROTOCOL.md section 6 (the server
submission protocol) from the layout tables there, independently of the C
code in common/submit.c. Prints the vector block; paste it into the doc.
The signatures are fixed DER byte strings: these vectors test the message
encoding, not ECDSA (the server's tests sign and verify for real)."""
import struct

def h(b):
    s = b.hex()
    return "\n".join(s[i:i + 64] for i in range(0, len(s), 64))

def vec(name, b, attrs=""):
    print(f"vector {name}{' ' + attrs if attrs else ''}")
    print(h(b))

TX = bytes.fromhex(
    "010101020102030800000000000004d2040203d2051644453839333730343030"
    "343430353332303133303030061b465231343230303431303130303530353030"
    "3031334d3032363036070d436166c3a9204dc3bc6c6c657208095445524d2d30"
    "3030310910a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0a08000000006955b900")
TX_HASH = bytes.fromhex("22330cc595393c3b24650ed32f000f4cd0231aeb70ec42084ddc3ee9f540809c")
X_ENC_RAND = bytes.fromhex("3651e1e7fe5875e6fd36dbccf9e94181")
CARD = bytes.fromhex("0102030405060708")
CHALLENGE = bytes(range(0xa0, 0xb0))
# A DER ECDSA-Sig-Value with r = 0x11..11 and s = 0x22..22 (32 bytes each).
SIG = b"\x30\x44\x02\x20" + b"\x11" * 32 + b"\x02\x20" + b"\x22" * 32
RSIG = b"\x30\x45\x02\x21\x00" + b"\x81" * 32 + b"\x02\x20" + b"\x33" * 32

vec("submit.get-challenge", b"\x01" + bytes([9]) + b"TERM-0001")
vec("submit.challenge", b"\x81" + CHALLENGE + struct.pack(">I", 300))
submit = (b"\x02" + CARD + struct.pack(">I", 7) + struct.pack(">H", len(TX)) + TX +
          bytes([len(X_ENC_RAND)]) + X_ENC_RAND + bytes([len(SIG)]) + SIG + b"12345678")
vec("submit.submit", submit)
receipt = (b"SCRC" + b"\x01" + b"\x00" + struct.pack(">Q", 42) + struct.pack(">Q", 9) + CARD +
           struct.pack(">I", 7) + TX_HASH + struct.pack(">Q", 97500) + struct.pack(">H", 978))
assert len(receipt) == 76
vec("submit.receipt", receipt, "transfer=42 counter=9 atc=7 balance=97500 currency=978")
vec("submit.result.ok", b"\x82\x00" + struct.pack(">H", len(receipt)) + receipt +
    bytes([len(RSIG)]) + RSIG + b"\x00")
text = b"wrong joint password (1 of 3 for this message)"
vec("submit.result.auth-failed", b"\x82\x04" + bytes([len(text)]) + text, "code=4")
vec("submit.get-receipt-key", b"\x03")
vec("submit.receipt-key", b"\x83\x04" + bytes(range(1, 65)))
vec("submit.bad.x-17", b"\x02" + CARD + struct.pack(">I", 7) + struct.pack(">H", len(TX)) + TX +
    bytes([17]) + b"\x00" * 17 + bytes([len(SIG)]) + SIG + b"12345678", "err=LENGTH")
vec("submit.bad.jp-letter", submit[:-1] + b"A", "err=BAD_VALUE")
vec("submit.bad.trailing", submit + b"\x00", "err=TRAILING")
vec("submit.bad.tx-0", b"\x02" + CARD + struct.pack(">I", 7) + b"\x00\x00", "err=LENGTH")
vec("submit.bad.challenge-empty-terminal", b"\x01\x00", "err=LENGTH")
vec("submit.bad.result-code-14", b"\x82\x0e\x00", "err=BAD_VALUE")
