/* The canonical transaction: the one byte form that the terminal builds, the
 * card decodes, shows and signs (by its SHA-256), and the server checks.
 * Exactly one encoding per transaction; the decoder rejects every other. */
#ifndef SC_TX_H
#define SC_TX_H

#include <stddef.h>
#include <stdint.h>

#define SC_TX_VERSION 1u
#define SC_CHALLENGE_LEN 16u
#define SC_HASH_LEN 32u
#define SC_ACCOUNT_MAX 34u       /* like an IBAN */
#define SC_PAYEE_NAME_MAX 48u    /* bytes of UTF-8; fits the card's screen line */
#define SC_TERMINAL_ID_MAX 16u
/* Largest encoding, for buffers: see docs/PROTOCOL.md for the layout. */
#define SC_TX_MAX_LEN 256u

enum sc_scheme {
	SC_SCHEME_ENC = 1,        /* claim 2: X = C = Enc(K, JP) */
	SC_SCHEME_ENC_RAND = 2,   /* claim 3: X = C = Enc(K, JP || R) */
	SC_SCHEME_ENC_DIGEST = 3, /* claim 5: X = D = H(Enc(K, JP)) */
};

struct sc_tx {
	uint8_t version;                          /* SC_TX_VERSION */
	uint8_t scheme;                           /* enum sc_scheme */
	uint64_t amount;                          /* minor units, 1 .. 2^63-1 */
	uint16_t currency;                        /* ISO 4217 numeric, 1..999 */
	char payer[SC_ACCOUNT_MAX + 1];           /* NUL-terminated account id */
	char payee[SC_ACCOUNT_MAX + 1];
	char payee_name[SC_PAYEE_NAME_MAX + 1];   /* UTF-8, shown on the card */
	char terminal_id[SC_TERMINAL_ID_MAX + 1];
	uint8_t challenge[SC_CHALLENGE_LEN];      /* from the server */
	uint64_t time;                            /* Unix seconds, set by the terminal */
};

/* Checks every field against its domain (also used before encoding). */
int sc_tx_validate(const struct sc_tx *tx);
/* Returns the encoded length or a negative sc_err. */
int sc_tx_encode(const struct sc_tx *tx, uint8_t *out, size_t cap);
/* Decodes exactly buf[0..len); any non-canonical input is an error. */
int sc_tx_decode(struct sc_tx *tx, const uint8_t *buf, size_t len);
/* SHA-256 of the canonical encoding in buf. */
int sc_tx_hash(const uint8_t *buf, size_t len, uint8_t out[SC_HASH_LEN]);

/* The field checks below return 0 if the text is valid, else a negative
 * sc_err: SC_ERR_LENGTH (empty or too long), SC_ERR_BAD_VALUE or
 * SC_ERR_BAD_UTF8 (a character not allowed), SC_ERR_ARG (NULL). */
/* Account ids: 1..SC_ACCOUNT_MAX of [A-Z0-9-], not starting with '-'. */
int sc_account_id_valid(const char *s);
/* Terminal ids: 1..SC_TERMINAL_ID_MAX printable ASCII bytes (0x21..0x7E). */
int sc_terminal_id_valid(const char *s);
/* Payee display name: 1..SC_PAYEE_NAME_MAX bytes of shortest-form UTF-8, no
 * C0/C1 controls (nor DEL), no surrogates, no bidi or line-separator
 * formatting characters, no leading or trailing space. */
int sc_display_text_valid(const uint8_t *s, size_t len);
/* Scheme names as the command lines spell them: "enc", "enc-rand",
 * "enc-digest"; NULL for a scheme that does not exist. */
const char *sc_scheme_name(uint8_t scheme);
int sc_scheme_parse(const char *name); /* scheme, or SC_ERR_BAD_VALUE */

#endif
