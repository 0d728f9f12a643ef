/* The authorisation pre-check of the submission protocol (docs/PROTOCOL.md
 * §6 "Authorisation pre-check"): before the card signs, the terminal asks
 * the server whether a payment of this transaction by this card could
 * execute, so that a payment that cannot is stopped before the holder types
 * a PIN and the card spends an ATC. Each body is one common/frame.h frame,
 * its first byte the message type (common/submit.h). Caller buffers, no
 * allocation. */
#ifndef SC_PRECHECK_H
#define SC_PRECHECK_H

#include <stddef.h>
#include <stdint.h>

#include "scheme.h"
#include "tx.h"

#define SC_PRECHECK_TEXT_MAX 255u
#define SC_PRECHECK_MSG_MAX (1u + SC_CARD_ID_LEN + 2u + SC_TX_MAX_LEN)
#define SC_PRECHECKED_MSG_MAX (1u + 1u + 1u + SC_PRECHECK_TEXT_MAX)

/* PRECHECK: the card that is to sign and the canonical transaction it is to
 * sign (common/tx.h), challenge included; tx points into the decoded body. */
struct sc_precheck {
	uint8_t card_id[SC_CARD_ID_LEN];
	const uint8_t *tx;
	size_t tx_len;                      /* 1..SC_TX_MAX_LEN */
};

/* PRECHECKED: the server's verdict, decided and sealed nothing. code is
 * SC_RES_OK (a SUBMIT of this transaction would pass these checks) or the
 * code the SUBMIT would get (sc_precheck_verdict); text points into the
 * body (printable ASCII, not NUL-terminated, may be empty). */
struct sc_prechecked {
	uint8_t code;
	const char *text;
	size_t text_len;
};

/* 1 if code may be a PRECHECKED verdict: OK, UNKNOWN_CARD, CARD_BLOCKED,
 * CHALLENGE_INVALID, UNKNOWN_ACCOUNT, CURRENCY_MISMATCH, SAME_ACCOUNT,
 * BAD_AMOUNT. Never INSUFFICIENT_FUNDS: the pre-check reveals no balance. */
int sc_precheck_verdict(int code);

/* Encoders return the body length or a negative sc_err; decoders take
 * exactly one body and return 0 or a negative sc_err (a wrong type byte:
 * SC_ERR_BAD_TAG; trailing bytes, lengths out of range). The transaction
 * is checked for its length only; its fields are for sc_tx_decode. */
int sc_precheck_encode(uint8_t *out, size_t cap, const struct sc_precheck *p);
int sc_precheck_decode(struct sc_precheck *p, const uint8_t *body, size_t len);
/* text may be NULL (empty); longer than SC_PRECHECK_TEXT_MAX or not
 * printable ASCII is SC_ERR_BAD_VALUE, as is a code that is no verdict. */
int sc_prechecked_encode(uint8_t *out, size_t cap, uint8_t code, const char *text);
int sc_prechecked_decode(struct sc_prechecked *m, const uint8_t *body, size_t len);

#endif
