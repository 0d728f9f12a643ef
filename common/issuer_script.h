/* The issuer-script exchange of the submission protocol (docs/PROTOCOL.md
 * §6 "Issuer scripts"): a terminal holding a card asks the server for an issuer script
 * bound to the card's fresh challenge, delivers it, and reports the card's
 * status word. Each body is one common/frame.h frame, its first byte the
 * message type (common/submit.h). Caller buffers, no allocation. */
#ifndef SC_ISSUER_SCRIPT_H
#define SC_ISSUER_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "applet.h"
#include "scheme.h"

/* The longest script command: RESET RETRY COUNTER is 5 + 32 bytes. */
#define SC_SCRIPT_APDU_MIN 4u
#define SC_SCRIPT_APDU_MAX 64u
#define SC_SCRIPT_MSG_MAX (1u + SC_CARD_ID_LEN + SC_CARD_CHALLENGE_LEN + 1u + SC_SCRIPT_APDU_MAX)

/* Which card, and the challenge it just gave (GET CHALLENGE). */
struct sc_script_ref {
	uint8_t card_id[SC_CARD_ID_LEN];
	uint8_t challenge[SC_CARD_CHALLENGE_LEN];
};

/* ISSUER SCRIPT: the reference echoed and one command APDU for the card. */
struct sc_issuer_script {
	struct sc_script_ref ref;
	uint8_t apdu[SC_SCRIPT_APDU_MAX];
	size_t apdu_len;                    /* SC_SCRIPT_APDU_MIN..SC_SCRIPT_APDU_MAX */
};

/* Encoders return the body length or a negative sc_err; decoders take
 * exactly one body and return 0 or a negative sc_err (a wrong type byte:
 * SC_ERR_BAD_TAG; trailing bytes, lengths out of range). */
int sc_get_issuer_script_encode(uint8_t *out, size_t cap, const struct sc_script_ref *r);
int sc_get_issuer_script_decode(struct sc_script_ref *r, const uint8_t *body, size_t len);
int sc_issuer_script_encode(uint8_t *out, size_t cap, const struct sc_issuer_script *s);
int sc_issuer_script_decode(struct sc_issuer_script *s, const uint8_t *body, size_t len);
/* SCRIPT REPORT: the reference and the card's final status word. A report
 * the server recorded is answered by SCRIPT RECORDED (the type byte alone),
 * any other by RESULT with the refusal. */
int sc_script_report_encode(uint8_t *out, size_t cap, const struct sc_script_ref *r, uint16_t sw);
int sc_script_report_decode(struct sc_script_ref *r, uint16_t *sw, const uint8_t *body,
			    size_t len);

int sc_script_recorded_encode(uint8_t *out, size_t cap);
int sc_script_recorded_decode(const uint8_t *body, size_t len);

/* The RESET RETRY COUNTER command APDU (80 2C 00 00 20 MAC), 37 bytes. */
#define SC_UNBLOCK_APDU_LEN (5u + SC_ISSUER_MAC_LEN)
void sc_unblock_apdu(uint8_t out[SC_UNBLOCK_APDU_LEN], const uint8_t mac[SC_ISSUER_MAC_LEN]);
/* The bytes the unblock MAC covers: SC_LABEL_UNBLOCK || card id || card
 * challenge, the same for card and server. Returns the length. */
#define SC_UNBLOCK_MSG_LEN (sizeof SC_LABEL_UNBLOCK - 1u + SC_CARD_ID_LEN + SC_CARD_CHALLENGE_LEN)
size_t sc_unblock_mac_input(uint8_t out[SC_UNBLOCK_MSG_LEN], const struct sc_script_ref *r);

#endif
