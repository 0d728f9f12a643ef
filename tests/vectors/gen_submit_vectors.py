#!/usr/bin/env python3
"""Computes the hex vectors of docs/PROTOCOL.md section 6 (the server
submission protocol) from the layout tables there, independently of the C
code in common/submit.c. Prints the vector block; paste it into the doc.
The signatures are fixed DER byte strings: these vectors test the message
encoding, not ECDSA (the server's tests sign and verify for real)."""
import hashlib
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
def receipt_of(transfer, counter):
    return (b"SCRC" + b"\x02" + b"\x00" + struct.pack(">Q", transfer) +
            struct.pack(">Q", counter) + CARD + struct.pack(">I", 7) + TX_HASH +
            struct.pack(">Q", 97500) + struct.pack(">H", 978))

def sha(b):
    return hashlib.sha256(b).digest()

receipt = receipt_of(42, 9)
assert len(receipt) == 76
vec("submit.receipt", receipt, "version=2 transfer=42 counter=9 atc=7 balance=97500 currency=978")
# A batch of three receipts sealed together: leaves, the tree (the odd last
# leaf is lifted unchanged), the signed statement, and two of the seals.
batch = [receipt, receipt_of(43, 10), receipt_of(44, 11)]
vec("submit.receipt.2", batch[1], "transfer=43 counter=10")
vec("submit.receipt.3", batch[2], "transfer=44 counter=11")
leaf = [sha(b"\x00" + r) for r in batch]
n01 = sha(b"\x01" + leaf[0] + leaf[1])
root = sha(b"\x01" + n01 + leaf[2])
vec("submit.seal.statement", b"SCRB\x02" + root, "batch=3")
seal0 = b"\x02" + b"\x01" + leaf[1] + b"\x01" + leaf[2] + bytes([len(RSIG)]) + RSIG
seal2 = b"\x01" + b"\x00" + n01 + bytes([len(RSIG)]) + RSIG
vec("submit.seal.0", seal0, "batch=3 leaf=0")
vec("submit.seal.2", seal2, "batch=3 leaf=2")
vec("submit.result.ok", b"\x82\x00" + struct.pack(">H", len(receipt)) + receipt +
    struct.pack(">H", len(seal0)) + seal0 + b"\x00")
text = b"wrong joint password (1 of 3 for this message)"
vec("submit.result.auth-failed", b"\x82\x04" + bytes([len(text)]) + text, "code=4")
# Receipt version 3 (issue 12): no payer balance; a final decline is
# sealed like a payment and says its code and reason.
def receipt_v3(code, transfer, counter, reason=b""):
    return (b"SCRC" + b"\x03" + bytes([code]) + struct.pack(">Q", transfer) +
            struct.pack(">Q", counter) + CARD + struct.pack(">I", 7) + TX_HASH +
            struct.pack(">H", 978) + bytes([len(reason)]) + reason)

ok3 = receipt_v3(0, 42, 12)
assert len(ok3) == 69
reason = b"amount 1234 is above the balance"
declined = receipt_v3(8, 0, 13, reason)
vec("submit.receipt.v3", ok3, "transfer=42 counter=12 atc=7 currency=978")
vec("submit.receipt.declined", declined, "code=8 counter=13 atc=7 currency=978")
# The two sealed in one batch: the payment is leaf 0, the decline leaf 1.
l3 = [sha(b"\x00" + r) for r in (ok3, declined)]
root3 = sha(b"\x01" + l3[0] + l3[1])
vec("submit.seal.v3.statement", b"SCRB\x02" + root3, "batch=2")
seal_d = b"\x01" + b"\x00" + l3[0] + bytes([len(RSIG)]) + RSIG
vec("submit.seal.v3.1", seal_d, "batch=2 leaf=1")
vec("submit.result.declined", b"\x82\x08" + struct.pack(">H", len(declined)) + declined +
    struct.pack(">H", len(seal_d)) + seal_d + bytes([len(reason)]) + reason, "code=8")
vec("submit.bad.declined-unsealed", b"\x82\x08" + bytes([len(reason)]) + reason,
    "err=LENGTH")
vec("submit.get-receipt-key", b"\x03")
vec("submit.receipt-key", b"\x83\x04" + bytes(range(1, 65)))
vec("submit.bad.x-17", b"\x02" + CARD + struct.pack(">I", 7) + struct.pack(">H", len(TX)) + TX +
    bytes([17]) + b"\x00" * 17 + bytes([len(SIG)]) + SIG + b"12345678", "err=LENGTH")
vec("submit.bad.jp-letter", submit[:-1] + b"A", "err=BAD_VALUE")
vec("submit.bad.trailing", submit + b"\x00", "err=TRAILING")
vec("submit.bad.tx-0", b"\x02" + CARD + struct.pack(">I", 7) + b"\x00\x00", "err=LENGTH")
vec("submit.bad.challenge-empty-terminal", b"\x01\x00", "err=LENGTH")
vec("submit.bad.result-code-255", b"\x82\xff\x00", "err=BAD_VALUE")
# The authorisation pre-check (issue 12): PRECHECK carries the card id and
# the transaction the card is about to sign; PRECHECKED the verdict, never
# sealed. INSUFFICIENT_FUNDS (8) is no verdict: the pre-check tells no
# balance.
precheck = b"\x06" + CARD + struct.pack(">H", len(TX)) + TX
vec("submit.precheck", precheck)
vec("submit.prechecked.ok", b"\x86\x00\x00", "code=0")
mismatch = b"transaction in EUR, payer account in EUR, payee account in USD"
vec("submit.prechecked.currency", b"\x86\x0a" + bytes([len(mismatch)]) + mismatch, "code=10")
vec("submit.bad.precheck-tx-0", b"\x06" + CARD + b"\x00\x00", "err=LENGTH")
vec("submit.bad.precheck-tx-257", b"\x06" + CARD + struct.pack(">H", 257) + bytes(257),
    "err=LENGTH")
vec("submit.bad.precheck-trailing", precheck + b"\x00", "err=TRAILING")
vec("submit.bad.precheck-short", precheck[:-1], "err=TRUNCATED")
vec("submit.bad.prechecked-funds", b"\x86\x08\x00", "err=BAD_VALUE")
vec("submit.bad.prechecked-control", b"\x86\x00\x01\x0a", "err=BAD_VALUE")
