/* The card's screen as a PNG: libpng writes it atomically, and zbar (an
 * independent decoder) reads the QR payload back from the file, for
 * payloads of the card's password screen. Text is drawn in GNU Unifont,
 * every character the card can show as itself. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>
#include <zbar.h>

#include "card/core/core.h"
#include "card/hal.h"
#include "card/host/host.h"

static char dir[256];
static char path[512];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/sc-png-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/screen.png", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Reads the PNG back with libpng's simplified API as 8-bit grey. */
static uint8_t *read_png(const char *file, uint32_t *w, uint32_t *h)
{
	png_image img;
	uint8_t *px;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, file))
		return NULL;
	img.format = PNG_FORMAT_GRAY;
	px = malloc(PNG_IMAGE_SIZE(img));
	if (px == NULL || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
		free(px);
		png_image_free(&img);
		return NULL;
	}
	*w = img.width;
	*h = img.height;
	return px;
}

/* Decodes every QR symbol in the file with zbar; returns the first one's
 * data (malloc'd) or NULL. */
static char *zbar_decode_file(const char *file)
{
	uint32_t w, h;
	uint8_t *px = read_png(file, &w, &h);
	zbar_image_scanner_t *sc;
	zbar_image_t *img;
	const zbar_symbol_t *sym;
	char *out = NULL;
	if (px == NULL)
		return NULL;
	sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	img = zbar_image_create();
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, w, h);
	zbar_image_set_data(img, px, (unsigned long)w * h, NULL);
	if (zbar_scan_image(sc, img) > 0) {
		sym = zbar_image_first_symbol(img);
		if (sym != NULL)
			out = strdup(zbar_symbol_get_data(sym));
	}
	zbar_image_destroy(img);
	zbar_image_scanner_destroy(sc);
	free(px);
	return out;
}

static void password_screen(struct card_screen *s, const char *qr)
{
	memset(s, 0, sizeof *s);
	s->id = CARD_SCREEN_PASSWORD;
	snprintf(s->title, sizeof s->title, "Joint password");
	snprintf(s->lines[0], sizeof s->lines[0], "12.34 EUR to ACME Ltd");
	snprintf(s->lines[1], sizeof s->lines[1], "Password: 73019482");
	snprintf(s->qr, sizeof s->qr, "%s", qr);
}

static void qr_payload_decodes_with_zbar(void **state)
{
	static const char *const payloads[] = {
		"SIGCARD1:0011223344556677:1:73019482",
		"SIGCARD1:f0e1d2c3b4a59687:4294967295:00000000",
		"SIGCARD1:a1b2c3d4e5f60718:123456:99999999",
	};
	unsigned i;
	(void)state;
	for (i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		struct card_screen s;
		struct raster r;
		char *got;
		password_screen(&s, payloads[i]);
		assert_int_equal(raster_screen(&r, &s), 0);
		assert_int_equal(pngfile_write(path, &r), 0);
		raster_free(&r);
		got = zbar_decode_file(path);
		assert_non_null(got);
		assert_string_equal(got, payloads[i]);
		free(got);
	}
}

static void longest_qr_payload_decodes(void **state)
{
	struct card_screen s;
	struct raster r;
	char payload[CARD_SCREEN_QR_MAX];
	char *got;
	(void)state;
	memset(payload, 'A', sizeof payload - 1);
	payload[sizeof payload - 1] = '\0';
	password_screen(&s, payload);
	assert_int_equal(raster_screen(&r, &s), 0);
	assert_int_equal(pngfile_write(path, &r), 0);
	raster_free(&r);
	got = zbar_decode_file(path);
	assert_non_null(got);
	assert_string_equal(got, payload);
	free(got);
}

static void no_qr_means_nothing_to_decode(void **state)
{
	struct card_screen s;
	struct raster r;
	(void)state;
	password_screen(&s, "");
	s.id = CARD_SCREEN_REVIEW;
	assert_int_equal(raster_screen(&r, &s), 0);
	assert_int_equal(pngfile_write(path, &r), 0);
	raster_free(&r);
	assert_null(zbar_decode_file(path));
}

/* The title is drawn: there are black pixels in its band and none in an
 * empty screen's. */
static void text_is_drawn(void **state)
{
	struct card_screen s;
	struct raster r;
	uint32_t x, y, dark = 0;
	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(raster_screen(&r, &s), 0);
	for (y = 0; y < r.h; y++)
		for (x = 0; x < r.w; x++)
			dark += r.px[(size_t)y * r.w + x] == 0;
	assert_int_equal(dark, 0);
	raster_free(&r);
	snprintf(s.title, sizeof s.title, "Pay?");
	assert_int_equal(raster_screen(&r, &s), 0);
	for (y = 0; y < 60; y++)
		for (x = 0; x < r.w; x++)
			dark += r.px[(size_t)y * r.w + x] == 0;
	assert_true(dark > 20);
	raster_free(&r);
}

/* The pixels of one line of text, drawn on an otherwise empty screen. */
static uint8_t *line_pixels(const char *text, uint32_t *w, uint32_t *h)
{
	struct card_screen s;
	struct raster r;
	memset(&s, 0, sizeof s);
	snprintf(s.lines[0], sizeof s.lines[0], "%s", text);
	assert_int_equal(raster_screen(&r, &s), 0);
	*w = r.w;
	*h = r.h;
	return r.px;   /* the caller frees it */
}

/* What the holder sees tells "Bäckerei" from the names a '?' or a missing
 * accent would make of it, pixel for pixel on the drawn screen. */
static void accented_letters_are_drawn_as_themselves(void **state)
{
	static const char *const names[] = {"B\xc3\xa4" "ckerei", "B?ckerei", "Backerei",
					    "B\xc3\xa0" "ckerei", "B\xc4\x81" "ckerei"};
	uint8_t *px[sizeof names / sizeof names[0]];
	uint32_t w[sizeof names / sizeof names[0]], h[sizeof names / sizeof names[0]];
	size_t i, j;
	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		assert_int_equal(raster_text_cells(names[i]), 8);
		px[i] = line_pixels(names[i], &w[i], &h[i]);
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		for (j = i + 1; j < sizeof names / sizeof names[0]; j++) {
			assert_int_equal(w[i], w[j]);
			assert_int_equal(h[i], h[j]);
			assert_memory_not_equal(px[i], px[j], (size_t)w[i] * h[i]);
		}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		free(px[i]);
	/* Each glyph of the name, not only the picture as a whole. */
	assert_memory_not_equal(raster_glyph_of("\xc3\xa4"), raster_glyph_of("?"), FONT_H);
	assert_memory_not_equal(raster_glyph_of("\xc3\xa4"), raster_glyph_of("a"), FONT_H);
	assert_memory_equal(raster_glyph_of("\xc3\xa4"), font_glyph(0xE4), FONT_H);
}

static int blank(const uint8_t *g)
{
	for (unsigned i = 0; i < FONT_H; i++)
		if (g[i] != 0)
			return 0;
	return 1;
}

/* Every character the card lets SIGN show (card/core's repertoire) has a
 * glyph in the generated font, drawn (only the space is blank), unlike '?'
 * and unlike every other character's, and unlike the box drawn for what
 * the font lacks. */
static void every_showable_character_has_its_own_glyph(void **state)
{
	static uint32_t shown[1024];
	size_t n = 0, i, j;
	uint32_t cp;
	const uint8_t *box = raster_glyph_of("\xff");
	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++)
		if (core_can_show(cp)) {
			assert_true(n < sizeof shown / sizeof shown[0]);
			shown[n++] = cp;
		}
	assert_true(n >= 0x5F + 0x60 + 0x80 - 3);  /* ASCII, Latin-1, Extended-A less 3 */
	for (i = 0; i < n; i++) {
		const uint8_t *g = font_glyph(shown[i]);
		if (g == NULL)
			fail_msg("no glyph for U+%04X", (unsigned)shown[i]);
		if (shown[i] != ' ' && blank(g))
			fail_msg("U+%04X draws nothing", (unsigned)shown[i]);
		if (shown[i] != '?' && memcmp(g, font_glyph('?'), FONT_H) == 0)
			fail_msg("U+%04X looks like '?'", (unsigned)shown[i]);
		if (memcmp(g, box, FONT_H) == 0)
			fail_msg("U+%04X looks like the missing-glyph box", (unsigned)shown[i]);
		for (j = 0; j < i; j++)
			if (memcmp(g, font_glyph(shown[j]), FONT_H) == 0)
				fail_msg("U+%04X looks like U+%04X", (unsigned)shown[i],
					 (unsigned)shown[j]);
	}
	/* The ones left out are left out for a reason that still holds. */
	assert_memory_equal(font_glyph(0xA0), font_glyph(' '), FONT_H);
	assert_memory_equal(font_glyph(0xD0), font_glyph(0x110), FONT_H);
	assert_null(font_glyph(0xAD));   /* Unifont's is 16 pixels wide */
}

/* A character the font lacks, and a byte that is not UTF-8, each take one
 * cell and draw the box, never '?' or nothing. */
static void unknown_characters_draw_a_box(void **state)
{
	const uint8_t *box = raster_glyph_of("\xe4\xb8\xad");   /* U+4E2D */
	(void)state;
	assert_int_equal(raster_text_cells("abc"), 3);
	assert_int_equal(raster_text_cells("M\xc3\xbcller \xe4\xb8\xad"), 8);
	assert_int_equal(raster_text_cells("a\xff\x80" "b"), 4);
	assert_null(font_glyph(0x4E2D));
	assert_null(font_glyph(0x1F600));
	assert_false(blank(box));
	assert_memory_not_equal(box, font_glyph('?'), FONT_H);
	assert_memory_equal(raster_glyph_of("\xff"), box, FONT_H);
	assert_memory_equal(raster_glyph_of("\xf0\x9f\x98\x80"), box, FONT_H);
	assert_memory_equal(raster_glyph_of("\xc3"), box, FONT_H);   /* cut short */
	assert_memory_equal(raster_glyph_of("\xc1\xbf"), box, FONT_H);   /* overlong '?' */
}

static void png_write_is_atomic_and_leaves_no_temp(void **state)
{
	struct card_screen s;
	struct raster r;
	DIR *d;
	struct dirent *e;
	int files = 0;
	uint32_t w, h;
	uint8_t *px;
	(void)state;
	password_screen(&s, "SIGCARD1:0011223344556677:7:12345678");
	assert_int_equal(raster_screen(&r, &s), 0);
	assert_int_equal(pngfile_write(path, &r), 0);
	assert_int_equal(pngfile_write(path, &r), 0);   /* replaces */
	px = read_png(path, &w, &h);
	assert_non_null(px);
	assert_int_equal(w, r.w);
	assert_int_equal(h, r.h);
	assert_memory_equal(px, r.px, (size_t)w * h);
	free(px);
	raster_free(&r);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			files++;
	closedir(d);
	assert_int_equal(files, 1);
}

static void unwritable_path_fails_cleanly(void **state)
{
	struct card_screen s;
	struct raster r;
	char bad[600];
	(void)state;
	password_screen(&s, "x");
	assert_int_equal(raster_screen(&r, &s), 0);
	snprintf(bad, sizeof bad, "%s/no/such/dir/s.png", dir);
	assert_int_equal(pngfile_write(bad, &r), -1);
	raster_free(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(qr_payload_decodes_with_zbar, setup, teardown),
		cmocka_unit_test_setup_teardown(longest_qr_payload_decodes, setup, teardown),
		cmocka_unit_test_setup_teardown(no_qr_means_nothing_to_decode, setup, teardown),
		cmocka_unit_test(text_is_drawn),
		cmocka_unit_test(accented_letters_are_drawn_as_themselves),
		cmocka_unit_test(every_showable_character_has_its_own_glyph),
		cmocka_unit_test(unknown_characters_draw_a_box),
		cmocka_unit_test_setup_teardown(png_write_is_atomic_and_leaves_no_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(unwritable_path_fails_cleanly, setup, teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("cardhost screen png", tests, NULL, NULL);
}
