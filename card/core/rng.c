/* The card's randomness: one mbedTLS CTR_DRBG (AES-256) per card, seeded
 * from hal_entropy, so a deterministic seed is just a HAL choice in tests. */
#include <string.h>

#include "mbedtls/ctr_drbg.h"

#include "core.h"

static const char drbg_label[] = "sigcard/card/drbg/v1";

static int entropy_from_hal(void *ctx, unsigned char *out, size_t len)
{
	struct card_core *c = ctx;

	return hal_entropy(c->hal, out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int core_rng_init(struct card_core *c)
{
	core_heap_init();
	if (c->drbg_ready)
		mbedtls_ctr_drbg_free(&c->drbg);
	mbedtls_ctr_drbg_init(&c->drbg);
	c->drbg_ready = true;
	if (mbedtls_ctr_drbg_seed(&c->drbg, entropy_from_hal, c, (const unsigned char *)drbg_label,
				  sizeof drbg_label - 1u) != 0)
		return -1;
	return 0;
}

int core_rng(void *ctx, unsigned char *out, size_t len)
{
	struct card_core *c = ctx;

	return mbedtls_ctr_drbg_random(&c->drbg, out, len);
}

int core_rng_digits(struct card_core *c, char *out, size_t n)
{
	uint8_t b[16];
	size_t have = 0;

	/* Rejection sampling: bytes >= 250 would favour the digits 0-5. */
	while (have < n) {
		if (core_rng(c, b, sizeof b) != 0) {
			sc_wipe(b, sizeof b);
			return -1;
		}
		for (size_t i = 0; i < sizeof b && have < n; i++)
			if (b[i] < 250u)
				out[have++] = (char)('0' + b[i] % 10u);
	}
	sc_wipe(b, sizeof b);
	return 0;
}
