#!/usr/bin/env python3
"""Drives both chips of pn532sim with raw PN532 UART frames, for what libnfc
cannot reach: MI chaining past one frame in both directions, extended
frames, ACK/NACK, the wake-up preamble, corrupt frames and unknown commands.

    rawhost.py READER_PTY CARD_PTY SCENARIO
    rawhost.py READER_PTY - apdus HEX...   (a reader alone: reader_apdus)

Exit 0 if the scenario held, 1 with the reason on stderr otherwise."""
import os
import select
import sys
import termios
import time
import tty

ACK = bytes([0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00])
NACK = bytes([0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00])
ERROR_FRAME = bytes([0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00])


class Fail(Exception):
    pass


def frame(data):
    """A host-to-chip information frame around TFI D4 + data."""
    body = bytes([0xD4]) + bytes(data)
    n = len(body)
    if n <= 255:
        head = bytes([0x00, 0x00, 0xFF, n, (0x100 - n) & 0xFF])
    else:
        hi, lo = n >> 8, n & 0xFF
        head = bytes([0x00, 0x00, 0xFF, 0xFF, 0xFF, hi, lo, (0x100 - hi - lo) & 0xFF])
    dcs = (0x100 - sum(body)) & 0xFF
    return head + body + bytes([dcs, 0x00])


class Host:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIFLUSH)
        self.buf = b""

    def send(self, raw):
        os.write(self.fd, raw)

    def read(self, n, timeout=2.0):
        end = time.monotonic() + timeout
        while len(self.buf) < n:
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("timed out waiting for %d bytes (have %s)" % (n, self.buf.hex()))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def quiet(self, timeout=0.3):
        """Nothing arrives for timeout seconds."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r or self.buf:
            raise Fail("unexpected bytes: %s" % (self.buf + os.read(self.fd, 4096)).hex())

    def expect_ack(self):
        got = self.read(6)
        if got != ACK:
            raise Fail("expected ACK, got %s" % got.hex())

    def response(self, cmd, timeout=2.0):
        """Reads one chip-to-host frame answering cmd; returns its payload."""
        head = self.read(5, timeout)
        if head[:3] != b"\x00\x00\xff":
            raise Fail("bad preamble %s" % head.hex())
        if head[3:5] == b"\x01\xff":
            self.read(3)
            raise Fail("error frame for command %02x" % cmd)
        if head[3:5] == b"\xff\xff":
            ext = self.read(3)
            if (ext[0] + ext[1] + ext[2]) & 0xFF:
                raise Fail("extended LCS")
            n = (ext[0] << 8) | ext[1]
        else:
            if (head[3] + head[4]) & 0xFF:
                raise Fail("LCS")
            n = head[3]
        body = self.read(n + 2)
        if body[0] != 0xD5 or body[1] != cmd + 1:
            raise Fail("answer %s to command %02x" % (body[:2].hex(), cmd))
        if sum(body[:n + 1]) & 0xFF or body[n + 1] != 0:
            raise Fail("DCS or postamble")
        return body[2:n]

    def command(self, data, timeout=2.0):
        self.send(frame(data))
        self.expect_ack()
        return self.response(data[0], timeout)

    def wake(self):
        """The HSU wake-up, then SAMConfiguration (normal mode), as libnfc's
        pn532_uart sends them; harmless to a chip already awake."""
        self.send(bytes([0x55, 0x55, 0x00, 0x00, 0x00]) + frame([0x14, 0x01]))
        self.expect_ack()
        if self.response(0x14) != b"":
            raise Fail("SAMConfiguration answer")

    def arm(self, tg_init):
        """As libnfc arms an ISO 14443-4 card: SetParameters with the PICC
        bit (the chip answers RATS), then TgInitAsTarget (its answer comes
        once a reader selects it)."""
        self.wake()
        self.command([0x12, 0x20])
        self.send(frame(tg_init))
        self.expect_ack()


def pattern(n, seed):
    return bytes((seed + 7 * i) & 0xFF for i in range(n))


TG_INIT = bytes([0x8C, 0x05, 0x04, 0x00, 0x12, 0x34, 0x56, 0x20]) + bytes(18 + 10) + bytes([0x00, 0x02, 0x41, 0x42])


def select_pair(reader, card):
    reader.wake()
    reader.command([0x12, 0x14])                 # SetParameters: auto ATR_RES, auto RATS
    reader.command([0x32, 0x05, 0x00, 0x01, 0x02])   # finite retries
    reader.command([0x32, 0x01, 0x01])           # RF field on
    card.arm(TG_INIT)
    got = reader.command([0x4A, 0x01, 0x00])
    if got[0] != 1:
        raise Fail("no target listed: %s" % got.hex())
    if got[1:10] != bytes([0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x12, 0x34, 0x56]):
        raise Fail("target data %s" % got.hex())
    ats = got[10:]
    if ats[0] != len(ats) or ats[-2:] != b"AB":
        raise Fail("ATS %s" % ats.hex())
    mode = card.response(0x8C)
    if mode[0] != 0x08:
        raise Fail("activated mode %s" % mode.hex())


def chained_exchange(reader, card):
    select_pair(reader, card)
    msg = pattern(600, 3)
    # Reader host -> chip in three parts, MI set on the first two.
    for part, last in ((msg[:250], False), (msg[250:500], False), (msg[500:], True)):
        tg = 0x01 if last else 0x41
        if last:
            reader.send(frame(bytes([0x40, tg]) + part))
            reader.expect_ack()
        else:
            st = reader.command(bytes([0x40, tg]) + part)
            if st != b"\x00":
                raise Fail("MI part status %s" % st.hex())
    # Card host reads it in chunks of at most 262 bytes, MI on all but the last.
    got = b""
    while True:
        r = card.command([0x86])
        got += r[1:]
        if len(r) - 1 > 262:
            raise Fail("TgGetData chunk of %d bytes" % (len(r) - 1))
        if not r[0] & 0x40:
            break
        if r[0] & 0x3F:
            raise Fail("TgGetData status %02x" % r[0])
    if got != msg:
        raise Fail("card got %d bytes, not the 600 sent" % len(got))
    # Card answers 500 bytes: TgSetMetaData (MI) then TgSetData.
    ans = pattern(500, 11)
    if card.command(bytes([0x94]) + ans[:240]) != b"\x00":
        raise Fail("TgSetMetaData status")
    if card.command(bytes([0x8E]) + ans[240:]) != b"\x00":
        raise Fail("TgSetData status")
    r = reader.response(0x40)
    back = r[1:]
    while r[0] & 0x40:
        r = reader.command([0x40, 0x01])
        back += r[1:]
    if r[0] & 0x3F:
        raise Fail("InDataExchange status %02x" % r[0])
    if back != ans:
        raise Fail("reader got %d bytes, not the 500 answered" % len(back))
    reader.command([0x52, 0x00])
    if card.command([0x86]) != b"\x29":
        raise Fail("card not told of the release")


def framing(reader, card):
    # Asleep (at power-on, and after PowerDown, as libnfc leaves it) the
    # chip hears nothing before the wake-up preamble.
    reader.wake()
    if reader.command([0x16, 0x20]) != b"\x00":
        raise Fail("PowerDown status")
    reader.send(frame([0x02]))
    reader.quiet()
    # Wake-up preamble then SAMConfiguration, as libnfc sends it.
    reader.wake()
    # Preamble, start code and postamble are all required: a frame without
    # one of them gets no ACK; checksums right or no ACK either.
    reader.send(frame([0x02])[1:])
    reader.quiet()
    reader.send(frame([0x02])[:-1] + b"\x01")
    reader.quiet()
    bad = bytearray(frame([0x02]))
    bad[4] ^= 0x01
    reader.send(bytes(bad))
    reader.quiet()
    # Diagnose line test echoes, also through an extended frame.
    data = bytes([0x00]) + pattern(258, 5)
    if reader.command(bytes([0x00]) + data) != data:
        raise Fail("Diagnose echo through an extended frame")
    fw = reader.command([0x02])
    if fw != bytes([0x32, 0x01, 0x06, 0x07]):
        raise Fail("firmware %s" % fw.hex())
    # NACK: the last answer again.
    reader.send(NACK)
    if reader.response(0x02) != fw:
        raise Fail("NACK did not repeat the answer")
    # Registers keep what is written.
    reader.command([0x08, 0x63, 0x02, 0x80, 0x63, 0x03, 0x81])
    if reader.command([0x06, 0x63, 0x02, 0x63, 0x03]) != bytes([0x80, 0x81]):
        raise Fail("register file")
    # An unknown command: ACK then the syntax-error frame, never silence.
    reader.send(frame([0x7E, 0x01]))
    reader.expect_ack()
    got = reader.read(8)
    if got != ERROR_FRAME:
        raise Fail("unknown command answered %s" % got.hex())
    # A corrupt data checksum: dropped, no answer; the next frame works.
    bad = bytearray(frame([0x02]))
    bad[-2] ^= 0xFF
    reader.send(bytes(bad))
    reader.quiet()
    if reader.command([0x02]) != fw:
        raise Fail("chip stuck after a corrupt frame")
    # ACK aborts a waiting TgInitAsTarget: nothing comes back for it.
    card.arm(TG_INIT)
    card.send(ACK)
    card.quiet()
    reader.command([0x32, 0x01, 0x01])           # RF field on
    reader.command([0x32, 0x05, 0x00, 0x01, 0x02])
    if reader.command([0x4A, 0x01, 0x00]) != b"\x00":
        raise Fail("aborted target still listed")
    # Without SetParameters' PICC bit the card chip answers no RATS: the
    # reader sees a 14443-3 card (no ATS) however the SAK reads.
    reader.command([0x12, 0x14])
    reader.command([0x32, 0x01, 0x01])           # RF field on
    card.command([0x12, 0x00])
    card.send(frame(TG_INIT))
    card.expect_ack()
    got = reader.command([0x4A, 0x01, 0x00])
    if got[:10] != bytes([0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x12, 0x34, 0x56]) or len(got) != 10:
        raise Fail("card without the PICC bit listed as %s" % got.hex())
    if card.response(0x8C)[0] != 0x00:
        raise Fail("card without the PICC bit activated as 14443-4")
    reader.command([0x52, 0x00])


def sim_log_count(text):
    """Lines of the sim's log (PN532SIM_LOG) holding text."""
    with open(os.environ["PN532SIM_LOG"], errors="replace") as f:
        return sum(text in line for line in f)


def removal(reader, card):
    select_pair(reader, card)
    if reader.command([0x00, 0x06]) != b"\x00":
        raise Fail("card not present before removal")
    reader.send(frame([0x40, 0x01, 0x00, 0xA4]))
    reader.expect_ack()
    card.command([0x86])
    os.kill(int(os.environ["PN532SIM_PID"]), 10)   # SIGUSR1: card leaves
    if reader.response(0x40) != b"\x01":
        raise Fail("reader not told of a timeout")
    if reader.command([0x00, 0x06]) != b"\x01":
        raise Fail("card still present after removal")
    if card.command([0x86]) != b"\x29":
        raise Fail("card host not told of the release")
    back = sim_log_count("card back in the field")
    os.kill(int(os.environ["PN532SIM_PID"]), 12)   # SIGUSR2: back
    end = time.monotonic() + 10                    # once the sim says so
    while sim_log_count("card back in the field") == back:
        if time.monotonic() > end:
            raise Fail("card not back after SIGUSR2")
        time.sleep(0.01)
    select_pair(reader, card)
    reader.command([0x52, 0x00])


def autopoll(reader, card):
    """InAutoPoll (libnfc's nfc_initiator_poll_target) and GetGeneralStatus."""
    reader.wake()
    reader.command([0x12, 0x14])
    reader.command([0x32, 0x01, 0x01])
    if reader.command([0x60, 0x01, 0x01, 0x20]) != b"\x00":
        raise Fail("InAutoPoll found a target in an empty field")
    card.arm(TG_INIT)
    got = reader.command([0x60, 0x01, 0x01, 0x10, 0x20])
    if got[:3] != bytes([0x01, 0x20, len(got) - 3]) or got[3:12] != bytes(
            [0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x12, 0x34, 0x56]):
        raise Fail("InAutoPoll answer %s" % got.hex())
    card.response(0x8C)
    st = reader.command([0x04])
    if st != bytes([0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00]):
        raise Fail("GetGeneralStatus with a target %s" % st.hex())
    reader.command([0x52, 0x00])
    if reader.command([0x04]) != bytes([0x00, 0x01, 0x00, 0x00]):
        raise Fail("GetGeneralStatus after release")


def pollwait(reader, card):
    """The --poll-wait-ms test hook (the sim started with 500): a single poll
    that finds the card in the field but not armed waits for its host to arm
    it; a card never armed again is reported absent once the wait is over."""
    reader.wake()
    card.wake()
    card.command([0x12, 0x20])
    reader.command([0x12, 0x14])
    reader.command([0x32, 0x05, 0x00, 0x01, 0x02])   # finite retries
    reader.command([0x32, 0x01, 0x01])
    held = sim_log_count("poll held until the card is armed")
    reader.send(frame([0x4A, 0x01, 0x00]))
    reader.expect_ack()
    end = time.monotonic() + 10
    while sim_log_count("poll held until the card is armed") == held:
        if time.monotonic() > end:
            raise Fail("the poll was not held")
        time.sleep(0.01)
    card.send(frame(TG_INIT))
    card.expect_ack()
    got = reader.response(0x4A)
    if got[:10] != bytes([0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x12, 0x34, 0x56]):
        raise Fail("the held poll did not find the card armed: %s" % got.hex())
    card.response(0x8C)
    reader.command([0x44, 0x00])                 # InDeselect: the card is released
    if card.command([0x86]) != b"\x29":
        raise Fail("card host not told of the release")
    start = time.monotonic()
    if reader.command([0x4A, 0x01, 0x00], timeout=10) != b"\x00":
        raise Fail("a target listed while the card was not armed")
    if time.monotonic() - start < 0.45:
        raise Fail("no target reported before the wait was over")


def reader_apdus(reader, apdus):
    """A reader alone (the card is another host's: the firmware's PN532):
    selects the card, sends each APDU (hex) as one exchange, chained by the
    chip in 250-byte parts (the MI bit), and prints each answer in hex; the
    card then gets a command longer than one of its chip's frames."""
    reader.wake()
    reader.command([0x12, 0x14])
    reader.command([0x32, 0x05, 0x00, 0x01, 0x02])
    reader.command([0x32, 0x01, 0x01])
    got = reader.command([0x4A, 0x01, 0x00], timeout=20)
    if not got or got[0] != 1:
        raise Fail("no card listed: %s" % got.hex())
    for hexapdu in apdus:
        msg = bytes.fromhex(hexapdu)
        parts = [msg[i:i + 250] for i in range(0, len(msg), 250)]
        for part in parts[:-1]:
            st = reader.command(bytes([0x40, 0x41]) + part)
            if st != b"\x00":
                raise Fail("MI part status %s" % st.hex())
        r = reader.command(bytes([0x40, 0x01]) + parts[-1], timeout=20)
        back = r[1:]
        while r[0] & 0x40:
            r = reader.command([0x40, 0x01], timeout=20)
            back += r[1:]
        if r[0] & 0x3F:
            raise Fail("InDataExchange status %02x" % r[0])
        print(back.hex().upper())
    reader.command([0x52, 0x00])


SCENARIOS = {"autopoll": autopoll, "chained": chained_exchange, "framing": framing,
             "pollwait": pollwait, "removal": removal}


def main():
    if len(sys.argv) >= 4 and sys.argv[2] == "-" and sys.argv[3] == "apdus":
        try:
            reader_apdus(Host(sys.argv[1]), sys.argv[4:])
        except Fail as e:
            print("rawhost: apdus: %s" % e, file=sys.stderr)
            return 1
        return 0
    if len(sys.argv) != 4 or sys.argv[3] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        return 2
    reader, card = Host(sys.argv[1]), Host(sys.argv[2])
    try:
        SCENARIOS[sys.argv[3]](reader, card)
    except Fail as e:
        print("rawhost: %s: %s" % (sys.argv[3], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
