/* The OLED's font (font.c). */
#ifndef SC_BOARD_DISPLAY_FONT_H
#define SC_BOARD_DISPLAY_FONT_H

#include <stdint.h>

#define FONT_FIRST 32u
#define FONT_GLYPHS 64u
#define FONT_W 5u      /* columns a glyph; a cell is FONT_W + 1 wide, 8 high */

extern const uint8_t font5x7[FONT_GLYPHS][FONT_W];
/* The glyph drawn for byte c. */
const uint8_t *font_glyph(char c);

#endif
