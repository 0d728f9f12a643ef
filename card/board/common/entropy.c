/* hal_entropy on the emulated board: a stand-in for a hardware TRNG, which
 * QEMU's MPS2 does not have. A 32-byte seed injected at manufacture (the
 * host's /dev/urandom, through the manufacture page) starts a hash chain:
 * every call derives its output from the current state S as
 *   SHA-256("sigcard/board/entropy/out" || S || i) for blocks i = 0, 1, ...
 * and first commits the next state SHA-256("sigcard/board/entropy/next" ||
 * S) to flash, then zeroes the record of S. So the card never reuses
 * output across boots or power cuts, and reading the flash later does not
 * reveal earlier outputs (forward security). It is only as unpredictable
 * as the seed: a real board reads its TRNG here instead.
 *
 * The log: two pages of 64-byte slots, each record
 *   "SCE1" (4) | seq (4, big-endian) | state (32) | SHA-256(first 40)[0..8)
 * written in slot order; when a page is full the other one is erased and
 * takes the next record. The valid record with the highest seq wins; older
 * valid ones (left by a power cut before their zeroing) are zeroed at mount. */
#include <string.h>

#include "mbedtls/sha256.h"

#include "board.h"
#include "common/scheme.h"

#define ENT_SLOT 64u
#define ENT_SLOTS (BOARD_PAGE_SIZE / ENT_SLOT)
#define ENT_REC 48u
#define ENT_STATE 32u
static const uint8_t ent_magic[4] = {'S', 'C', 'E', '1'};

static struct {
	bool mounted;
	uint32_t seq;
	uint32_t page, slot;     /* where the current record lies */
	uint8_t state[ENT_STATE];
} ent;

/* SHA-256(label || data || ctr(4)) into out; ctr < 0: no counter. Hashed
 * in pieces through one context rather than built into a message first:
 * hal_entropy runs under the DRBG's reseed inside a SIGN's ECDSA, the
 * deepest path of the stack, and the message buffer and
 * mbedtls_sha256_ret's own context cost 116 bytes more there (issue 16). */
static int ent_hash(const char *label, const uint8_t *data, size_t len, long ctr,
		    uint8_t out[32])
{
	mbedtls_sha256_context sha;
	uint8_t be[4];
	int rc;

	if (len > ENT_STATE)
		return -1;
	be[0] = (uint8_t)((unsigned long)ctr >> 24);
	be[1] = (uint8_t)((unsigned long)ctr >> 16);
	be[2] = (uint8_t)((unsigned long)ctr >> 8);
	be[3] = (uint8_t)ctr;
	mbedtls_sha256_init(&sha);
	rc = mbedtls_sha256_starts_ret(&sha, 0);
	if (rc == 0)
		rc = mbedtls_sha256_update_ret(&sha, (const unsigned char *)label, strlen(label));
	if (rc == 0)
		rc = mbedtls_sha256_update_ret(&sha, data, len);
	if (rc == 0 && ctr >= 0)
		rc = mbedtls_sha256_update_ret(&sha, be, sizeof be);
	if (rc == 0)
		rc = mbedtls_sha256_finish_ret(&sha, out);
	mbedtls_sha256_free(&sha);   /* wipes the context */
	return rc == 0 ? 0 : -1;
}

static void ent_encode(uint8_t rec[ENT_REC], uint32_t seq, const uint8_t state[ENT_STATE])
{
	uint8_t check[32];

	memcpy(rec, ent_magic, 4);
	rec[4] = (uint8_t)(seq >> 24);
	rec[5] = (uint8_t)(seq >> 16);
	rec[6] = (uint8_t)(seq >> 8);
	rec[7] = (uint8_t)seq;
	memcpy(rec + 8, state, ENT_STATE);
	(void)mbedtls_sha256_ret(rec, 40, check, 0);
	memcpy(rec + 40, check, 8);
}

/* Reads the record at page/slot: 1 valid (seq and state set), 0 not, -1 I/O. */
static int ent_read(uint32_t page, uint32_t slot, uint32_t *seq, uint8_t state[ENT_STATE])
{
	uint8_t rec[ENT_REC], check[32];
	int valid;

	if (flash_read_abs(page, slot * ENT_SLOT, rec, sizeof rec) != 0)
		return -1;
	(void)mbedtls_sha256_ret(rec, 40, check, 0);
	valid = memcmp(rec, ent_magic, 4) == 0 && memcmp(rec + 40, check, 8) == 0;
	if (valid) {
		*seq = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 | (uint32_t)rec[6] << 8 |
		       rec[7];
		memcpy(state, rec + 8, ENT_STATE);
	}
	sc_wipe(rec, sizeof rec);
	return valid;
}

static int ent_zero(uint32_t page, uint32_t slot)
{
	static const uint8_t zero[ENT_REC];

	return flash_program_abs(page, slot * ENT_SLOT, zero, sizeof zero);
}

static bool ent_slot_blank(uint32_t page, uint32_t slot)
{
	uint8_t b[ENT_SLOT];

	if (flash_read_abs(page, slot * ENT_SLOT, b, sizeof b) != 0)
		return false;
	for (size_t i = 0; i < sizeof b; i++)
		if (b[i] != 0xFFu)
			return false;
	return true;
}

int entropy_mount(void)
{
	static const uint32_t pages[2] = {BOARD_PAGE_ENT0, BOARD_PAGE_ENT1};
	uint8_t state[ENT_STATE];
	uint32_t seq;

	ent.mounted = false;
	for (unsigned p = 0; p < 2u; p++)
		for (uint32_t s = 0; s < ENT_SLOTS; s++) {
			int rc = ent_read(pages[p], s, &seq, state);
			if (rc < 0)
				return -1;
			if (rc == 1 && (!ent.mounted || seq > ent.seq)) {
				ent.mounted = true;
				ent.seq = seq;
				ent.page = pages[p];
				ent.slot = s;
				memcpy(ent.state, state, ENT_STATE);
			}
		}
	sc_wipe(state, sizeof state);
	if (!ent.mounted)
		return -1;
	/* Zero the states a power cut left behind the newest one. */
	for (unsigned p = 0; p < 2u; p++)
		for (uint32_t s = 0; s < ENT_SLOTS; s++) {
			if (pages[p] == ent.page && s == ent.slot)
				continue;
			if (ent_read(pages[p], s, &seq, state) == 1 && ent_zero(pages[p], s) != 0)
				return -1;
		}
	sc_wipe(state, sizeof state);
	return 0;
}

/* Writes (seq, state) into the next free slot after the current record. */
static int ent_commit(uint32_t seq, const uint8_t state[ENT_STATE])
{
	uint8_t rec[ENT_REC];
	uint32_t page = ent.page, slot = ent.slot + 1u;
	int rc;

	while (slot < ENT_SLOTS && !ent_slot_blank(page, slot))
		slot++;   /* a torn record from a cut: never program over it */
	if (slot >= ENT_SLOTS) {
		page = ent.page == BOARD_PAGE_ENT0 ? BOARD_PAGE_ENT1 : BOARD_PAGE_ENT0;
		slot = 0;
		if (flash_erase_abs(page) != 0)
			return -1;
	}
	ent_encode(rec, seq, state);
	rc = flash_program_abs(page, slot * ENT_SLOT, rec, sizeof rec);
	sc_wipe(rec, sizeof rec);
	if (rc != 0)
		return -1;
	if (ent_zero(ent.page, ent.slot) != 0)
		return -1;
	ent.page = page;
	ent.slot = slot;
	ent.seq = seq;
	return 0;
}

int entropy_install(const uint8_t seed[MFG_SEED_LEN])
{
	uint8_t state[ENT_STATE], rec[ENT_REC];
	int rc;

	if (ent_hash("sigcard/board/entropy/seed", seed, MFG_SEED_LEN, -1, state) != 0)
		return -1;
	if (flash_erase_abs(BOARD_PAGE_ENT0) != 0 || flash_erase_abs(BOARD_PAGE_ENT1) != 0)
		return -1;
	ent_encode(rec, 1u, state);
	rc = flash_program_abs(BOARD_PAGE_ENT0, 0, rec, sizeof rec);
	sc_wipe(rec, sizeof rec);
	sc_wipe(state, sizeof state);
	return rc == 0 ? entropy_mount() : -1;
}

int hal_entropy(struct card_hal *hal, uint8_t *buf, size_t len)
{
	(void)hal;
	uint8_t next[ENT_STATE], block[32];
	long i = 0;

	if (!ent.mounted || ent_hash("sigcard/board/entropy/next", ent.state, ENT_STATE, -1,
				     next) != 0)
		return -1;
	/* Commit first: output is only ever derived from a state that flash
	 * has already moved past. */
	if (ent_commit(ent.seq + 1u, next) != 0) {
		sc_wipe(next, sizeof next);
		ent.mounted = false;
		return -1;
	}
	while (len > 0) {
		size_t n = len < sizeof block ? len : sizeof block;
		if (ent_hash("sigcard/board/entropy/out", ent.state, ENT_STATE, i++, block) != 0) {
			sc_wipe(next, sizeof next);
			return -1;
		}
		memcpy(buf, block, n);
		buf += n;
		len -= n;
	}
	memcpy(ent.state, next, ENT_STATE);
	sc_wipe(next, sizeof next);
	sc_wipe(block, sizeof block);
	return 0;
}
