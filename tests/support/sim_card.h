/* An in-process card for the server's tests and benchmarks: real card
 * cores (the firmware of card/core/) each on its own RAM flash image, driven
 * through the same APDUs and keypad a real terminal and holder would use.
 * One card is current at a time (the core is one static instance); not
 * thread-safe. Every card uses the transport key SIM_CARD_TRANSPORT_KEY. */
#ifndef SC_TESTS_SIM_CARD_H
#define SC_TESTS_SIM_CARD_H

#include <stddef.h>
#include <stdint.h>

/* Each card's flash image is static (struct ram_flash, 4 KiB): 1024 cards
 * are 4 MiB, enough for a load generator with hundreds in flight. */
#define SIM_CARD_MAX 1024

struct sim_card_identity {
	uint8_t card_id[8];
	uint8_t pubkey[65];   /* SEC1 uncompressed, generated on the card */
	char account[35];
};

/* The transport key every simulated card is manufactured with (16 bytes). */
extern const uint8_t SIM_CARD_TRANSPORT_KEY[16];

/* Manufactures, personalises (card id, K_card, PIN, account; on-card key pair)
 * and issues a new card with its own flash image; makes it current.
 * Returns its index (>= 0) or -1. */
int sim_card_new(const uint8_t card_id[8], const uint8_t kcard[32], const char *pin,
		 const char *account, struct sim_card_identity *out);
/* Makes card index current (reboots the core on its flash image). 0 or -1. */
int sim_card_use(int index);
/* SELECT + SIGN TRANSACTION over the contact interface with tx (canonical
 * encoding); the scheme is the one inside tx. 0, or the status word. */
int sim_card_sign(const uint8_t *tx, size_t tx_len, uint32_t *atc, uint8_t x[32], size_t *x_len,
		  uint8_t sig[72], size_t *sig_len);
/* The card leaves the reader; types pin and OK on its keypad; copies the
 * password shown (8 digits + NUL). 0, or -1 if no password was shown. */
int sim_card_confirm(const char *pin, char jp[9]);

#endif
