/* K_card on its way to the card: AES key wrap (RFC 3394) under a
 * key-encryption key the issuer and the card both derive from the card's
 * transport key (docs/PROTOCOL.md §5.3). Freestanding: the card core
 * unwraps with it, the issuer's side wraps with it. */
#ifndef SC_KEYWRAP_H
#define SC_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>

#include "scheme.h"

#define SC_TRANSPORT_KEY_LEN 16u /* set at manufacture, held by the issuer */
#define SC_KEK_LEN 32u           /* AES-256 */
#define SC_KW_BLOCK 8u           /* RFC 3394's 64-bit semiblock */
#define SC_KCARD_WRAPPED_LEN (SC_KCARD_LEN + SC_KW_BLOCK) /* 40 */
#define SC_LABEL_KEK "sigcard/transport-kek/v1"

/* KEK = HMAC-SHA256(transport key, SC_LABEL_KEK): the transport key itself
 * only authenticates (EXTERNAL AUTHENTICATE), one key per use. */
int sc_kek_derive(const uint8_t *tk, size_t tk_len, uint8_t kek[SC_KEK_LEN]);

/* RFC 3394 with its default IV A6A6A6A6A6A6A6A6: n bytes of in (a multiple
 * of 8, 16 to 256) into n + 8 bytes of out. SC_OK, SC_ERR_ARG or
 * SC_ERR_CRYPTO. */
int sc_aes_kw_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t n,
		   uint8_t *out);

/* The inverse: n bytes of in (24 to 264, a multiple of 8) into n - 8 bytes
 * of out. SC_ERR_AUTH when the integrity check fails (wrong KEK, altered
 * bytes); out is then all zero. */
int sc_aes_kw_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t n,
		     uint8_t *out);

/* The one function the issuer wraps K_card through: wrap(KEK(tk), K_card).
 * A token that holds the transport key does the same inside it. */
int sc_kcard_wrap(const uint8_t *tk, size_t tk_len, const uint8_t k[SC_KCARD_LEN],
		  uint8_t wrapped[SC_KCARD_WRAPPED_LEN]);

/* The card's side: K_card from wrap(KEK(tk), K_card); SC_ERR_AUTH (k all
 * zero) when the integrity check fails. */
int sc_kcard_unwrap(const uint8_t *tk, size_t tk_len,
		    const uint8_t wrapped[SC_KCARD_WRAPPED_LEN], uint8_t k[SC_KCARD_LEN]);

#endif
