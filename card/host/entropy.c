/* The HAL's entropy and clock: getrandom for the DRBG seed (or a fixed
 * test seed, expanded with SHA-256, for reproducible runs), and
 * CLOCK_MONOTONIC for the tick. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "card/hal.h"
#include "common/scheme.h"
#include "host.h"

static uint8_t ent_seed[ENTROPY_SEED_MAX];
static size_t ent_seed_len;      /* 0: use getrandom */
static uint32_t ent_counter;     /* blocks handed out from the seed */

int entropy_set_seed(const uint8_t *seed, size_t len)
{
	if (len == 0 || len > sizeof ent_seed)
		return -1;
	memcpy(ent_seed, seed, len);
	ent_seed_len = len;
	ent_counter = 0;
	return 0;
}

/* Block i of the seeded stream: SHA-256(seed || i as 4 bytes big-endian). */
static int ent_seed_block(uint8_t out[32])
{
	uint8_t ctr[4] = {(uint8_t)(ent_counter >> 24), (uint8_t)(ent_counter >> 16),
			  (uint8_t)(ent_counter >> 8), (uint8_t)ent_counter};
	mbedtls_sha256_context h;
	int rc;
	mbedtls_sha256_init(&h);
	rc = mbedtls_sha256_starts_ret(&h, 0);
	if (rc == 0)
		rc = mbedtls_sha256_update_ret(&h, ent_seed, ent_seed_len);
	if (rc == 0)
		rc = mbedtls_sha256_update_ret(&h, ctr, sizeof ctr);
	if (rc == 0)
		rc = mbedtls_sha256_finish_ret(&h, out);
	mbedtls_sha256_free(&h);
	ent_counter++;
	return rc == 0 ? 0 : -1;
}

int hal_entropy(struct card_hal *hal, uint8_t *buf, size_t len)
{
	(void)hal;
	if (ent_seed_len > 0) {
		uint8_t block[32];
		while (len > 0) {
			size_t n = len < sizeof block ? len : sizeof block;
			if (ent_seed_block(block) != 0)
				return -1;
			memcpy(buf, block, n);
			buf += n;
			len -= n;
		}
		sc_wipe(block, sizeof block);
		return 0;
	}
	while (len > 0) {
		ssize_t got = getrandom(buf, len, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += got;
		len -= (size_t)got;
	}
	return 0;
}

uint32_t hal_tick_ms(struct card_hal *hal)
{
	(void)hal;
	return host_tick_ms();
}

uint32_t host_tick_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}
