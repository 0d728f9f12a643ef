/* The receipt key list (docs/PROTOCOL.md §6 "Receipt keys"): every receipt
 * key the issuer has had, oldest first, each one after the first signed by
 * the one before it. A terminal that pinned one of them checks the links
 * from there on and so learns every later key without trusting the server
 * that hands it the list. Also the GET RECEIPT KEYS / RECEIPT KEYS
 * messages that carry it. Freestanding: caller buffers; the signature
 * check is the caller's, passed in. */
#ifndef SC_KEYLIST_H
#define SC_KEYLIST_H

#include <stddef.h>
#include <stdint.h>
#include "scheme.h"
#include "seal.h"

/* Message types of the submission protocol (common/submit.h), kept here
 * with their codec. */
enum {
	SC_MSG_GET_RECEIPT_KEYS = 0x07, /* terminal -> server: the type byte alone */
	SC_MSG_RECEIPT_KEYS = 0x87,     /* server -> terminal: the key list */
};

#define SC_KEYLIST_VERSION 1u
#define SC_KEYLIST_MAX 16u             /* keys in one list: rotations the ring keeps */
/* "SCKR" 01 id of the previous key(8) key(65) created(8): what a link signs */
#define SC_KEYLIST_LINK_LEN (4u + 1u + SC_KEY_ID_LEN + SC_PUBKEY_LEN + 8u)
#define SC_KEYLIST_ENTRY_MAX (SC_PUBKEY_LEN + 8u + 1u + SC_ECDSA_DER_MAX)
/* "SCKL" 01 n(1) entries */
#define SC_KEYLIST_ENC_MAX (4u + 1u + 1u + SC_KEYLIST_MAX * SC_KEYLIST_ENTRY_MAX)
#define SC_RECEIPT_KEYS_MSG_MAX (1u + SC_KEYLIST_ENC_MAX)

struct sc_keylist_entry {
	uint8_t pub[SC_PUBKEY_LEN];        /* SEC1 uncompressed P-256 point */
	uint64_t created;                  /* Unix seconds, as the issuer says */
	uint8_t sig[SC_ECDSA_DER_MAX];     /* by the previous key over the link; the
					    * first entry has none */
	size_t sig_len;                    /* 0 for the first entry, else 8..72 */
};

struct sc_keylist {
	size_t n;                          /* 1..SC_KEYLIST_MAX */
	struct sc_keylist_entry e[SC_KEYLIST_MAX]; /* oldest first; e[n-1] is current */
};

/* The bytes entry e of a list signs with the key before it, prev. */
int sc_keylist_link(uint8_t out[SC_KEYLIST_LINK_LEN], const uint8_t prev[SC_PUBKEY_LEN],
		    const struct sc_keylist_entry *e);

/* Length written or a negative sc_err. Decode checks shapes only (version,
 * count, points uncompressed, the first entry unsigned and every other
 * signed, no key twice); the links are sc_keylist_chain's. */
int sc_keylist_encode(uint8_t *out, size_t cap, const struct sc_keylist *l);
int sc_keylist_decode(struct sc_keylist *l, const uint8_t *buf, size_t len);

/* Checks sig (DER) over msg with the P-256 key pub: 1 if it verifies, 0 if
 * not. */
typedef int (*sc_keylist_verify_fn)(void *ctx, const uint8_t pub[SC_PUBKEY_LEN],
				    const uint8_t *msg, size_t len, const uint8_t *sig,
				    size_t sig_len);

/* The index of the pinned key in l when every link after it verifies, so
 * that the keys from there on are the pinned key's successors; SC_ERR_AUTH
 * if the pinned key is not in the list or a later link does not verify. */
int sc_keylist_chain(const struct sc_keylist *l, const uint8_t pinned[SC_PUBKEY_LEN],
		     sc_keylist_verify_fn verify, void *ctx);

/* The index of the key with this id among e[from..n-1], or SC_ERR_BAD_VALUE. */
int sc_keylist_find(const struct sc_keylist *l, size_t from, const uint8_t id[SC_KEY_ID_LEN]);

/* GET RECEIPT KEYS is the type byte alone; RECEIPT KEYS is the type byte
 * and the encoded list. */
int sc_get_receipt_keys_encode(uint8_t *out, size_t cap);
int sc_get_receipt_keys_decode(const uint8_t *body, size_t len);
int sc_receipt_keys_encode(uint8_t *out, size_t cap, const struct sc_keylist *l);
int sc_receipt_keys_decode(struct sc_keylist *l, const uint8_t *body, size_t len);

#endif
