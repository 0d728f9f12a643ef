/* AES key wrap of RFC 3394 (§2.2.1 wrap, §2.2.2 unwrap, §2.2.3.1 default
 * IV) on mbedTLS's AES block, which the card core links already; and the
 * transport KEK that K_card is wrapped under (keywrap.h). */
#include <string.h>

#include "mbedtls/aes.h"
#include "mbedtls/md.h"

#include "errors.h"
#include "keywrap.h"

#define KW_MAX_BLOCKS 32u /* 256 bytes of key data: more than any key here */

static const uint8_t kw_iv[SC_KW_BLOCK] = { 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6 };

int sc_kek_derive(const uint8_t *tk, size_t tk_len, uint8_t kek[SC_KEK_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if (!tk || !kek || tk_len == 0)
		return SC_ERR_ARG;
	if (!md || mbedtls_md_hmac(md, tk, tk_len, (const unsigned char *)SC_LABEL_KEK,
				   sizeof(SC_LABEL_KEK) - 1, kek) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

/* A ^= t, the step counter, big-endian in A's last bytes. */
static void xor_counter(uint8_t a[SC_KW_BLOCK], uint32_t t)
{
	for (unsigned i = 0; i < 4; i++)
		a[SC_KW_BLOCK - 1 - i] ^= (uint8_t)(t >> (8 * i));
}

static int kw_key_ok(size_t kek_len)
{
	return kek_len == 16 || kek_len == 24 || kek_len == 32;
}

int sc_aes_kw_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t n,
		   uint8_t *out)
{
	mbedtls_aes_context aes;
	uint8_t b[16];
	size_t blocks = n / SC_KW_BLOCK;
	int rc = SC_OK;

	if (!kek || !in || !out || !kw_key_ok(kek_len) || n % SC_KW_BLOCK != 0 || blocks < 2 ||
	    blocks > KW_MAX_BLOCKS)
		return SC_ERR_ARG;
	mbedtls_aes_init(&aes);
	/* out = A | R[1..n], worked in place. */
	memmove(out + SC_KW_BLOCK, in, n);
	memcpy(out, kw_iv, SC_KW_BLOCK);
	if (mbedtls_aes_setkey_enc(&aes, kek, (unsigned)(kek_len * 8)) != 0)
		rc = SC_ERR_CRYPTO;
	for (uint32_t j = 0; rc == SC_OK && j < 6; j++)
		for (size_t i = 1; rc == SC_OK && i <= blocks; i++) {
			uint8_t *r = out + i * SC_KW_BLOCK;

			memcpy(b, out, SC_KW_BLOCK);
			memcpy(b + SC_KW_BLOCK, r, SC_KW_BLOCK);
			if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, b, b) != 0) {
				rc = SC_ERR_CRYPTO;
				break;
			}
			memcpy(out, b, SC_KW_BLOCK);
			xor_counter(out, (uint32_t)(blocks * j + i));
			memcpy(r, b + SC_KW_BLOCK, SC_KW_BLOCK);
		}
	mbedtls_aes_free(&aes);
	sc_wipe(b, sizeof(b));
	if (rc != SC_OK)
		sc_wipe(out, n + SC_KW_BLOCK);
	return rc;
}

int sc_aes_kw_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t n,
		     uint8_t *out)
{
	mbedtls_aes_context aes;
	uint8_t a[SC_KW_BLOCK], b[16];
	size_t blocks = n / SC_KW_BLOCK - 1;
	int rc = SC_OK;

	if (!kek || !in || !out || !kw_key_ok(kek_len) || n % SC_KW_BLOCK != 0 ||
	    n < 3 * SC_KW_BLOCK || blocks > KW_MAX_BLOCKS)
		return SC_ERR_ARG;
	mbedtls_aes_init(&aes);
	memcpy(a, in, SC_KW_BLOCK);
	memmove(out, in + SC_KW_BLOCK, n - SC_KW_BLOCK);
	if (mbedtls_aes_setkey_dec(&aes, kek, (unsigned)(kek_len * 8)) != 0)
		rc = SC_ERR_CRYPTO;
	for (uint32_t j = 6; rc == SC_OK && j-- > 0;)
		for (size_t i = blocks; rc == SC_OK && i >= 1; i--) {
			uint8_t *r = out + (i - 1) * SC_KW_BLOCK;

			xor_counter(a, (uint32_t)(blocks * j + i));
			memcpy(b, a, SC_KW_BLOCK);
			memcpy(b + SC_KW_BLOCK, r, SC_KW_BLOCK);
			if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, b, b) != 0) {
				rc = SC_ERR_CRYPTO;
				break;
			}
			memcpy(a, b, SC_KW_BLOCK);
			memcpy(r, b + SC_KW_BLOCK, SC_KW_BLOCK);
		}
	mbedtls_aes_free(&aes);
	/* The integrity check of §2.2.3: A must come back as the IV. */
	if (rc == SC_OK && !sc_ct_equal(a, kw_iv, SC_KW_BLOCK))
		rc = SC_ERR_AUTH;
	sc_wipe(a, sizeof(a));
	sc_wipe(b, sizeof(b));
	if (rc != SC_OK)
		sc_wipe(out, n - SC_KW_BLOCK);
	return rc;
}

int sc_kcard_wrap(const uint8_t *tk, size_t tk_len, const uint8_t k[SC_KCARD_LEN],
		  uint8_t wrapped[SC_KCARD_WRAPPED_LEN])
{
	uint8_t kek[SC_KEK_LEN];
	int rc = sc_kek_derive(tk, tk_len, kek);

	if (rc == SC_OK)
		rc = sc_aes_kw_wrap(kek, sizeof(kek), k, SC_KCARD_LEN, wrapped);
	sc_wipe(kek, sizeof(kek));
	return rc;
}

int sc_kcard_unwrap(const uint8_t *tk, size_t tk_len,
		    const uint8_t wrapped[SC_KCARD_WRAPPED_LEN], uint8_t k[SC_KCARD_LEN])
{
	uint8_t kek[SC_KEK_LEN];
	int rc = sc_kek_derive(tk, tk_len, kek);

	if (rc == SC_OK)
		rc = sc_aes_kw_unwrap(kek, sizeof(kek), wrapped, SC_KCARD_WRAPPED_LEN, k);
	sc_wipe(kek, sizeof(kek));
	return rc;
}
