/* The server submission protocol (docs/PROTOCOL.md §6): the messages a
 * terminal and sigcard-server exchange, each the body of one common/frame.h
 * frame whose first byte is the message type. Shared by both ends so that
 * they run the same codec on the same bytes; caller buffers, no allocation. */
#ifndef SC_SUBMIT_H
#define SC_SUBMIT_H

#include <stddef.h>
#include <stdint.h>
#include "scheme.h"
#include "seal.h"
#include "tx.h"

enum sc_msg_type {
	SC_MSG_GET_CHALLENGE = 0x01, /* terminal -> server */
	SC_MSG_SUBMIT = 0x02,        /* terminal -> server */
	SC_MSG_GET_RECEIPT_KEY = 0x03, /* terminal -> server: no body beyond the type */
	SC_MSG_GET_ISSUER_SCRIPT = 0x04, /* terminal -> server (common/issuer_script.h) */
	SC_MSG_SCRIPT_REPORT = 0x05, /* terminal -> server (common/issuer_script.h) */
	SC_MSG_PRECHECK = 0x06,      /* terminal -> server (common/precheck.h) */
	SC_MSG_CHALLENGE = 0x81,     /* server -> terminal, answers GET CHALLENGE */
	SC_MSG_RESULT = 0x82,        /* server -> terminal, answers SUBMIT, or any error */
	SC_MSG_RECEIPT_KEY = 0x83,   /* server -> terminal: the receipt public key */
	SC_MSG_ISSUER_SCRIPT = 0x84, /* server -> terminal, answers GET ISSUER SCRIPT */
	SC_MSG_SCRIPT_RECORDED = 0x85, /* server -> terminal, answers SCRIPT REPORT: type byte alone */
	SC_MSG_PRECHECKED = 0x86,    /* server -> terminal, answers PRECHECK (common/precheck.h) */
};

/* Result codes, as carried in a RESULT message and signed in a receipt.
 * The numbers are wire values: never renumber, only append. */
enum sc_result {
	SC_RES_OK = 0,
	SC_RES_MALFORMED = 1,
	SC_RES_UNKNOWN_CARD = 2,
	SC_RES_CARD_BLOCKED = 3,
	SC_RES_AUTH_FAILED = 4,          /* bad signature or bad joint password: one code */
	SC_RES_CHALLENGE_INVALID = 5,
	SC_RES_STALE_COUNTER = 6,
	SC_RES_IDEMPOTENCY_CONFLICT = 7,
	SC_RES_INSUFFICIENT_FUNDS = 8,
	SC_RES_UNKNOWN_ACCOUNT = 9,
	SC_RES_CURRENCY_MISMATCH = 10,
	SC_RES_SAME_ACCOUNT = 11,
	SC_RES_BAD_AMOUNT = 12,
	SC_RES_RETRY_LATER = 13,
	SC_RES_NO_ISSUER_SCRIPT = 14,    /* no approved issuer script waits for the card */
};
#define SC_RES_COUNT 15u

/* "AUTH_FAILED" for SC_RES_AUTH_FAILED; "UNKNOWN_RESULT" out of range. */
const char *sc_result_name(int code);
/* One sentence a person can act on; never NULL. */
const char *sc_result_message(int code);

/* 1 if code is a final decline: a business refusal of an authenticated
 * submission, which consumes its (card, ATC) and comes with a sealed
 * receipt like OK; 0 for any other code. */
int sc_result_is_final_decline(int code);
/* 1 if a RESULT with code carries a receipt and its seal: OK and the
 * final declines. */
int sc_result_is_sealed(int code);

#define SC_SIG_MIN_LEN 8u          /* shortest DER ECDSA signature */
#define SC_RESULT_TEXT_MAX 255u
/* 4: version 3 plus the key id of the receipt key that seals it (the
 * seal names its key: common/seal.h). 3: declines too, no payer balance, a
 * reason. 2: sealed per batch (common/seal.h), OK only, with the payer's
 * balance. Versions 2 and 3 are still decoded, since a stored receipt is
 * replayed as it was; they carry no key id: the server made them with its
 * first receipt key, the one it had before keys could change. */
#define SC_RECEIPT_VERSION 4u
#define SC_RECEIPT_V3 3u
#define SC_RECEIPT_V2 2u
/* v2: magic(4) version(1) result(1) transfer id(8) counter(8) card id(8)
 * ATC(4) tx hash(32) payer balance after(8) currency(2) */
#define SC_RECEIPT_V2_LEN 76u
/* v3: magic(4) version(1) result(1) transfer id(8) counter(8) card id(8)
 * ATC(4) tx hash(32) currency(2) r(1) reason(r)
 * v4: as v3 with key id(8) between currency and r */
#define SC_RECEIPT_REASON_MAX 64u
#define SC_RECEIPT_V3_MIN 69u
#define SC_RECEIPT_V4_MIN (SC_RECEIPT_V3_MIN + SC_KEY_ID_LEN)
#define SC_RECEIPT_MIN SC_RECEIPT_V3_MIN
#define SC_RECEIPT_MAX (SC_RECEIPT_V4_MIN + SC_RECEIPT_REASON_MAX)
/* Largest message body of this protocol. */
#define SC_SUBMIT_MSG_MAX (1u + SC_CARD_ID_LEN + 4u + 2u + SC_TX_MAX_LEN + 1u + SC_X_MAX + \
			   1u + SC_ECDSA_DER_MAX + SC_JP_DIGITS)
#define SC_RESULT_MSG_MAX (1u + 1u + 2u + SC_RECEIPT_MAX + 2u + SC_SEAL_MAX + 1u + \
			   SC_RESULT_TEXT_MAX)

/* SUBMIT: everything the server needs to rebuild the signed data and check
 * the joint password. tx points into the decoded buffer. */
struct sc_submit {
	uint8_t card_id[SC_CARD_ID_LEN];
	uint32_t atc;                       /* the card's transaction counter */
	const uint8_t *tx;                  /* canonical transaction (common/tx.h) */
	size_t tx_len;                      /* 1..SC_TX_MAX_LEN */
	uint8_t x[SC_X_MAX];                /* C (16 bytes) or D (32 bytes) */
	size_t x_len;
	uint8_t sig[SC_ECDSA_DER_MAX];      /* the card's DER signature */
	size_t sig_len;                     /* SC_SIG_MIN_LEN..SC_ECDSA_DER_MAX */
	char jp[SC_JP_DIGITS];              /* the joint password, no NUL */
};

/* The server's statement about the outcome of one (card, ATC): executed,
 * or finally declined. Its encoding is a leaf of the batch tree whose root
 * the server's receipt key signs (common/seal.h). */
struct sc_receipt {
	uint8_t version;                    /* set by decode; encode writes 3 if this is 3,
					     * else SC_RECEIPT_VERSION */
	uint8_t result;                     /* SC_RES_OK or a final decline */
	uint64_t transfer_id;               /* 0 for a decline */
	uint64_t counter;                   /* server receipt counter, strictly increasing */
	uint8_t card_id[SC_CARD_ID_LEN];
	uint32_t atc;
	uint8_t tx_hash[SC_HASH_LEN];
	uint64_t balance_after;             /* version 2 only: the payer's, minor units */
	uint16_t currency;                  /* ISO 4217 numeric */
	uint8_t key_id[SC_KEY_ID_LEN];      /* version 4: the sealing key's (sc_seal_key_id) */
	char reason[SC_RECEIPT_REASON_MAX + 1]; /* version 3: why declined, printable ASCII;
						 * empty for OK; NUL-terminated */
};

/* RESULT as decoded: receipt and seal point into the buffer (present only
 * when code is SC_RES_OK), text likewise (a detail for a person, may be
 * empty, never NUL-terminated). */
struct sc_result_msg {
	uint8_t code;
	const uint8_t *receipt;
	size_t receipt_len;
	const uint8_t *seal;                /* for sc_seal_decode */
	size_t seal_len;
	const char *text;
	size_t text_len;
};

/* 1 if s[0..n) is printable ASCII (20..7E): the rule for text a person
 * reads that a peer sent, a decline's reason and a pre-check's (n = 0: 1). */
int sc_text_printable(const char *s, size_t n);

/* Message type of a body (its first byte), or SC_ERR_TRUNCATED if empty. */
int sc_msg_type(const uint8_t *body, size_t len);

/* Each encoder returns the body length or a negative sc_err; each decoder
 * takes exactly one body and returns 0 or a negative sc_err (trailing bytes,
 * lengths out of range, a wrong type byte: SC_ERR_BAD_TAG). */
int sc_get_challenge_encode(uint8_t *out, size_t cap, const char *terminal_id);
int sc_get_challenge_decode(const uint8_t *body, size_t len,
			    char terminal_id[SC_TERMINAL_ID_MAX + 1]);

int sc_challenge_encode(uint8_t *out, size_t cap, const uint8_t challenge[SC_CHALLENGE_LEN],
			uint32_t valid_for_s);
int sc_challenge_decode(const uint8_t *body, size_t len, uint8_t challenge[SC_CHALLENGE_LEN],
			uint32_t *valid_for_s);

/* GET RECEIPT KEY is the type byte alone. RECEIPT KEY carries the server's
 * receipt public key, SEC1 uncompressed. A terminal should pin it (from
 * `sigcard-server key show`) rather than trust the first answer. */
int sc_get_receipt_key_encode(uint8_t *out, size_t cap);
int sc_get_receipt_key_decode(const uint8_t *body, size_t len);
int sc_receipt_key_encode(uint8_t *out, size_t cap, const uint8_t pub[SC_PUBKEY_LEN]);
int sc_receipt_key_decode(const uint8_t *body, size_t len, uint8_t pub[SC_PUBKEY_LEN]);

/* The decoder checks the shapes only (X 16 or 32 bytes, JP 8 digits, lengths
 * in range); the transaction itself is for sc_tx_decode. */
int sc_submit_encode(uint8_t *out, size_t cap, const struct sc_submit *s);
int sc_submit_decode(struct sc_submit *s, const uint8_t *body, size_t len);

/* A sealed code (sc_result_is_sealed) needs receipt (SC_RECEIPT_MIN..
 * SC_RECEIPT_MAX bytes) and its seal (SC_SEAL_MIN..SC_SEAL_MAX bytes, as
 * sc_seal_encode wrote it); any other code must come without them. text
 * may be NULL. */
int sc_result_encode(uint8_t *out, size_t cap, uint8_t code, const uint8_t *receipt,
		     size_t receipt_len, const uint8_t *seal, size_t seal_len, const char *text);
int sc_result_decode(struct sc_result_msg *m, const uint8_t *body, size_t len);

/* The bytes of a receipt, a leaf of its batch's seal. Encode writes
 * version 4 (or 3 when r->version is 3, for the vectors of stored
 * receipts; reason must be printable ASCII, empty for OK, at most
 * SC_RECEIPT_REASON_MAX); decode takes version 2, 3 or 4 and checks that
 * the result is OK or a final decline (version 2: OK only). */
int sc_receipt_encode(uint8_t *out, size_t cap, const struct sc_receipt *r);
int sc_receipt_decode(struct sc_receipt *r, const uint8_t *buf, size_t len);

#endif
