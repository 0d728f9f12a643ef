/* Constant-time comparison and wiping of secrets (common/scheme.h). */
#include <mbedtls/platform_util.h>
#include "scheme.h"

int sc_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= (uint32_t)(a[i] ^ b[i]);
	/* acc is 0..255: acc - 1 borrows into bit 8 only when acc == 0. */
	return (int)(((acc - 1u) >> 8) & 1u);
}

void sc_wipe(void *p, size_t n)
{
	/* mbedTLS calls memset through a volatile function pointer, which the
	 * compiler cannot prove has no effect. */
	if (p && n)
		mbedtls_platform_zeroize(p, n);
}
