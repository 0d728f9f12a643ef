#!/usr/bin/env python3
"""GNU Unifont's .hex glyphs as the C table the card emulator draws its
screen with (card/host/font.c): `make` runs it into build/, never committed.

  unifont-to-c.py UNIFONT_HEX FIRST-LAST... > font_glyphs.c

Each range is two hex code points. Every halfwidth (8x16) glyph in the
ranges goes into the table, sorted by code point, one byte per row, bit 7
the leftmost pixel. A fullwidth (16x16) glyph does not fit the screen's
cells and is left out, named in the output. A code point of a range that
the font lacks, or a line that is not CODEPOINT:HEX, is an error (exit 1);
wrong arguments exit 2."""
import sys

GLYPH_HALF = 32   # hex digits of an 8x16 glyph
GLYPH_FULL = 64   # hex digits of a 16x16 glyph


def parse_ranges(args):
    ranges = []
    for arg in args:
        first, sep, last = arg.partition("-")
        try:
            lo, hi = int(first, 16), int(last, 16)
        except ValueError:
            lo, hi = 1, 0
        if not sep or lo > hi:
            raise ValueError(f"not a range FIRST-LAST in hex: {arg!r}")
        ranges.append((lo, hi))
    return ranges


def read_font(path, wanted):
    glyphs = {}
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            cp_text, sep, bits = line.strip().partition(":")
            try:
                cp = int(cp_text, 16)
                int(bits, 16)
            except ValueError:
                sep = ""
            if not sep or len(bits) not in (GLYPH_HALF, GLYPH_FULL):
                raise ValueError(f"{path}:{n}: not CODEPOINT:GLYPH")
            if cp in wanted:
                glyphs[cp] = bits
    return glyphs


def main(argv):
    if len(argv) < 3:
        print("usage: " + __doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    try:
        ranges = parse_ranges(argv[2:])
    except ValueError as e:
        print(f"unifont-to-c: {e}", file=sys.stderr)
        return 2
    wanted = {cp for lo, hi in ranges for cp in range(lo, hi + 1)}
    try:
        glyphs = read_font(argv[1], wanted)
    except (OSError, ValueError) as e:
        print(f"unifont-to-c: {e}", file=sys.stderr)
        return 1
    missing = sorted(wanted - glyphs.keys())
    if missing:
        print("unifont-to-c: the font has no glyph for "
              + " ".join(f"U+{cp:04X}" for cp in missing), file=sys.stderr)
        return 1
    wide = sorted(cp for cp, bits in glyphs.items() if len(bits) == GLYPH_FULL)
    out = [f"/* GNU Unifont's 8x16 glyphs for {' '.join(argv[2:])}, from {argv[1]}",
           " * by scripts/unifont-to-c.py (make): generated, do not edit."]
    if wide:
        out.append(" * Left out, 16 pixels wide: "
                   + " ".join(f"U+{cp:04X}" for cp in wide) + ".")
    out += [" */", '#include "card/host/host.h"', "",
            "const struct font_glyph font_glyphs[] = {"]
    for cp in sorted(glyphs):
        bits = glyphs[cp]
        if len(bits) != GLYPH_HALF:
            continue
        rows = ", ".join(f"0x{bits[i:i + 2]}" for i in range(0, GLYPH_HALF, 2))
        out.append(f"\t{{0x{cp:04X}, {{{rows}}}}},")
    out += ["};", "const size_t font_glyph_count = sizeof font_glyphs / sizeof font_glyphs[0];", ""]
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
