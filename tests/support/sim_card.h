/* In-process cards for the server's tests and benchmarks: real card cores
 * (the firmware of card/core/), each its own struct card_core on its own
 * RAM HAL and flash image, driven through the same APDUs and keypad a real
 * terminal and holder would use. Any number may be mid-payment at once;
 * not thread-safe (the cards share mbedTLS's allocator, card/card.h).
 * Every card uses the transport key SIM_CARD_TRANSPORT_KEY. */
#ifndef SC_TESTS_SIM_CARD_H
#define SC_TESTS_SIM_CARD_H

#include <stddef.h>
#include <stdint.h>

/* Each card is static (its core, about 4 KiB, and its RAM HAL with a 4 KiB
 * flash image): 1024 cards are about 9 MiB, enough for a load generator
 * with hundreds in flight. */
#define SIM_CARD_MAX 1024

struct sim_card_identity {
	uint8_t card_id[8];
	uint8_t pubkey[65];   /* SEC1 uncompressed, generated on the card */
	char account[35];
};

/* The transport key every simulated card is manufactured with (16 bytes). */
extern const uint8_t SIM_CARD_TRANSPORT_KEY[16];

/* Manufactures, personalises (card id, K_card, PIN, account; on-card key pair)
 * and issues a new card with its own core and flash image. Returns its
 * index (>= 0) or -1. */
int sim_card_new(const uint8_t card_id[8], const uint8_t kcard[32], const char *pin,
		 const char *account, struct sim_card_identity *out);
/* SELECT + SIGN TRANSACTION on card index over the contact interface with
 * tx (canonical encoding); the scheme is the one inside tx. 0, the status
 * word, or -1 for no such card. */
int sim_card_sign(int index, const uint8_t *tx, size_t tx_len, uint32_t *atc, uint8_t x[32],
		  size_t *x_len, uint8_t sig[72], size_t *sig_len);
/* Card index leaves the reader; types pin and OK on its keypad; copies the
 * password shown (8 digits + NUL). 0, or -1 if no password was shown. */
int sim_card_confirm(int index, const char *pin, char jp[9]);

#endif
