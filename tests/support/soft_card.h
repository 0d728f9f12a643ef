/* A software card for the server's tests: an OpenSSL P-256 key pair and
 * K_card, signing the signed data of common/scheme.h and sealing the joint
 * password with sc_jp_seal. Independent of the card core, so the server's
 * verification is tested against a second implementation of the card side. */
#ifndef SC_TESTS_SOFT_CARD_H
#define SC_TESTS_SOFT_CARD_H

#include <stddef.h>
#include <stdint.h>
#include "common/submit.h"
#include "common/tx.h"

struct soft_card {
	uint8_t id[SC_CARD_ID_LEN];
	uint8_t kcard[SC_KCARD_LEN];
	uint8_t pubkey[SC_PUBKEY_LEN];
	char account[SC_ACCOUNT_MAX + 1];
	void *key;                          /* EVP_PKEY * */
};

/* A new key pair for card id with kcard. 0 or -1. */
int soft_card_new(struct soft_card *c, const uint8_t id[SC_CARD_ID_LEN],
		  const uint8_t kcard[SC_KCARD_LEN], const char *account);
void soft_card_free(struct soft_card *c);
/* A fresh random joint password (8 digits). */
void soft_card_jp(char jp[SC_JP_DIGITS + 1]);
/* Encodes tx into txbuf and fills s with everything a terminal submits:
 * X sealed from jp (with fresh randomness for enc-rand), the DER signature
 * over the signed data with atc. s->tx points into txbuf. 0 or -1. */
int soft_card_sign(struct soft_card *c, const struct sc_tx *tx, uint32_t atc, const char *jp,
		   uint8_t txbuf[SC_TX_MAX_LEN], struct sc_submit *s);
/* DER signature of SHA-256(msg) with the card's key; length or -1. */
int soft_card_sign_raw(struct soft_card *c, const uint8_t *msg, size_t len,
		       uint8_t sig[SC_ECDSA_DER_MAX]);

#endif
