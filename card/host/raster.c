/* The screen model drawn as pixels: the title large, the lines below, the
 * QR code (if any) centred underneath, black on white, sized for a camera
 * (each QR module is RASTER_QR_MODULE pixels, with its quiet zone). */
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "host.h"

#define RASTER_MARGIN 16u
#define RASTER_TITLE_SCALE 3u
#define RASTER_LINE_SCALE 2u
#define RASTER_CELL_W FONT_W          /* Unifont's glyphs carry their own spacing */
#define RASTER_CELL_H (FONT_H + 2u)   /* two rows between lines */
#define RASTER_GAP 12u
#define RASTER_QR_MODULE 6u
#define RASTER_MIN_W 320u

/* Drawn for a character the font lacks or a byte that is not UTF-8: a
 * hollow box, unlike every glyph (the font's tests check), so that it is
 * never read as a real character. */
static const uint8_t raster_no_glyph[FONT_H] = {
	0x00, 0x00, 0x7E, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x7E, 0x00, 0x00,
};

/* The glyph of the character that starts s in *g; returns the bytes it
 * takes. */
static size_t raster_next_char(const char *s, const uint8_t **g)
{
	uint32_t cp;
	int n = sc_utf8_next(&cp, (const uint8_t *)s, strlen(s));

	*g = n > 0 ? font_glyph(cp) : NULL;
	if (*g == NULL)
		*g = raster_no_glyph;
	return n > 0 ? (size_t)n : 1u;
}

const uint8_t *raster_glyph_of(const char *s)
{
	const uint8_t *g;

	raster_next_char(s, &g);
	return g;
}

size_t raster_text_cells(const char *s)
{
	size_t cells = 0;
	const uint8_t *g;

	while (*s != '\0') {
		s += raster_next_char(s, &g);
		cells++;
	}
	return cells;
}

static void raster_text(struct raster *r, uint32_t x0, uint32_t y0, uint32_t scale,
			const char *s)
{
	uint32_t col, row, dx, dy, x = x0;

	while (*s != '\0') {
		const uint8_t *g;

		s += raster_next_char(s, &g);
		for (row = 0; row < FONT_H; row++)
			for (col = 0; col < FONT_W; col++) {
				if (!(g[row] >> (FONT_W - 1u - col) & 1u))
					continue;
				for (dy = 0; dy < scale; dy++)
					for (dx = 0; dx < scale; dx++) {
						uint32_t px = x + col * scale + dx;
						uint32_t py = y0 + row * scale + dy;
						if (px < r->w && py < r->h)
							r->px[(size_t)py * r->w + px] = 0;
					}
			}
		x += RASTER_CELL_W * scale;
	}
}

static uint32_t raster_max(uint32_t a, uint32_t b) { return a > b ? a : b; }

int raster_screen(struct raster *r, const struct card_screen *s)
{
	struct qr_modules q = {0, NULL};
	uint32_t w, h, y, qr_px = 0, text_w, i, x, yy, dx, dy;
	memset(r, 0, sizeof *r);
	if (s->qr[0] != '\0') {
		if (qr_modules_make(&q, s->qr) != 0)
			return -1;
		qr_px = q.size * RASTER_QR_MODULE;
	}
	text_w = (uint32_t)raster_text_cells(s->title) * RASTER_CELL_W * RASTER_TITLE_SCALE;
	for (i = 0; i < CARD_SCREEN_LINES; i++)
		text_w = raster_max(text_w, (uint32_t)raster_text_cells(s->lines[i]) *
						    RASTER_CELL_W * RASTER_LINE_SCALE);
	w = raster_max(RASTER_MIN_W, raster_max(text_w, qr_px) + 2u * RASTER_MARGIN);
	h = RASTER_MARGIN + RASTER_CELL_H * RASTER_TITLE_SCALE + RASTER_GAP +
	    CARD_SCREEN_LINES * RASTER_CELL_H * RASTER_LINE_SCALE + RASTER_MARGIN;
	if (qr_px > 0)
		h += qr_px + RASTER_GAP;
	r->px = malloc((size_t)w * h);
	if (r->px == NULL) {
		qr_modules_free(&q);
		return -1;
	}
	r->w = w;
	r->h = h;
	memset(r->px, 255, (size_t)w * h);

	y = RASTER_MARGIN;
	raster_text(r, RASTER_MARGIN, y, RASTER_TITLE_SCALE, s->title);
	y += RASTER_CELL_H * RASTER_TITLE_SCALE + RASTER_GAP;
	for (i = 0; i < CARD_SCREEN_LINES; i++) {
		raster_text(r, RASTER_MARGIN, y, RASTER_LINE_SCALE, s->lines[i]);
		y += RASTER_CELL_H * RASTER_LINE_SCALE;
	}
	if (qr_px > 0) {
		uint32_t x0 = (w - qr_px) / 2u;
		y += RASTER_GAP;
		for (yy = 0; yy < q.size; yy++)
			for (x = 0; x < q.size; x++) {
				if (!q.dark[(size_t)yy * q.size + x])
					continue;
				for (dy = 0; dy < RASTER_QR_MODULE; dy++)
					for (dx = 0; dx < RASTER_QR_MODULE; dx++)
						r->px[(size_t)(y + yy * RASTER_QR_MODULE + dy) * w +
						      x0 + x * RASTER_QR_MODULE + dx] = 0;
			}
	}
	qr_modules_free(&q);
	return 0;
}

void raster_free(struct raster *r)
{
	free(r->px);
	r->px = NULL;
	r->w = r->h = 0;
}
