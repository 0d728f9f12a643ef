/* The file-backed flash HAL: geometry, NOR programming, persistence across
 * reopen, refusal of bad images, and power-cut injection (the torn write,
 * then no flash at all until power comes back). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "card/hal.h"
#include "card/host/host.h"

static char dir[256];
static char path[512];

static int setup(void **state)
{
	const char *why = NULL;
	(void)state;
	snprintf(dir, sizeof dir, "%s/sc-flash-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/card.flash", dir);
	assert_int_equal(flashfile_create(path, &why), 0);
	assert_int_equal(flashfile_commit_new(&why), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	flashfile_close();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void reopen(void)
{
	const char *why = NULL;
	flashfile_close();
	assert_int_equal(flashfile_open(path, &why), 0);
}

static void geometry_matches_the_file(void **state)
{
	struct hal_flash_geometry g;
	struct stat st;
	(void)state;
	hal_flash_geometry(host_card()->hal, &g);
	assert_int_equal(g.page_size, FLASHFILE_PAGE_SIZE);
	assert_int_equal(g.page_count, FLASHFILE_PAGES);
	assert_int_equal(g.page_size % 16u, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, (off_t)g.page_size * g.page_count);
	assert_int_equal(st.st_mode & 077, 0);
}

static void new_image_is_erased(void **state)
{
	uint8_t buf[FLASHFILE_PAGE_SIZE];
	uint32_t p, i;
	(void)state;
	for (p = 0; p < FLASHFILE_PAGES; p++) {
		assert_int_equal(hal_flash_read(host_card()->hal, p, 0, buf, sizeof buf), 0);
		for (i = 0; i < sizeof buf; i++)
			assert_int_equal(buf[i], 0xFF);
	}
}

static void program_clears_bits_only_and_persists(void **state)
{
	uint8_t a[4] = {0x0F, 0xF0, 0x00, 0xAA}, b[4] = {0xFF, 0x0F, 0xFF, 0x55}, got[4];
	(void)state;
	assert_int_equal(hal_flash_program(host_card()->hal, 3, 100, a, 4), 0);
	assert_int_equal(hal_flash_program(host_card()->hal, 3, 100, b, 4),
			 0); /* AND, as NOR flash */
	reopen();
	assert_int_equal(hal_flash_read(host_card()->hal, 3, 100, got, 4), 0);
	assert_int_equal(got[0], 0x0F);
	assert_int_equal(got[1], 0x00);
	assert_int_equal(got[2], 0x00);
	assert_int_equal(got[3], 0x00);
	assert_int_equal(hal_flash_erase(host_card()->hal, 3), 0);
	reopen();
	assert_int_equal(hal_flash_read(host_card()->hal, 3, 100, got, 4), 0);
	assert_int_equal(got[0], 0xFF);
	assert_int_equal(got[3], 0xFF);
	assert_int_equal(flashfile_writes(), 0);  /* counted per open */
}

static void out_of_range_is_refused(void **state)
{
	uint8_t b[8] = {0};
	(void)state;
	assert_int_equal(hal_flash_read(host_card()->hal, FLASHFILE_PAGES, 0, b, 1), -1);
	assert_int_equal(hal_flash_read(host_card()->hal, 0, FLASHFILE_PAGE_SIZE - 4, b, 8), -1);
	assert_int_equal(hal_flash_program(host_card()->hal, 0, FLASHFILE_PAGE_SIZE, b, 1), -1);
	assert_int_equal(hal_flash_erase(host_card()->hal, FLASHFILE_PAGES), -1);
	assert_int_equal(hal_flash_read(host_card()->hal, 0, FLASHFILE_PAGE_SIZE, b, 0), 0);
}

static void cut_at_nth_write_tears_it_and_kills_the_flash(void **state)
{
	uint8_t data[16], got[16];
	unsigned i;
	(void)state;
	memset(data, 0x00, sizeof data);
	flashfile_cut_at(2);
	assert_int_equal(flashfile_cut_pending(), 2);
	assert_int_equal(hal_flash_program(host_card()->hal, 1, 0, data, 16), 0);     /* write 1 */
	assert_false(flashfile_power_lost());
	assert_int_equal(hal_flash_program(host_card()->hal, 2, 0, data, 16),
			 -1); /* write 2: cut */
	assert_true(flashfile_power_lost());
	assert_int_equal(hal_flash_read(host_card()->hal, 1, 0, got, 16), -1);        /* no power */
	assert_int_equal(hal_flash_erase(host_card()->hal, 1), -1);
	flashfile_power_restore();
	assert_false(flashfile_power_lost());
	assert_int_equal(hal_flash_read(host_card()->hal, 2, 0, got, 16), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(got[i], i < 8 ? 0x00 : 0xFF);          /* torn: half */
	reopen();                                                    /* the file agrees */
	assert_int_equal(hal_flash_read(host_card()->hal, 2, 0, got, 16), 0);
	assert_int_equal(got[7], 0x00);
	assert_int_equal(got[8], 0xFF);
	assert_int_equal(hal_flash_read(host_card()->hal, 1, 0, got, 16), 0);
	assert_int_equal(got[15], 0x00);
}

static void cut_during_erase_half_erases(void **state)
{
	uint8_t zero[FLASHFILE_PAGE_SIZE], got[FLASHFILE_PAGE_SIZE];
	(void)state;
	memset(zero, 0, sizeof zero);
	assert_int_equal(hal_flash_program(host_card()->hal, 5, 0, zero, sizeof zero), 0);
	flashfile_cut_at(1);
	assert_int_equal(hal_flash_erase(host_card()->hal, 5), -1);
	flashfile_power_restore();
	assert_int_equal(hal_flash_read(host_card()->hal, 5, 0, got, sizeof got), 0);
	assert_int_equal(got[0], 0xFF);
	assert_int_equal(got[FLASHFILE_PAGE_SIZE / 2 - 1], 0xFF);
	assert_int_equal(got[FLASHFILE_PAGE_SIZE / 2], 0x00);
}

static void cut_now_and_cancel(void **state)
{
	uint8_t b = 0;
	(void)state;
	flashfile_cut_at(5);
	flashfile_cut_cancel();
	assert_int_equal(flashfile_cut_pending(), 0);
	assert_int_equal(hal_flash_program(host_card()->hal, 0, 0, &b, 1), 0);
	flashfile_cut_at(0);
	assert_true(flashfile_power_lost());
	assert_int_equal(hal_flash_read(host_card()->hal, 0, 0, &b, 1), -1);
	flashfile_power_restore();
	assert_int_equal(hal_flash_read(host_card()->hal, 0, 0, &b, 1), 0);
	assert_int_equal(b, 0);
}

static void bad_images_are_refused(void **state)
{
	const char *why = NULL;
	char other[600];
	int fd;
	(void)state;
	flashfile_close();
	assert_int_equal(flashfile_create(path, &why), -1);     /* exists */
	assert_non_null(why);
	snprintf(other, sizeof other, "%s/short.flash", dir);
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(flashfile_open(other, &why), -1);
	assert_non_null(strstr(why, "size"));
	assert_int_equal(flashfile_open(dir, &why), -1);        /* a folder */
	snprintf(other, sizeof other, "%s/missing.flash", dir);
	assert_int_equal(flashfile_open(other, &why), -1);
}

static void aborted_creation_leaves_nothing(void **state)
{
	const char *why = NULL;
	char other[600];
	(void)state;
	flashfile_close();
	snprintf(other, sizeof other, "%s/new.flash", dir);
	assert_int_equal(flashfile_create(other, &why), 0);
	flashfile_abort_new();
	assert_int_equal(access(other, F_OK), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(geometry_matches_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(new_image_is_erased, setup, teardown),
		cmocka_unit_test_setup_teardown(program_clears_bits_only_and_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_range_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_at_nth_write_tears_it_and_kills_the_flash, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_during_erase_half_erases, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_now_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_images_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(aborted_creation_leaves_nothing, setup, teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("cardhost flash file", tests, NULL, NULL);
}
