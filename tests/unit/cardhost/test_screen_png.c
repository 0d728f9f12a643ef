/* The card's screen as a PNG: libpng writes it atomically, and zbar (an
 * independent decoder) reads the QR payload back from the file, for
 * payloads of the card's password screen. */
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

static void non_ascii_is_one_question_mark_cell(void **state)
{
	(void)state;
	assert_int_equal(raster_text_cells("abc"), 3);
	assert_int_equal(raster_text_cells("M\xc3\xbcller \xe2\x82\xac"), 8);  /* Müller € */
	assert_memory_equal(font_glyph(0xC3), font_glyph('?'), FONT_W);
	assert_memory_equal(font_glyph(0x7F), font_glyph('?'), FONT_W);
	assert_memory_not_equal(font_glyph('A'), font_glyph('?'), FONT_W);
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
		cmocka_unit_test(non_ascii_is_one_question_mark_cell),
		cmocka_unit_test_setup_teardown(png_write_is_atomic_and_leaves_no_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(unwritable_path_fails_cleanly, setup, teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("cardhost screen png", tests, NULL, NULL);
}
