#!/usr/bin/env python3
"""The EK-LM3S6965 board's panel in QEMU, through its QMP socket, for
firmware_board.sh (not a test itself):

  board_panel.py QMP screen        the OLED read back: QEMU's screendump
                                   (the SSD0323's pixels) decoded into its 8
                                   text rows with the glyph table of
                                   card/board/lm3s6965/font.c, one a line
                                   (a cell that is no glyph prints as '~')
  board_panel.py QMP keys K...     presses buttons with send-key, one K at a
                                   time: up, down, left, right, select, or
                                   a chord such as up+down (held together)

The decoding is the test's own: it reads the pixels the display driver
sent over SSI, so a wrong bit order, window, cell width or D/C line shows
as text that does not match the screen model."""
import json
import os
import re
import socket
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# QEMU's lm3s6965evb: the buttons are these keys (hw/arm/stellaris.c).
QCODES = {"up": "up", "down": "down", "left": "left", "right": "right", "select": "ctrl"}
MAGNIFY = 4          # QEMU's ssd0323 draws each pixel 4 x 4
CELL_W, CELL_H, FONT_W, ROWS, CELLS = 6, 8, 5, 8, 21


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(path)
        self.buf = b""
        self.read()                      # the greeting
        self.cmd("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                sys.exit("board_panel: QMP closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        self.s.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        while True:
            r = self.read()
            if "return" in r:
                return r["return"]
            if "error" in r:
                sys.exit("board_panel: %s: %s" % (name, r["error"]))


def glyphs():
    """Column bytes of each glyph in font.c -> its character."""
    src = open(os.path.join(TOP, "card/board/lm3s6965/font.c")).read()
    table = re.search(r"font5x7\[FONT_GLYPHS\]\[FONT_W\] = \{(.*?)\n\};", src, re.S).group(1)
    rows = re.findall(r"\{((?:0x[0-9A-F]{2}, ){4}0x[0-9A-F]{2})\}", table)
    assert len(rows) == 64, len(rows)
    out = {}
    for i, r in enumerate(rows):
        out.setdefault(tuple(int(b, 16) for b in r.split(", ")), chr(32 + i))
    return out


def read_ppm(path):
    data = open(path, "rb").read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():]


def screen(qmp):
    fd, path = tempfile.mkstemp(suffix=".ppm")
    os.close(fd)
    try:
        qmp.cmd("screendump", filename=path)
        w, h, px = read_ppm(path)
    finally:
        os.unlink(path)
    if (w, h) != (128 * MAGNIFY, 64 * MAGNIFY):
        sys.exit("board_panel: screendump %dx%d, not the OLED's" % (w, h))

    def on(x, y):
        return px[3 * ((y * MAGNIFY) * w + x * MAGNIFY)] >= 0x80

    table = glyphs()
    lines = []
    for r in range(ROWS):
        text = ""
        for c in range(CELLS):
            x0, y0 = c * CELL_W, r * CELL_H
            cols = tuple(sum(1 << y for y in range(CELL_H) if on(x0 + x, y0 + y))
                         for x in range(FONT_W))
            gap = any(on(x0 + FONT_W, y0 + y) for y in range(CELL_H))
            text += "~" if gap else table.get(cols, "~")
        lines.append(text.rstrip())
    print("\n".join(lines))


def keys(qmp, names):
    for k in names:
        codes = [{"type": "qcode", "data": QCODES[p]} for p in k.split("+")]
        qmp.cmd("send-key", keys=codes, **{"hold-time": 150})


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("screen", "keys"):
        sys.exit(__doc__)
    qmp = Qmp(sys.argv[1])
    if sys.argv[2] == "screen":
        screen(qmp)
    else:
        keys(qmp, sys.argv[3:])


if __name__ == "__main__":
    main()
