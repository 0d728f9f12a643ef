/* The journaled store on its own: mount, commit, abort with rollback, wrap
 * around the pages, and recovery from a power cut at a program or an erase
 * (nothing written, torn, or fully written but reported failed). */
#include <string.h>

#include "card/core/core.h"
#include "card_test.h"

static struct core_persist initial(void)
{
	struct core_persist p;

	memset(&p, 0, sizeof p);
	p.lifecycle = CORE_LC_PERSONALISING;
	p.pin_tries = CORE_PIN_TRIES;
	memcpy(p.transport_key, TEST_TK, sizeof p.transport_key);
	strcpy(p.account, "ACC-1");
	return p;
}

static void fresh(uint64_t seed)
{
	struct core_persist p = initial();

	ram_hal_attach(&fx_hal, NULL, seed);
	ram_hal_erase_all(&fx_hal);
	card_core_init(&fx_core, &fx_hal);
	assert_int_equal(store_format(&fx_core, &p), 0);
}

static void remount(void)
{
	ram_hal_power_restore(&fx_hal);
	assert_int_equal(store_mount(&fx_core), 0);
}

static void commit_atc(uint32_t atc)
{
	store_begin(&fx_core)->atc = atc;
	assert_int_equal(store_commit(&fx_core), 0);
}

static void blank_flash_is_not_a_store(void **state)
{
	(void)state;
	ram_hal_attach(&fx_hal, NULL, 1);
	ram_hal_erase_all(&fx_hal);
	card_core_init(&fx_core, &fx_hal);
	assert_int_equal(store_mount(&fx_core), -1);
	assert_int_equal(store_commit(&fx_core), -1); /* nothing mounted: refused */
}

static void format_then_mount(void **state)
{
	struct core_persist p = initial();

	(void)state;
	fresh(2);
	remount();
	assert_memory_equal(store_committed(&fx_core), &p, sizeof p);
	assert_int_equal(store_seq(&fx_core), 1);
	assert_string_equal(store_committed(&fx_core)->account, "ACC-1");
}

static void commit_and_abort(void **state)
{
	unsigned long writes;
	struct core_persist *w;

	(void)state;
	fresh(3);
	commit_atc(5);
	assert_int_equal(store_committed(&fx_core)->atc, 5);
	/* Abort: the working copy is dropped, nothing is written. */
	writes = ram_hal_writes(&fx_hal);
	w = store_begin(&fx_core);
	w->atc = 99;
	w->lifecycle = CORE_LC_BLOCKED;
	store_abort(&fx_core);
	assert_int_equal(ram_hal_writes(&fx_hal), writes);
	assert_int_equal(store_committed(&fx_core)->atc, 5);
	assert_int_equal(store_committed(&fx_core)->lifecycle, CORE_LC_PERSONALISING);
	/* A later begin starts from the committed state, not the aborted one. */
	w = store_begin(&fx_core);
	assert_int_equal(w->atc, 5);
	w->pin_tries = 1;
	assert_int_equal(store_commit(&fx_core), 0);
	remount();
	assert_int_equal(store_committed(&fx_core)->atc, 5);
	assert_int_equal(store_committed(&fx_core)->pin_tries, 1);
	assert_int_equal(store_committed(&fx_core)->lifecycle, CORE_LC_PERSONALISING);
}

/* RAM holds the state once: a transaction left open (a command refused
 * after store_begin) is dropped by the next store_begin, which starts from
 * the committed record, and an abort after the journal moved on (a commit,
 * a page change) reads back the newest record, not an older one. */
static void open_transaction_is_dropped(void **state)
{
	struct core_persist *w;

	(void)state;
	fresh(5);
	for (uint32_t i = 1; i <= 40; i++)
		commit_atc(i);   /* past the first page */
	w = store_begin(&fx_core);
	w->atc = 77;
	w->account[0] = 'Z';
	w = store_begin(&fx_core);   /* the first one never committed */
	assert_int_equal(w->atc, 40);
	assert_string_equal(w->account, "ACC-1");
	w->pin_tries = 1;
	store_abort(&fx_core);
	assert_int_equal(store_committed(&fx_core)->atc, 40);
	assert_int_equal(store_committed(&fx_core)->pin_tries, CORE_PIN_TRIES);
	commit_atc(41);   /* the store still takes commits */
	remount();
	assert_int_equal(store_committed(&fx_core)->atc, 41);
	assert_int_equal(store_committed(&fx_core)->pin_tries, CORE_PIN_TRIES);
}

static void wraps_around_the_pages(void **state)
{
	(void)state;
	fresh(4);
	/* Far more records than slots: the journal wraps many times, and a
	 * remount at any point finds the newest. */
	for (uint32_t i = 1; i <= 200; i++) {
		commit_atc(i);
		if (i % 17 == 0) {
			remount();
			assert_int_equal(store_committed(&fx_core)->atc, i);
		}
	}
	remount();
	assert_int_equal(store_committed(&fx_core)->atc, 200);
	assert_int_equal(store_seq(&fx_core), 201);
}

/* Commits atc = 1000 over the committed state with the nth write of the
 * commit cut as tear says. Returns 0 if the commit has fewer than n writes
 * (it then simply succeeded), else 1 with *old the atc committed before,
 * *got the atc found after the restart. */
static int cut_commit(unsigned long n, int tear, uint32_t *old, uint32_t *got)
{
	*old = store_committed(&fx_core)->atc;
	store_begin(&fx_core)->atc = 1000;
	ram_hal_cut_at(&fx_hal, n, tear);
	if (store_commit(&fx_core) == 0) {
		ram_hal_cut_at(&fx_hal, 0, 0);
		return 0;
	}
	assert_true(ram_hal_cut_happened(&fx_hal));
	/* After the cut, further commits fail too (power is off). */
	store_begin(&fx_core)->atc = 1001;
	assert_int_equal(store_commit(&fx_core), -1);
	remount();
	*got = store_committed(&fx_core)->atc;
	return 1;
}

static void cut_anywhere_leaves_old_or_new(void **state)
{
	uint32_t old, got;
	int cuts = 0;

	(void)state;
	for (int tear = RAM_HAL_CUT_BEFORE; tear <= RAM_HAL_CUT_AFTER; tear++) {
		/* Commits that open a page (erase + program) and commits inside
		 * one (program only); each of their writes cut in turn. */
		for (uint32_t k = 0; k < 4; k++) {
			for (unsigned long n = 1; n <= 2; n++) {
				fresh(5);
				for (uint32_t i = 0; i < k; i++)
					commit_atc(i + 1);
				if (!cut_commit(n, tear, &old, &got))
					continue;
				cuts++;
				assert_int_equal(old, k);
				/* Old, or (only when the record itself fully landed) new. */
				if (got != old)
					assert_int_equal(got, 1000);
				if (tear != RAM_HAL_CUT_AFTER)
					assert_int_equal(got, old);
				/* The store goes on working after the restart. */
				commit_atc(2000);
				remount();
				assert_int_equal(store_committed(&fx_core)->atc, 2000);
			}
		}
	}
	assert_true(cuts >= 3 * 6);
}

static void corrupt_record_falls_back(void **state)
{
	struct ram_flash *f;

	(void)state;
	fresh(7);
	commit_atc(1);
	commit_atc(2);
	/* Flip a bit of the newest record (page 1, slot 0): its CRC fails. */
	f = ram_hal_flash(&fx_hal);
	f->bytes[RAM_HAL_PAGE_SIZE + 40] ^= 0x01;
	remount();
	assert_int_equal(store_committed(&fx_core)->atc, 1);
}

static void out_of_domain_record_is_not_trusted(void **state)
{
	(void)state;
	fresh(8);
	commit_atc(1);
	/* A record with a valid CRC but a lifecycle no commit of the card
	 * makes: mount falls back to the one before. */
	store_begin(&fx_core)->lifecycle = 9;
	assert_int_equal(store_commit(&fx_core), 0);
	remount();
	assert_int_equal(store_committed(&fx_core)->lifecycle, CORE_LC_PERSONALISING);
	assert_int_equal(store_committed(&fx_core)->atc, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blank_flash_is_not_a_store),
		cmocka_unit_test(format_then_mount),
		cmocka_unit_test(commit_and_abort),
		cmocka_unit_test(open_transaction_is_dropped),
		cmocka_unit_test(wraps_around_the_pages),
		cmocka_unit_test(cut_anywhere_leaves_old_or_new),
		cmocka_unit_test(corrupt_record_falls_back),
		cmocka_unit_test(out_of_domain_record_is_not_trusted),
	};
	return RUN_TESTS("card store", tests, argc, argv);
}
