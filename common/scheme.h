/* The signature schemes of the patent's claims 2-6, shared by the card (which
 * seals the joint password) and the server (which checks it), so both sides
 * run the same code on the same bytes. Crypto: mbedTLS (AES-256, SHA-256,
 * HKDF), which is freestanding and runs on the card. */
#ifndef SC_SCHEME_H
#define SC_SCHEME_H

#include <stddef.h>
#include <stdint.h>
#include "tx.h"

#define SC_CARD_ID_LEN 8u        /* shown as 16 hex digits */
#define SC_JP_DIGITS 8u          /* the joint password: ASCII decimal digits */
#define SC_KCARD_LEN 32u         /* AES-256 key */
#define SC_MASTER_KEY_LEN 32u
#define SC_X_MAX 32u             /* C (16) or D (32) */
#define SC_SIGNED_DATA_VERSION 1u
/* version, scheme, card id, ATC, challenge, tx hash, X: see docs/PROTOCOL.md */
#define SC_SIGNED_DATA_MAX (1u + 1u + SC_CARD_ID_LEN + 4u + SC_CHALLENGE_LEN + SC_HASH_LEN + SC_X_MAX)
#define SC_ECDSA_DER_MAX 72u     /* P-256: SEQUENCE of two INTEGERs of <= 33 bytes */
#define SC_PUBKEY_LEN 65u        /* SEC1 uncompressed: 04 || X || Y */

/* Length of X for a scheme (16 or 32), or SC_ERR_BAD_VALUE. */
int sc_scheme_x_len(uint8_t scheme);

/* Card side: computes X for jp. rand8 is used by SC_SCHEME_ENC_RAND only (may
 * be NULL otherwise). Writes sc_scheme_x_len(scheme) bytes into x. */
int sc_jp_seal(uint8_t scheme, const uint8_t k[SC_KCARD_LEN], const char jp[SC_JP_DIGITS],
	       const uint8_t *rand8, uint8_t x[SC_X_MAX]);

/* Server side: 0 if x is what the card would have made for jp under k, else
 * SC_ERR_AUTH. The comparison is constant-time. A jp that is not 8 ASCII
 * digits or an unknown scheme is SC_ERR_BAD_VALUE; an x_len other than
 * sc_scheme_x_len(scheme), SC_ERR_LENGTH. */
int sc_jp_check(uint8_t scheme, const uint8_t k[SC_KCARD_LEN], const char jp[SC_JP_DIGITS],
		const uint8_t *x, size_t x_len);

/* One AES-256 block under K_card, wherever K_card is: encrypt (1) or
 * decrypt (0) in into out. 0, or non-zero if the cipher failed. The server
 * passes a token's K_card object this way; the card and file keys pass
 * the key's bytes. */
typedef int (*sc_block_fn)(void *ctx, int encrypt, const uint8_t in[16], uint8_t out[16]);

/* sc_jp_check with K_card behind block_fn(ctx, ...): the one home of the
 * schemes' arithmetic, whether the key is in memory or in a token. */
int sc_jp_check_with(uint8_t scheme, sc_block_fn block_fn, void *ctx,
		     const char jp[SC_JP_DIGITS], const uint8_t *x, size_t x_len);

/* The bytes the card signs (ECDSA P-256 over their SHA-256). Returns the
 * length or a negative sc_err. */
int sc_signed_data_build(uint8_t *out, size_t cap, uint8_t scheme,
			 const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc,
			 const uint8_t challenge[SC_CHALLENGE_LEN],
			 const uint8_t tx_hash[SC_HASH_LEN], const uint8_t *x, size_t x_len);

/* K_card = HKDF-SHA256(ikm = master key, salt = "sigcard/K_card/v1",
 * info = card id), 32 bytes. */
int sc_kcard_derive(const uint8_t master[SC_MASTER_KEY_LEN],
		    const uint8_t card_id[SC_CARD_ID_LEN], uint8_t k[SC_KCARD_LEN]);

/* Derivation v2's card data (docs/PROTOCOL.md §5.1): K_card =
 * AES-256-ECB(master key, D), D two blocks card id || "K_card" || 02 || i
 * for i = 1, 2, which a PKCS#11 token computes as C_DeriveKey with
 * CKM_AES_ECB_ENCRYPT_DATA, the master key never leaving it. */
#define SC_KCARD_V2_DATA_LEN 32u
void sc_kcard_v2_data(const uint8_t card_id[SC_CARD_ID_LEN], uint8_t d[SC_KCARD_V2_DATA_LEN]);

/* Constant-time equality of two byte strings of length n: 1 if equal. */
int sc_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* Overwrites n bytes in a way the compiler may not remove. */
void sc_wipe(void *p, size_t n);

#endif
