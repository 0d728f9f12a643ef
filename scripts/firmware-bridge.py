#!/usr/bin/env python3
"""The card's slot socket in front of a firmware UART (scripts/run-firmware.sh):
UART0 always, UART2 when it carries frames (--contactless) rather than
driving the board's PN532 (--pn532).

QEMU can put a UART straight on a Unix socket, but a UART has no carrier
detect: the board cannot see a reader leave, and QEMU drops the bytes a
reader sent just before hanging up (its 1-byte receive register is full,
the hang-up wins). A reader leaving is what starts the card's on-card
confirmation (claim 7), and its last frame is often POWER OFF; so this
bridge gives the firmware exactly the slot semantics of the host
emulator's --contact/--contactless sockets:

  - it listens at --listen (mode 0600) and serves one reader at a time; a
    second one is refused (closed at once);
  - it reads whole frames (common/frame.h) from the reader and forwards
    each one whole to the UART, malformed ones too (empty, longer than the
    board takes, an unknown control code): the card's carrier engine
    answers those 6700 (docs/PROTOCOL.md §1), here as on the emulator;
  - when a reader that powered the card leaves, it sends POWER OFF: the
    card left the reader;
  - replies go back to the reader that asked; a reply for a reader that
    has left is dropped, never handed to the next one.

usage: firmware-bridge.py --listen PATH --uart PATH --name NAME
It ends when the UART's socket closes (the board stopped)."""
import argparse
import os
import selectors
import signal
import socket
import stat
import sys
import time

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04


def log(name, msg):
    print("firmware-bridge %s: %s" % (name, msg), file=sys.stderr, flush=True)


class Frames:
    """Incremental splitter: feed bytes, get complete bodies, an empty one
    for a zero-length frame (the board, not the bridge, judges them)."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            n = int.from_bytes(self.buf[:2], "big")
            if len(self.buf) < 2 + n:
                break
            out.append(self.buf[2:2 + n])
            self.buf = self.buf[2 + n:]
        return out


def frame(body):
    return len(body).to_bytes(2, "big") + body


def listen(path):
    try:
        st = os.lstat(path)
        if not stat.S_ISSOCK(st.st_mode):
            sys.exit("firmware-bridge: %s exists and is not a socket" % path)
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        s.bind(path)
    finally:
        os.umask(old)
    s.listen(4)
    return s


def connect_uart(path, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        try:
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.connect(path)
            return u
        except OSError:
            u.close()
            if time.monotonic() > deadline:
                sys.exit("firmware-bridge: no UART socket at %s" % path)
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--uart", required=True)
    ap.add_argument("--name", default="slot")
    a = ap.parse_args()
    # SIGTERM ends the bridge through the finally below: the socket goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    name = a.name
    uart = connect_uart(a.uart)
    lsock = listen(a.listen)
    sel = selectors.DefaultSelector()
    sel.register(uart, selectors.EVENT_READ, "uart")
    sel.register(lsock, selectors.EVENT_READ, "listen")
    reader = None            # the connected reader's socket
    reader_id = 0            # bumped per reader
    dec = None               # the reader's frame decoder
    powered = False          # the reader powered the card
    askers = []              # reader ids, one per reply the card owes
    from_card = Frames()

    def drop(why):
        nonlocal reader, powered
        log(name, "reader gone (%s)" % why)
        sel.unregister(reader)
        reader.close()
        reader = None
        if powered:
            uart.sendall(frame(bytes([CTRL_OFF])))   # the card left the reader
            powered = False

    def to_card(body):
        nonlocal powered
        # Every frame but power off, on and reset gets one answer: an ATR,
        # an R-APDU, or the 6700 that refuses a malformed frame.
        if len(body) == 1 and body[0] in (CTRL_OFF, CTRL_ON, CTRL_RESET):
            powered = body[0] != CTRL_OFF
        else:
            askers.append(reader_id)
            if len(body) >= 2:
                powered = True   # an APDU powers the card
        uart.sendall(frame(body))

    def serve_reader(blocking):
        """Reads what the reader sent: "idle" (nothing waiting), "data",
        or False once it is gone."""
        try:
            data = reader.recv(65536, 0 if blocking else socket.MSG_DONTWAIT)
        except BlockingIOError:
            return "idle"
        except OSError:
            data = b""
        if not data:
            drop("closed by peer")
            return False
        for body in dec.feed(data):
            to_card(body)
        return "data"

    try:
        while True:
            # Readers and the card first: a reader that has just left must
            # be gone before a newcomer is judged.
            events = sorted(sel.select(), key=lambda e: e[0].data == "listen")
            for key, _ in events:
                if key.data == "listen":
                    c, _ = lsock.accept()
                    while reader is not None and serve_reader(False) == "data":
                        pass
                    if reader is not None:
                        log(name, "a reader is already connected: refusing another")
                        c.close()
                        continue
                    reader, dec, powered = c, Frames(), False
                    reader_id += 1
                    sel.register(reader, selectors.EVENT_READ, "reader")
                elif key.data == "uart":
                    data = uart.recv(65536)
                    if not data:
                        log(name, "the board stopped")
                        return 0
                    for body in from_card.feed(data):
                        asker = askers.pop(0) if askers else None
                        if reader is not None and asker == reader_id:
                            try:
                                reader.sendall(frame(body))
                            except OSError:
                                drop("write failed")
                elif key.data == "reader" and reader is not None and key.fileobj is reader:
                    serve_reader(True)
    finally:
        try:
            os.unlink(a.listen)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
