/* The board's flash: BOARD_PAGES pages in page order, an erased byte is
 * 0xFF, and a program can only clear bits, as on NOR flash; the medium
 * beneath is a host file (flash_file.c, the QEMU images) or a port's flash
 * controller (card/board/lm3s6965/hw/flashctl.c). Here: the bounds, the
 * write count and the power cuts flash_cut_at() injects (a torn write: the
 * first half of its bytes reach the medium). The card's store sees only the
 * first BOARD_STORE_PAGES pages (hal_flash_*). */
#include "board.h"

static bool flash_opened;
static unsigned long writes;        /* programs and erases applied */
static unsigned long cut_in;        /* 0: no cut armed; N: the Nth write from now */
static bool power_lost;

int flash_open(const char *path, const char **why)
{
	flash_opened = flash_medium_open(path, why) == 0;
	return flash_opened ? 0 : -1;
}

static bool flash_range_ok(uint32_t page, uint32_t off, uint32_t len)
{
	return flash_opened && page < BOARD_PAGES && off <= BOARD_PAGE_SIZE &&
	       len <= BOARD_PAGE_SIZE - off;
}

int flash_read_abs(uint32_t page, uint32_t off, void *buf, uint32_t len)
{
	if (!flash_range_ok(page, off, len) || power_lost)
		return -1;
	return flash_medium_read(page * BOARD_PAGE_SIZE + off, buf, len);
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
	if (!flash_range_ok(page, off, len) || power_lost)
		return -1;
	if (flash_medium_program(page * BOARD_PAGE_SIZE + off, buf, flash_write_budget(len)) != 0)
		return -1;
	return power_lost ? -1 : 0;
}

int flash_erase_abs(uint32_t page)
{
	if (!flash_range_ok(page, 0, BOARD_PAGE_SIZE) || power_lost)
		return -1;
	if (flash_medium_erase(page, flash_write_budget(BOARD_PAGE_SIZE)) != 0)
		return -1;
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
