/* Manufacture on the board: the host (scripts/run-firmware.sh) creates the
 * flash image erased, with a manufacture page holding the card's transport
 * key and the entropy seed, as a factory's test station would inject them.
 * The first boot moves the seed into the entropy log, formats the card's
 * store under the transport key (card_factory_init), then erases the page:
 * afterwards the key lives only in the store and the seed nowhere. */
#include <string.h>

#include "mbedtls/sha256.h"

#include "board.h"
#include "common/scheme.h"

/* 1 if the page holds a valid manufacture record (copied to rec), 0 if not,
 * -1 on I/O failure. */
static int mfg_read(uint8_t rec[MFG_LEN])
{
	uint8_t check[32];

	if (flash_read_abs(BOARD_PAGE_MFG, 0, rec, MFG_LEN) != 0)
		return -1;
	if (memcmp(rec, MFG_MAGIC, 8) != 0)
		return 0;
	if (mbedtls_sha256_ret(rec, MFG_LEN - 32u, check, 0) != 0)
		return -1;
	return sc_ct_equal(check, rec + MFG_LEN - 32u, 32) ? 1 : 0;
}

int mfg_first_boot(struct card_core *card)
{
	uint8_t rec[MFG_LEN];
	const uint8_t *tk = rec + 8, *seed = rec + 8 + CARD_TRANSPORT_KEY_LEN;
	int have = mfg_read(rec), rc = 0;

	if (have < 0)
		return -1;
	if (entropy_mount() != 0) {
		if (have == 0 || entropy_install(seed) != 0)
			rc = -1;
	}
	if (rc == 0 && flash_store_blank()) {
		if (have == 0 || card_factory_init(card, tk) != 0)
			rc = -1;
		else
			ui_event("\"event\":\"manufactured\"");
	}
	if (rc == 0 && have == 1 && flash_erase_abs(BOARD_PAGE_MFG) != 0)
		rc = -1;
	sc_wipe(rec, sizeof rec);
	return rc;
}
