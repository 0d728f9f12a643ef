/* A RAM implementation of card/hal.h for unit tests, fuzzers and benchmarks:
 * flash images in memory with power-cut injection (at the Nth program or
 * erase, optionally tearing that write halfway), deterministic entropy from
 * a seed, a settable clock, and the last screen shown. Each card has its
 * own struct card_hal (defined here), so a process can hold many; not
 * thread-safe. */
#ifndef SC_TESTS_RAM_HAL_H
#define SC_TESTS_RAM_HAL_H

#include <stddef.h>
#include <stdint.h>

#include "card/hal.h"

#define RAM_HAL_PAGE_SIZE 512u
#define RAM_HAL_PAGE_COUNT 8u

/* One card's flash. */
struct ram_flash {
	uint8_t bytes[RAM_HAL_PAGE_COUNT * RAM_HAL_PAGE_SIZE];
};

/* One card's hardware. Static or zeroed before its first ram_hal_attach. */
struct card_hal {
	struct ram_flash *img;       /* the flash served: own, or the caller's */
	struct ram_flash own;
	uint64_t rng;                /* splitmix64 state */
	uint32_t tick;
	unsigned long writes;
	unsigned long cut_at;        /* write number (writes + 1 ..) that fails; 0 none */
	int tear;                    /* enum ram_hal_tear of the cut */
	int cut;                     /* power is off: every write fails */
	int entropy_fail;
	struct card_screen screen;   /* the last one shown */
	unsigned long screens;
	void (*hook)(void *arg);     /* after every completed write */
	void *hook_arg;
};

/* Makes img the flash h serves (NULL: h's own image), clears any armed or
 * active power cut, sets the entropy seed and the clock to 0, and forgets
 * the last screen. Does not change img's bytes, nor the write hook. */
void ram_hal_attach(struct card_hal *h, struct ram_flash *img, uint64_t seed);
/* Erases the attached image to 0xFF. */
void ram_hal_erase_all(struct card_hal *h);
struct ram_flash *ram_hal_flash(struct card_hal *h);

/* How much of the cut write reaches the flash. */
enum ram_hal_tear {
	RAM_HAL_CUT_BEFORE = 0,  /* nothing */
	RAM_HAL_CUT_TORN = 1,    /* its first half (of the bytes, or of the page erased) */
	RAM_HAL_CUT_AFTER = 2,   /* all of it, but the card is told it failed */
};
/* Arms a power cut at the nth flash write (program or erase) from now,
 * n >= 1, tearing it as tear (enum ram_hal_tear) says. From then on every
 * write fails until ram_hal_power_restore(). n = 0 disarms. */
void ram_hal_cut_at(struct card_hal *h, unsigned long n, int tear);
/* Calls hook(arg) after every write that completed (NULL: none). */
void ram_hal_set_write_hook(struct card_hal *h, void (*hook)(void *arg), void *arg);
/* 1 once an armed cut has happened. */
int ram_hal_cut_happened(const struct card_hal *h);
/* Ends the cut (the test then calls card_boot, as after a real restart). */
void ram_hal_power_restore(struct card_hal *h);
/* Writes (programs + erases) attempted since ram_hal_attach. */
unsigned long ram_hal_writes(const struct card_hal *h);

/* Entropy: 0 to serve the seeded stream, -1 to make hal_entropy fail. */
void ram_hal_entropy_fail(struct card_hal *h, int fail);

void ram_hal_set_tick(struct card_hal *h, uint32_t ms);
void ram_hal_advance(struct card_hal *h, uint32_t ms);

/* The screen the core last pushed through hal_display_show, and how many
 * times it pushed one since ram_hal_attach. */
const struct card_screen *ram_hal_screen(const struct card_hal *h);
unsigned long ram_hal_screen_count(const struct card_hal *h);

#endif
