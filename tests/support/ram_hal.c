/* The RAM HAL of ram_hal.h: flash as a byte array with NOR semantics
 * (erase sets 0xFF, program only clears bits), power-cut injection, and a
 * splitmix64 stream as entropy. */
#include <string.h>

#include "ram_hal.h"


void ram_hal_attach(struct card_hal *h, struct ram_flash *img, uint64_t seed)
{
	h->img = img != NULL ? img : &h->own;
	h->rng = seed;
	h->tick = 0;
	h->writes = 0;
	h->cut_at = 0;
	h->tear = 0;
	h->cut = 0;
	h->entropy_fail = 0;
	memset(&h->screen, 0, sizeof h->screen);
	h->screens = 0;
}

void ram_hal_set_write_hook(struct card_hal *h, void (*hook)(void *arg), void *arg)
{
	h->hook = hook;
	h->hook_arg = arg;
}

/* How many of len bytes the cut write changes. */
static uint32_t torn_len(const struct card_hal *h, uint32_t len)
{
	return h->tear == RAM_HAL_CUT_TORN ? len / 2u : h->tear == RAM_HAL_CUT_AFTER ? len : 0;
}

static int write_done(struct card_hal *h, int ok)
{
	if (ok == 1 && h->hook != NULL)
		h->hook(h->hook_arg);
	return ok == 1 ? 0 : -1;
}

void ram_hal_erase_all(struct card_hal *h)
{
	memset(h->img->bytes, 0xFF, sizeof h->img->bytes);
}

struct ram_flash *ram_hal_flash(struct card_hal *h)
{
	return h->img;
}

void ram_hal_cut_at(struct card_hal *h, unsigned long n, int tear)
{
	h->cut_at = n == 0 ? 0 : h->writes + n;
	h->tear = tear;
}

int ram_hal_cut_happened(const struct card_hal *h)
{
	return h->cut;
}

void ram_hal_power_restore(struct card_hal *h)
{
	h->cut = 0;
	h->cut_at = 0;
}

unsigned long ram_hal_writes(const struct card_hal *h)
{
	return h->writes;
}

void ram_hal_entropy_fail(struct card_hal *h, int fail)
{
	h->entropy_fail = fail;
}

void ram_hal_set_tick(struct card_hal *h, uint32_t ms)
{
	h->tick = ms;
}

void ram_hal_advance(struct card_hal *h, uint32_t ms)
{
	h->tick += ms;
}

const struct card_screen *ram_hal_screen(const struct card_hal *h)
{
	return &h->screen;
}

unsigned long ram_hal_screen_count(const struct card_hal *h)
{
	return h->screens;
}

void hal_flash_geometry(struct card_hal *h, struct hal_flash_geometry *g)
{
	(void)h;
	g->page_size = RAM_HAL_PAGE_SIZE;
	g->page_count = RAM_HAL_PAGE_COUNT;
}

static int in_range(uint32_t page, uint32_t offset, uint32_t len)
{
	return page < RAM_HAL_PAGE_COUNT && offset <= RAM_HAL_PAGE_SIZE &&
	       len <= RAM_HAL_PAGE_SIZE - offset;
}

int hal_flash_read(struct card_hal *h, uint32_t page, uint32_t offset, uint8_t *buf, uint32_t len)
{
	if (!in_range(page, offset, len))
		return -1;
	memcpy(buf, h->img->bytes + (size_t)page * RAM_HAL_PAGE_SIZE + offset, len);
	return 0;
}

/* Counts a write; 1 if it may complete, 0 if this one is cut (torn
 * according to h->tear), -1 if power is already off. */
static int write_allowed(struct card_hal *h)
{
	if (h->cut)
		return -1;
	h->writes++;
	if (h->cut_at != 0 && h->writes == h->cut_at) {
		h->cut = 1;
		return 0;
	}
	return 1;
}

int hal_flash_program(struct card_hal *h, uint32_t page, uint32_t offset, const uint8_t *buf,
		      uint32_t len)
{
	uint8_t *dst;
	uint32_t n = len;
	int ok;

	if (!in_range(page, offset, len))
		return -1;
	ok = write_allowed(h);
	if (ok < 0)
		return -1;
	if (ok == 0)
		n = torn_len(h, len);
	dst = h->img->bytes + (size_t)page * RAM_HAL_PAGE_SIZE + offset;
	for (uint32_t i = 0; i < n; i++)
		dst[i] &= buf[i]; /* NOR: programming only clears bits */
	return write_done(h, ok);
}

int hal_flash_erase(struct card_hal *h, uint32_t page)
{
	uint32_t n = RAM_HAL_PAGE_SIZE;
	int ok;

	if (page >= RAM_HAL_PAGE_COUNT)
		return -1;
	ok = write_allowed(h);
	if (ok < 0)
		return -1;
	if (ok == 0)
		n = torn_len(h, RAM_HAL_PAGE_SIZE);
	memset(h->img->bytes + (size_t)page * RAM_HAL_PAGE_SIZE, 0xFF, n);
	return write_done(h, ok);
}

static uint64_t splitmix64(struct card_hal *h)
{
	uint64_t z = (h->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int hal_entropy(struct card_hal *h, uint8_t *buf, size_t len)
{
	if (h->entropy_fail)
		return -1;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(h);
		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
	return 0;
}

uint32_t hal_tick_ms(struct card_hal *h)
{
	return h->tick;
}

void hal_display_show(struct card_hal *h, const struct card_screen *screen)
{
	h->screen = *screen;
	h->screens++;
}
