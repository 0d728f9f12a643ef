/* The joint-password schemes, the signed data and K_card (common/scheme.h;
 * formats in docs/PROTOCOL.md §4). The same code seals on the card and checks
 * on the server. */
#include <stdint.h>
#include <string.h>
#include <mbedtls/aes.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include "buf.h"
#include "errors.h"
#include "scheme.h"

#define BLOCK 16u
static const char kcard_salt[] = "sigcard/K_card/v1";

int sc_scheme_x_len(uint8_t scheme)
{
	switch (scheme) {
	case SC_SCHEME_ENC:
	case SC_SCHEME_ENC_RAND:
		return (int)BLOCK;
	case SC_SCHEME_ENC_DIGEST:
		return (int)SC_HASH_LEN;
	default:
		return SC_ERR_BAD_VALUE;
	}
}

/* 1 if jp is 8 ASCII digits. Branch-free over the digits: the JP is a
 * secret on the card. */
static int jp_form_ok(const char jp[SC_JP_DIGITS])
{
	uint32_t bad = 0;

	for (size_t i = 0; i < SC_JP_DIGITS; i++) {
		uint32_t c = (uint8_t)jp[i];

		/* c - '0' and '9' - c both stay below 2^31 only for a digit. */
		bad |= ((c - (uint32_t)'0') | ((uint32_t)'9' - c)) >> 31;
	}
	return (int)(bad ^ 1u);
}

/* out = AES-256-ECB(k, in), one block, or decrypt. */
static int aes_block(const uint8_t k[SC_KCARD_LEN], int mode, const uint8_t in[BLOCK],
		     uint8_t out[BLOCK])
{
	mbedtls_aes_context ctx;
	int rc;

	mbedtls_aes_init(&ctx);
	rc = mode == MBEDTLS_AES_ENCRYPT ? mbedtls_aes_setkey_enc(&ctx, k, 256)
					 : mbedtls_aes_setkey_dec(&ctx, k, 256);
	if (rc == 0)
		rc = mbedtls_aes_crypt_ecb(&ctx, mode, in, out);
	mbedtls_aes_free(&ctx);  /* zeroises the key schedule */
	return rc == 0 ? SC_OK : SC_ERR_CRYPTO;
}

/* sc_block_fn over mbedTLS with ctx the 32-byte K_card itself. */
static int soft_block(void *ctx, int encrypt, const uint8_t in[16], uint8_t out[16])
{
	return aes_block(ctx, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, in, out);
}

/* The block JP || 00*8 (enc, enc-digest) or JP || R (enc-rand). */
static void jp_block(uint8_t scheme, const char jp[SC_JP_DIGITS], const uint8_t *rand8,
		     uint8_t block[BLOCK])
{
	memcpy(block, jp, SC_JP_DIGITS);
	if (scheme == SC_SCHEME_ENC_RAND)
		memcpy(block + SC_JP_DIGITS, rand8, BLOCK - SC_JP_DIGITS);
	else
		memset(block + SC_JP_DIGITS, 0, BLOCK - SC_JP_DIGITS);
}

/* X from the encrypted block c: c itself, or its SHA-256 (enc-digest). */
static int x_from_block(uint8_t scheme, const uint8_t c[BLOCK], uint8_t x[SC_X_MAX])
{
	if (scheme == SC_SCHEME_ENC_DIGEST)
		return mbedtls_sha256_ret(c, BLOCK, x, 0) == 0 ? SC_OK : SC_ERR_CRYPTO;
	memcpy(x, c, BLOCK);
	return SC_OK;
}

/* The card's side calls AES directly, not through an sc_block_fn: the
 * firmware's stack bound follows direct calls (scripts/firmware-stack.py). */
int sc_jp_seal(uint8_t scheme, const uint8_t k[SC_KCARD_LEN], const char jp[SC_JP_DIGITS],
	       const uint8_t *rand8, uint8_t x[SC_X_MAX])
{
	uint8_t block[BLOCK], c[BLOCK];
	int rc;

	if (sc_scheme_x_len(scheme) < 0)
		return SC_ERR_BAD_VALUE;
	if (!k || !jp || !x || (scheme == SC_SCHEME_ENC_RAND && !rand8))
		return SC_ERR_ARG;
	if (!jp_form_ok(jp))
		return SC_ERR_BAD_VALUE;
	jp_block(scheme, jp, rand8, block);
	rc = aes_block(k, MBEDTLS_AES_ENCRYPT, block, c);
	if (rc == SC_OK)
		rc = x_from_block(scheme, c, x);
	sc_wipe(block, sizeof(block));
	sc_wipe(c, sizeof(c));
	return rc;
}

int sc_jp_check_with(uint8_t scheme, sc_block_fn block_fn, void *ctx,
		     const char jp[SC_JP_DIGITS], const uint8_t *x, size_t x_len)
{
	uint8_t want[SC_X_MAX], plain[BLOCK], c[BLOCK];
	int len = sc_scheme_x_len(scheme);
	int rc, same = 0;

	if (len < 0)
		return SC_ERR_BAD_VALUE;
	if (!block_fn || !ctx || !jp || !x)
		return SC_ERR_ARG;
	if (x_len != (size_t)len)
		return SC_ERR_LENGTH;
	if (!jp_form_ok(jp))
		return SC_ERR_BAD_VALUE;
	switch (scheme) {
	case SC_SCHEME_ENC:
	case SC_SCHEME_ENC_RAND:
		/* Decrypt C: enc must give JP || 00*8 exactly; enc-rand
		 * JP || R, with R unknown to the server. */
		rc = block_fn(ctx, 0, x, plain) == 0 ? SC_OK : SC_ERR_CRYPTO;
		if (rc != SC_OK)
			break;
		jp_block(SC_SCHEME_ENC, jp, NULL, want);
		same = sc_ct_equal(plain, want,
				   scheme == SC_SCHEME_ENC ? BLOCK : SC_JP_DIGITS);
		break;
	default:
		jp_block(SC_SCHEME_ENC_DIGEST, jp, NULL, plain);
		rc = block_fn(ctx, 1, plain, c) == 0 ? SC_OK : SC_ERR_CRYPTO;
		if (rc == SC_OK)
			rc = x_from_block(SC_SCHEME_ENC_DIGEST, c, want);
		if (rc == SC_OK)
			same = sc_ct_equal(want, x, SC_HASH_LEN);
		break;
	}
	sc_wipe(want, sizeof(want));
	sc_wipe(plain, sizeof(plain));
	sc_wipe(c, sizeof(c));
	if (rc != SC_OK)
		return rc;
	return same ? SC_OK : SC_ERR_AUTH;
}

int sc_jp_check(uint8_t scheme, const uint8_t k[SC_KCARD_LEN], const char jp[SC_JP_DIGITS],
		const uint8_t *x, size_t x_len)
{
	return sc_jp_check_with(scheme, soft_block, (void *)(uintptr_t)k, jp, x, x_len);
}

int sc_signed_data_build(uint8_t *out, size_t cap, uint8_t scheme,
			 const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc,
			 const uint8_t challenge[SC_CHALLENGE_LEN],
			 const uint8_t tx_hash[SC_HASH_LEN], const uint8_t *x, size_t x_len)
{
	struct sc_writer w;
	int len = sc_scheme_x_len(scheme);

	if (len < 0)
		return SC_ERR_BAD_VALUE;
	if (!out || !card_id || !challenge || !tx_hash || !x)
		return SC_ERR_ARG;
	if (x_len != (size_t)len)
		return SC_ERR_LENGTH;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_SIGNED_DATA_VERSION);
	sc_put_u8(&w, scheme);
	sc_put_bytes(&w, card_id, SC_CARD_ID_LEN);
	sc_put_u32(&w, atc);
	sc_put_bytes(&w, challenge, SC_CHALLENGE_LEN);
	sc_put_bytes(&w, tx_hash, SC_HASH_LEN);
	sc_put_bytes(&w, x, x_len);
	if (w.err)
		return w.err;
	return (int)w.len;
}

int sc_kcard_derive(const uint8_t master[SC_MASTER_KEY_LEN],
		    const uint8_t card_id[SC_CARD_ID_LEN], uint8_t k[SC_KCARD_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if (!master || !card_id || !k)
		return SC_ERR_ARG;
	if (!md || mbedtls_hkdf(md, (const unsigned char *)kcard_salt, sizeof(kcard_salt) - 1,
				master, SC_MASTER_KEY_LEN, card_id, SC_CARD_ID_LEN, k,
				SC_KCARD_LEN) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

void sc_kcard_v2_data(const uint8_t card_id[SC_CARD_ID_LEN], uint8_t d[SC_KCARD_V2_DATA_LEN])
{
	static const char tag[] = "K_card";

	for (uint8_t i = 0; i < 2; i++) {
		uint8_t *b = d + BLOCK * i;

		memcpy(b, card_id, SC_CARD_ID_LEN);
		memcpy(b + SC_CARD_ID_LEN, tag, sizeof(tag) - 1);
		b[14] = 0x02; /* the derivation's version */
		b[15] = (uint8_t)(i + 1);
	}
}
