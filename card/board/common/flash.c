/* The board's flash, kept in a file on the host through semihosting: the
 * image is BOARD_PAGES pages in page order, an erased byte is 0xFF, and a
 * program can only clear bits, as on NOR flash. Each program or erase is
 * one host write, so killing QEMU leaves it done or not done; a torn write
 * is what flash_cut_at() injects. The card's store sees only the first
 * BOARD_STORE_PAGES pages (hal_flash_*). */
#include <string.h>

#include "board.h"

static int flash_fd = -1;
static unsigned long writes;        /* programs and erases applied */
static unsigned long cut_in;        /* 0: no cut armed; N: the Nth write from now */
static bool power_lost;

int flash_open(const char *path, const char **why)
{
	flash_fd = semihost_open_rw(path);
	if (flash_fd < 0) {
		*why = "cannot open the flash image";
		return -1;
	}
	if (semihost_flen(flash_fd) != (long)BOARD_IMAGE_SIZE) {
		*why = "the flash image has the wrong size";
		flash_fd = -1;
		return -1;
	}
	return 0;
}

static bool flash_range_ok(uint32_t page, uint32_t off, uint32_t len)
{
	return flash_fd >= 0 && page < BOARD_PAGES && off <= BOARD_PAGE_SIZE &&
	       len <= BOARD_PAGE_SIZE - off;
}

int flash_read_abs(uint32_t page, uint32_t off, void *buf, uint32_t len)
{
	if (!flash_range_ok(page, off, len) || power_lost)
		return -1;
	return semihost_pread(flash_fd, page * BOARD_PAGE_SIZE + off, buf, len);
}

/* Counts a write and applies an armed cut: returns how many of len bytes
 * reach the flash (len, or half of it when the cut falls on this write). */
static uint32_t flash_write_budget(uint32_t len)
{
	writes++;
	if (cut_in == 0)
		return len;
	if (--cut_in > 0)
		return len;
	power_lost = true;
	return len / 2u;
}

int flash_program_abs(uint32_t page, uint32_t off, const void *buf, uint32_t len)
{
	uint8_t cur[64];
	const uint8_t *in = buf;
	uint32_t n, done = 0;

	if (!flash_range_ok(page, off, len) || power_lost)
		return -1;
	n = flash_write_budget(len);
	while (done < n) {
		uint32_t chunk = n - done < sizeof cur ? n - done : (uint32_t)sizeof cur;
		uint32_t pos = page * BOARD_PAGE_SIZE + off + done;
		if (semihost_pread(flash_fd, pos, cur, chunk) != 0)
			return -1;
		for (uint32_t i = 0; i < chunk; i++)
			cur[i] &= in[done + i];
		if (semihost_pwrite(flash_fd, pos, cur, chunk) != 0)
			return -1;
		done += chunk;
	}
	return power_lost ? -1 : 0;
}

int flash_erase_abs(uint32_t page)
{
	uint8_t ff[256];
	uint32_t n;

	if (!flash_range_ok(page, 0, BOARD_PAGE_SIZE) || power_lost)
		return -1;
	memset(ff, 0xFF, sizeof ff);
	n = flash_write_budget(BOARD_PAGE_SIZE);
	for (uint32_t done = 0; done < n; done += (uint32_t)sizeof ff) {
		uint32_t chunk = n - done < sizeof ff ? n - done : (uint32_t)sizeof ff;
		if (semihost_pwrite(flash_fd, page * BOARD_PAGE_SIZE + done, ff, chunk) != 0)
			return -1;
	}
	return power_lost ? -1 : 0;
}

bool flash_store_blank(void)
{
	uint8_t buf[256];

	for (uint32_t page = 0; page < BOARD_STORE_PAGES; page++)
		for (uint32_t off = 0; off < BOARD_PAGE_SIZE; off += (uint32_t)sizeof buf) {
			if (flash_read_abs(page, off, buf, sizeof buf) != 0)
				return false;
			for (size_t i = 0; i < sizeof buf; i++)
				if (buf[i] != 0xFFu)
					return false;
		}
	return true;
}

unsigned long flash_writes(void)
{
	return writes;
}

void flash_cut_at(unsigned long n)
{
	cut_in = n;
	if (n == 0)
		power_lost = true;
}

bool flash_power_lost(void)
{
	return power_lost;
}

/* --- card/hal.h: the store's pages. --- */

void hal_flash_geometry(struct card_hal *hal, struct hal_flash_geometry *g)
{
	(void)hal;
	g->page_size = BOARD_PAGE_SIZE;
	g->page_count = BOARD_STORE_PAGES;
}

int hal_flash_read(struct card_hal *hal, uint32_t page, uint32_t offset, uint8_t *buf, uint32_t len)
{
	(void)hal;
	return page < BOARD_STORE_PAGES ? flash_read_abs(page, offset, buf, len) : -1;
}

int hal_flash_program(struct card_hal *hal, uint32_t page, uint32_t offset, const uint8_t *buf,
		      uint32_t len)
{
	(void)hal;
	return page < BOARD_STORE_PAGES ? flash_program_abs(page, offset, buf, len) : -1;
}

int hal_flash_erase(struct card_hal *hal, uint32_t page)
{
	(void)hal;
	return page < BOARD_STORE_PAGES ? flash_erase_abs(page) : -1;
}
