/* The terminal's and the issuer's side of the card commands, over the
 * in-process core (card_apdu on the struct card_core given): for the unit
 * tests, sim_card and fuzzers.
 * Status words are returned as ints (0x9000 = success); a negative value
 * is a local error (a response that does not parse). docs/PROTOCOL.md §5
 * documents the commands. */
#ifndef SC_TESTS_CARD_CLIENT_H
#define SC_TESTS_CARD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "common/applet.h"
#include "common/scheme.h"
#include "common/tx.h"

#define CC_RESP_MAX 1024u

/* Sends one command (short or extended as needed) and collects the whole
 * response, following 61xx with GET RESPONSE. Returns the final SW. */
int cc_transmit(struct card_core *c, enum card_iface iface, uint8_t cla, uint8_t ins, uint8_t p1,
		uint8_t p2, const uint8_t *data, size_t lc, size_t le, uint8_t *resp, size_t cap,
		size_t *resp_len);
/* Sends raw C-APDU bytes once (no GET RESPONSE); returns the SW and the
 * data in resp. */
int cc_raw(struct card_core *c, enum card_iface iface, const uint8_t *capdu, size_t len,
	   uint8_t *resp, size_t cap, size_t *resp_len);

int cc_select(struct card_core *c, enum card_iface iface);
int cc_get_data(struct card_core *c, enum card_iface iface, uint16_t tag, uint8_t *out, size_t cap,
		size_t *len);
/* GET CHALLENGE then the MAC-carrying command ins/p2 under key, with the
 * MAC of common/applet.h (SC_LABEL_*). */
int cc_authenticated(struct card_core *c, enum card_iface iface, uint8_t ins, uint8_t p2,
		     const uint8_t *key, size_t key_len, const char *label, const uint8_t *card_id);

struct cc_perso {
	uint8_t card_id[SC_CARD_ID_LEN];
	uint8_t kcard[SC_KCARD_LEN];
	const char *pin;
	const char *account;
};
/* The whole personalisation sequence on the contact interface: SELECT,
 * transport authentication, PUT DATA x4, GENERATE KEY PAIR, ISSUE (when
 * issue is non-zero). Returns 0x9000 or the first failing SW. */
int cc_personalise(struct card_core *c, const uint8_t tk[CARD_TRANSPORT_KEY_LEN],
		   const struct cc_perso *p, int issue, uint8_t pubkey[SC_PUBKEY_LEN]);

/* SIGN TRANSACTION with the canonical tx (the applet must be selected);
 * decodes the response with sc_sign_resp_decode (-1 if it does not). */
int cc_sign(struct card_core *c, enum card_iface iface, const uint8_t *tx, size_t tx_len,
	    struct sc_sign_resp *out);

/* Types text ("1234", "K" for OK, "C" cancel, "B" backspace) on the keypad. */
void cc_keys(struct card_core *c, const char *keys);

#endif
