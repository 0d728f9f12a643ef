/* The seal of a receipt (docs/PROTOCOL.md §6): the server's writer signs
 * once per commit batch, over the root of a hash tree whose leaves are the
 * batch's receipts, and each receipt travels with its path to that root.
 * So one ECDSA signature serves a whole batch while every receipt stays
 * checkable on its own: a verifier folds the receipt up its path to the
 * root and checks the signature over the root's statement.
 *
 *   leaf  = SHA-256(00 || receipt)
 *   node  = SHA-256(01 || left || right)
 *   A level of odd length lifts its last node unchanged to the next.
 *   statement = "SCRB" || 02 || root          (signed: ECDSA P-256, SHA-256)
 *   seal  = d(1) || d * (side(1) || sibling(32)) || s(1) || DER signature(s)
 *           side 00: the sibling is on the left; 01: on the right.
 *
 * The 00/01 prefixes keep a leaf from passing as a node; the statement's
 * magic keeps the receipt key's signatures from meaning anything else.
 *
 * A seal names its key: a receipt of version 4 (common/submit.h) carries
 * the key id of the receipt key that signs its batch, so that a receipt
 * stays checkable after the server's key has changed (docs/PROTOCOL.md §6
 * "Receipt keys").
 * Freestanding: caller buffers, no allocation. */
#ifndef SC_SEAL_H
#define SC_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "scheme.h"

#define SC_SEAL_DEPTH_MAX 12u                      /* a path never longer */
#define SC_SEAL_BATCH_MAX (1u << SC_SEAL_DEPTH_MAX) /* most receipts under one root */
#define SC_SEAL_STATEMENT_LEN 37u                  /* "SCRB" 02 root(32) */
#define SC_SEAL_MAX (1u + SC_SEAL_DEPTH_MAX * (1u + SC_HASH_LEN) + 1u + SC_ECDSA_DER_MAX)
#define SC_SEAL_MIN (1u + 1u + 8u)                 /* empty path, shortest DER */
/* Slots a tree over n leaves needs (sc_seal_tree), for n <= SC_SEAL_BATCH_MAX. */
#define SC_SEAL_NODES(n) (2u * (n) + SC_SEAL_DEPTH_MAX)

struct sc_seal_step {
	uint8_t sibling_left;               /* 1: hash(01 || sibling || node) */
	uint8_t sibling[SC_HASH_LEN];
};

struct sc_seal {
	size_t depth;                       /* steps in path */
	struct sc_seal_step path[SC_SEAL_DEPTH_MAX];
	const uint8_t *sig;                 /* DER; points into the decoded buffer */
	size_t sig_len;
};

#define SC_KEY_ID_LEN 8u
/* The id of a receipt key: the first 8 bytes of SHA-256 over the key's
 * SubjectPublicKeyInfo DER (RFC 5480), so anyone holding the public key
 * derives it (openssl pkey -pubin -outform DER | sha256sum); pub is the
 * SEC1 uncompressed point. 0 or SC_ERR_ARG (not an uncompressed point). */
int sc_seal_key_id(const uint8_t pub[SC_PUBKEY_LEN], uint8_t id[SC_KEY_ID_LEN]);

int sc_seal_leaf(const uint8_t *receipt, size_t len, uint8_t out[SC_HASH_LEN]);

/* Builds the tree over the n leaves in nodes[0..n-1] (1 <= n <=
 * SC_SEAL_BATCH_MAX), level after level in the same array, which must hold
 * cap >= SC_SEAL_NODES(n) slots; root receives the top. */
int sc_seal_tree(uint8_t (*nodes)[SC_HASH_LEN], size_t n, size_t cap,
		 uint8_t root[SC_HASH_LEN]);
/* The path of leaf i in a tree sc_seal_tree built over n leaves; sets
 * depth and path of s, leaves sig alone. */
int sc_seal_path(const uint8_t (*nodes)[SC_HASH_LEN], size_t n, size_t i, struct sc_seal *s);

/* The signed bytes for a root. */
int sc_seal_statement(const uint8_t root[SC_HASH_LEN], uint8_t out[SC_SEAL_STATEMENT_LEN]);
/* The statement a receipt and its seal's path lead to: what the seal's
 * signature must verify over. */
int sc_seal_open(const uint8_t *receipt, size_t len, const struct sc_seal *s,
		 uint8_t statement[SC_SEAL_STATEMENT_LEN]);

/* Length written or a negative sc_err; decode checks shapes only (depth,
 * side bytes, signature length), the signature is for the caller. */
int sc_seal_encode(uint8_t *out, size_t cap, const struct sc_seal *s);
int sc_seal_decode(struct sc_seal *s, const uint8_t *buf, size_t len);

#endif
