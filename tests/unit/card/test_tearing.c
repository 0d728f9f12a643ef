/* Tearing: the whole life of a card (personalise, sign, wrong PIN, right
 * PIN, password, sign again, cancel) with the power cut at every flash
 * write in turn — nothing written, half written, or fully written but
 * reported failed. After each restart: the card boots; its state is
 * exactly the one before the cut write or the one after it (the clean
 * run's flash at those two points, mounted), never a mix; the ATC never
 * went back; no joint password was shown without the right PIN having been
 * confirmed, and none survives the restart; and the card still works. */
#include <string.h>

#include "card/core/core.h"
#include "card_test.h"

#define MAX_WRITES 64
#define C CARD_IFACE_CONTACT
#define CL CARD_IFACE_CONTACTLESS
#define SELECT "00A4040009F05349474341524401"

/* What one run of the life saw. */
struct run {
	uint32_t max_atc;         /* highest ATC a SIGN returned */
	int passwords;            /* PASSWORD screens shown */
	int confirmed;            /* right PIN + OK typed while a review was on */
	unsigned long base;       /* ram_hal_writes(&fx_hal) when the life began */
	unsigned long pw_write;   /* writes of the life when the first password showed */
};

static struct ram_flash snaps[MAX_WRITES + 1];
static unsigned long nsnaps;

static void snapshot(void *arg)
{
	(void)arg;
	if (nsnaps <= MAX_WRITES)
		snaps[nsnaps++] = *ram_hal_flash(&fx_hal);
}

static void sign_once(struct run *r)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	fx_tx(&tx, SC_SCHEME_ENC_RAND);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, C, 1);
	if (cc_select(&fx_core, C) == 0x9000 && cc_sign(&fx_core, C, enc, n, &s) == 0x9000 &&
	    s.atc > r->max_atc)
		r->max_atc = s.atc;
	card_field(&fx_core, C, 0);
}

static void keys(struct run *r, const char *k, int right_pin)
{
	int reviewing = ram_hal_screen(&fx_hal)->id == CARD_SCREEN_REVIEW ||
			ram_hal_screen(&fx_hal)->id == CARD_SCREEN_PIN_WRONG;

	cc_keys(&fx_core, k);
	if (right_pin && reviewing)
		r->confirmed++;
	if (ram_hal_screen(&fx_hal)->id == CARD_SCREEN_PASSWORD) {
		if (r->passwords++ == 0)
			r->pw_write = ram_hal_writes(&fx_hal) - r->base;
	}
}

/* The life after manufacture; every step goes on whatever the last one
 * answered, as a terminal and a holder would after a power cut. */
static void life(struct run *r)
{
	struct cc_perso p;

	memset(r, 0, sizeof *r);
	r->base = ram_hal_writes(&fx_hal);
	memcpy(p.card_id, TEST_CARD_ID, sizeof p.card_id);
	memcpy(p.kcard, TEST_KCARD, sizeof p.kcard);
	p.pin = TEST_PIN;
	p.account = TEST_ACCOUNT;
	card_field(&fx_core, C, 1);
	(void)cc_personalise(&fx_core, TEST_TK, &p, 1, NULL);
	card_field(&fx_core, C, 0);
	sign_once(r);
	keys(r, "9999K", 0);
	keys(r, TEST_PIN "K", 1);
	keys(r, "K", 0);
	sign_once(r);
	keys(r, "C", 0);
}

/* Mounts a copy of the clean run's flash after w writes; its state. */
static void state_after(unsigned long w, struct core_persist *out)
{
	static struct ram_flash scratch;

	scratch = snaps[w];
	ram_hal_attach(&fx_hal, &scratch, 1);
	assert_int_equal(store_mount(&fx_core), 0);
	*out = *store_committed(&fx_core);
}

/* After the restart the card must still do its job. */
static void still_works(const struct run *r)
{
	struct run again;
	struct cc_perso p;

	if (fx_lifecycle() == CORE_LC_PERSONALISING) {
		memcpy(p.card_id, TEST_CARD_ID, sizeof p.card_id);
		memcpy(p.kcard, TEST_KCARD, sizeof p.kcard);
		p.pin = TEST_PIN;
		p.account = TEST_ACCOUNT;
		card_field(&fx_core, C, 1);
		assert_int_equal(cc_personalise(&fx_core, TEST_TK, &p, 1, NULL), 0x9000);
		card_field(&fx_core, C, 0);
	}
	assert_int_equal(fx_lifecycle(), CORE_LC_ISSUED);
	memset(&again, 0, sizeof again);
	again.base = ram_hal_writes(&fx_hal);
	sign_once(&again);
	assert_true(again.max_atc > r->max_atc);
	keys(&again, TEST_PIN "K", 1);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_PASSWORD);
}

static void tear_everywhere(int tear)
{
	static struct core_persist before[MAX_WRITES + 1];
	struct core_persist got;
	struct run clean, r;
	unsigned long total;
	uint8_t r8[16];
	size_t n;

	/* The clean run: every write's flash image. */
	fx_manufacture(77);
	nsnaps = 0;
	snapshot(NULL);
	ram_hal_set_write_hook(&fx_hal, snapshot, NULL);
	life(&clean);
	ram_hal_set_write_hook(&fx_hal, NULL, NULL);
	total = nsnaps - 1;
	assert_true(total >= 15 && total < MAX_WRITES);
	assert_int_equal(clean.passwords, 1);
	assert_int_equal(clean.max_atc, 2);
	for (unsigned long w = 0; w <= total; w++)
		state_after(w, &before[w]);

	for (unsigned long k = 1; k <= total; k++) {
		fx_manufacture(77);
		ram_hal_cut_at(&fx_hal, k, tear);
		life(&r);
		assert_true(ram_hal_cut_happened(&fx_hal));
		/* A password only ever follows the right PIN, and only when all
		 * the writes of that confirmation were done. */
		if (r.passwords > 0) {
			assert_true(r.confirmed > 0);
			assert_true(k > clean.pw_write);
		}

		fx_reboot();
		got = *store_committed(&fx_core);
		if (memcmp(&got, &before[k - 1], sizeof got) != 0)
			assert_memory_equal(&got, &before[k], sizeof got);
		if (tear != RAM_HAL_CUT_AFTER)
			assert_memory_equal(&got, &before[k - 1], sizeof got);
		assert_true(fx_atc() >= r.max_atc);
		/* One wrong PIN, then a cut during the right one: 1 left at worst. */
		assert_true(fx_tries() >= 1);
		/* Nothing pending survives: no password on screen, none to read;
		 * once anything was signed, its password is void for good. */
		assert_int_equal(ram_hal_screen(&fx_hal)->id == CARD_SCREEN_PASSWORD, 0);
		card_field(&fx_core, CL, 1);
		assert_int_equal(fx_sw(CL, SELECT), 0x9000);
		assert_int_equal(fx_hex(CL, "804A000008", r8, sizeof r8, &n),
				 fx_atc() > 0 ? 0x6984 : 0x6985);
		card_field(&fx_core, CL, 0);
		still_works(&r);
	}
}

static void tear_nothing_written(void **state)
{
	(void)state;
	tear_everywhere(RAM_HAL_CUT_BEFORE);
}

static void tear_half_written(void **state)
{
	(void)state;
	tear_everywhere(RAM_HAL_CUT_TORN);
}

static void tear_written_but_failed(void **state)
{
	(void)state;
	tear_everywhere(RAM_HAL_CUT_AFTER);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tear_nothing_written),
		cmocka_unit_test(tear_half_written),
		cmocka_unit_test(tear_written_but_failed),
	};
	return RUN_TESTS("card tearing", tests, argc, argv);
}
