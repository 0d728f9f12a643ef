/* The card core's entry points, called by whatever hosts it: the emulator
 * daemon, the in-process test card, or a board's main loop. The caller owns
 * each card's state, a struct card_core (core_state.h), and passes it to
 * every call: a board keeps one static instance, as a chip has one card; a
 * host may keep many. card_core_init() sets one up, card_boot() starts it
 * from flash.
 *
 * mbedTLS's heap is the one thing the cards of a process share: where
 * mbedTLS is built with its buffer allocator (the firmware), the allocator
 * is global to the library (mbedtls_memory_buffer_alloc_init), so the core
 * hands it one static buffer (rng.c) that every card uses, one operation
 * at a time: calls into the core for different cards must not overlap
 * (one thread, or a lock around them). Elsewhere (the host's libmbedcrypto)
 * mbedTLS allocates from libc, per call. */
#ifndef SC_CARD_H
#define SC_CARD_H

#include <stddef.h>
#include <stdint.h>
#include "card/core_state.h"
#include "hal.h"

enum card_iface {
	CARD_IFACE_CONTACT = 0,
	CARD_IFACE_CONTACTLESS = 1,
};

enum card_key {
	CARD_KEY_0 = '0', /* ... through '9' */
	CARD_KEY_OK = 'K',
	CARD_KEY_CANCEL = 'C',
	CARD_KEY_BACKSPACE = 'B',
};

/* Sets up c, a card that has not booted, over hal (the caller's; it must
 * outlive c). The confirmation timeout starts at its default. */
void card_core_init(struct card_core *c, struct card_hal *hal);

/* Power-up of the chip (battery or field): mounts and recovers the store,
 * seeds the DRBG, clears all transient state. 0, or -1 if the flash could
 * not be read (the card then answers every APDU with SW_MEMORY_FAILURE). */
int card_boot(struct card_core *c);

/* Manufacture: formats a blank (or any) flash as a new card in the
 * personalising state, holding transport_key, which every personalisation
 * command then requires. Run once, by the emulator when it creates a flash
 * image, or by a test; then call card_boot(). 0 or -1. */
int card_factory_init(struct card_core *c, const uint8_t transport_key[CARD_TRANSPORT_KEY_LEN]);

/* The reader's field on one interface: on = power-on/reset (transient state
 * for that interface cleared, nothing selected); off = the card left the
 * reader, which is what starts claim 7's on-card confirmation. */
void card_field(struct card_core *c, enum card_iface iface, int on);

/* The ATR for iface; returns its length. */
#define CARD_ATR_MAX 33u   /* the longest ISO/IEC 7816-3 allows */
size_t card_atr(const struct card_core *c, enum card_iface iface, uint8_t *out, size_t cap);
/* The historical bytes of that ATR, which a contactless front end puts in
 * its ATS (PC/SC maps one to the other); their length, 0 if cap is short. */
size_t card_historical_bytes(const struct card_core *c, enum card_iface iface, uint8_t *out,
			     size_t cap);

/* One C-APDU in, one R-APDU out (data + SW); returns the R-APDU length
 * (always >= 2 when cap >= 2). Malformed input gets an error status word. */
size_t card_apdu(struct card_core *c, enum card_iface iface, const uint8_t *capdu, size_t len,
		 uint8_t *rapdu, size_t cap);

/* Where a carrier without a buffer of its own puts the next C-APDU for
 * iface (card/carrier/engine.h), and how many bytes fit (*cap): the
 * interface's command buffer past the chained data it holds, so that the
 * command is held once. Valid until the next card_apdu, card_field or
 * card_boot; a C-APDU passed to card_apdu from there is joined to its chain
 * in place. Never NULL for a valid iface (else NULL, *cap 0). */
uint8_t *card_apdu_window(struct card_core *c, enum card_iface iface, size_t *cap);

/* A key pressed on the card's own keypad (enum card_key or a digit). */
void card_key(struct card_core *c, int key);

/* How long the holder has to confirm after the card leaves the reader, and
 * how long a confirmed password stays on the screen: ms in
 * [CARD_CONFIRM_TIMEOUT_MIN_MS, CARD_CONFIRM_TIMEOUT_MAX_MS], default
 * CARD_CONFIRM_TIMEOUT_DEFAULT_MS. A setting of the board that hosts the
 * core, kept in RAM (card_boot does not reset it; card_core_init does).
 * 0, or -1 if out of range. */
#define CARD_CONFIRM_TIMEOUT_DEFAULT_MS 60000u
#define CARD_CONFIRM_TIMEOUT_MIN_MS 1000u
#define CARD_CONFIRM_TIMEOUT_MAX_MS 600000u
int card_set_confirm_timeout(struct card_core *c, uint32_t ms);

/* Lets the core act on time (confirmation timeout); call often (>= 10 Hz). */
void card_poll(struct card_core *c);

/* How much of mbedTLS's heap (the note above) was ever in use at once,
 * counting its block headers and any gap between blocks: the bytes from
 * its start to the highest one ever handed out; and its size. Both 0 where
 * mbedTLS allocates from libc (the host). For a board's footprint. */
void card_heap_usage(size_t *high_water, size_t *size);

/* Which screen is up (enum card_screen_id). The screen itself went to
 * hal_display_show when it changed, and the HAL keeps what it draws: the
 * core does not keep a copy (issue 16, the card's RAM). */
uint8_t card_screen_id(const struct card_core *c);

#endif
