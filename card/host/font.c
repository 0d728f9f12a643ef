/* The screen's font: GNU Unifont's 8x16 glyphs, converted from Debian's
 * unifont package at build time (scripts/unifont-to-c.py, the Makefile)
 * into font_glyphs[], sorted by code point. */
#include "host.h"

const uint8_t *font_glyph(uint32_t cp)
{
	size_t lo = 0, hi = font_glyph_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2u;

		if (font_glyphs[mid].cp == cp)
			return font_glyphs[mid].rows;
		if (font_glyphs[mid].cp < cp)
			lo = mid + 1u;
		else
			hi = mid;
	}
	return NULL;
}
