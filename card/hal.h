/* The card's hardware boundary: the only way out of card/core/. The host
 * emulator (card/host/), the in-process test card (tests/support/) and a
 * board port each implement every function here; the core calls nothing
 * else beyond common/ and mbedTLS. Each call carries the struct card_hal
 * its card was given (card_core_init): the implementation defines that
 * struct (one card's flash, entropy, clock and display), so one process can
 * run many cards. */
#ifndef SC_CARD_HAL_H
#define SC_CARD_HAL_H

#include <stddef.h>
#include <stdint.h>

/* Defined by each implementation of this header. */
struct card_hal;

/* --- Flash: pages that are erased to 0xFF and programmed in place. --- */

struct hal_flash_geometry {
	uint32_t page_size;   /* bytes per page, a multiple of 16 */
	uint32_t page_count;  /* pages available to the card's store */
};
void hal_flash_geometry(struct card_hal *hal, struct hal_flash_geometry *g);
/* Each returns 0, or -1 if the operation did not complete (for example a
 * power cut injected by a test: the card must then behave as if power was
 * lost at that instant; later writes may also fail until the card restarts).
 * A program or erase that fails may have changed part of the page. */
int hal_flash_read(struct card_hal *hal, uint32_t page, uint32_t offset, uint8_t *buf,
		   uint32_t len);
int hal_flash_program(struct card_hal *hal, uint32_t page, uint32_t offset, const uint8_t *buf,
		      uint32_t len);
int hal_flash_erase(struct card_hal *hal, uint32_t page);

/* --- Entropy and time. --- */

/* Fills buf with len bytes of seed material for the card's CTR_DRBG; 0 or -1. */
int hal_entropy(struct card_hal *hal, uint8_t *buf, size_t len);
/* Milliseconds since an arbitrary start, wrapping at 2^32. */
uint32_t hal_tick_ms(struct card_hal *hal);

/* --- Display: the core hands over a model of the screen; the HAL draws it. */

#define CARD_SCREEN_TITLE_MAX 32   /* bytes of UTF-8, NUL included */
#define CARD_SCREEN_LINES 6
#define CARD_SCREEN_LINE_MAX 64    /* bytes of UTF-8, NUL included */
#define CARD_SCREEN_QR_MAX 96      /* QR payload bytes, NUL included */

enum card_screen_id {
	CARD_SCREEN_IDLE = 0,       /* nothing pending */
	CARD_SCREEN_ON_READER,      /* in the field, talking to a terminal */
	CARD_SCREEN_REVIEW,         /* claim 7: the transaction, asking for the PIN */
	CARD_SCREEN_PIN_WRONG,      /* wrong PIN, tries left shown; PIN entry goes on */
	CARD_SCREEN_PASSWORD,       /* the joint password as digits and QR */
	CARD_SCREEN_CANCELLED,      /* holder cancelled: the signature is void */
	CARD_SCREEN_TIMEOUT,        /* no confirmation in time: void */
	CARD_SCREEN_PIN_BLOCKED,    /* PIN tries exhausted */
	CARD_SCREEN_RELEASED,       /* password read contactlessly, once */
};

struct card_screen {
	uint8_t id;                                         /* enum card_screen_id */
	char title[CARD_SCREEN_TITLE_MAX];
	char lines[CARD_SCREEN_LINES][CARD_SCREEN_LINE_MAX]; /* unused lines are "" */
	char qr[CARD_SCREEN_QR_MAX];                         /* "" for no QR code */
};
/* Called whenever the screen changes; the HAL copies what it needs. The
 * core keeps no copy (card_screen_id says only which screen is up): a HAL
 * that must show the screen again keeps its own. */
void hal_display_show(struct card_hal *hal, const struct card_screen *screen);

/* --- Keypad: the HAL pushes keys into the core with card_key() (card.h). */

#endif
