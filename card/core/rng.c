/* The card's randomness: one mbedTLS CTR_DRBG (AES-256) seeded from
 * hal_entropy, so a deterministic seed is just a HAL choice in tests.
 *
 * mbedTLS's bignum code (ECDSA) allocates through mbedtls_calloc. Debian
 * 12's libmbedcrypto 2.28.3 is built without MBEDTLS_PLATFORM_MEMORY and
 * without MBEDTLS_MEMORY_BUFFER_ALLOC_C (both commented out in
 * /usr/include/mbedtls/config.h; `nm -D libmbedcrypto.so.2.28.3` shows
 * calloc and free imported from libc, and no memory_buffer_alloc), so on
 * the host the heap is libc's, used inside the library only: the core's
 * own objects never allocate (make card-freestanding checks that). A
 * firmware build of mbedTLS enables both options, and then the core hands
 * mbedTLS a static 12 KiB heap here, enough for P-256 key generation and
 * signing. */
#include <string.h>

#include "mbedtls/ctr_drbg.h"
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(MBEDTLS_PLATFORM_MEMORY)
#include "mbedtls/memory_buffer_alloc.h"
#define CORE_STATIC_HEAP 1
#endif

#include "core.h"

static const char drbg_label[] = "sigcard/card/drbg/v1";

#ifdef CORE_STATIC_HEAP
/* mbedTLS's allocator is global to the library, so this heap is the one
 * state the cards of a process share (card/card.h says how). */
static unsigned char core_mbedtls_heap[12288];
static bool heap_ready;
#endif

static int entropy_from_hal(void *ctx, unsigned char *out, size_t len)
{
	struct card_core *c = ctx;

	return hal_entropy(c->hal, out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int core_rng_init(struct card_core *c)
{
#ifdef CORE_STATIC_HEAP
	if (!heap_ready) {
		mbedtls_memory_buffer_alloc_init(core_mbedtls_heap, sizeof core_mbedtls_heap);
		heap_ready = true;
	}
#endif
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
