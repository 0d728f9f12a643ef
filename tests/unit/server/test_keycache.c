/* The verify threads' key cache (server/keycache.c): a hit never reads the
 * ledger, cards whose ids share a slot live side by side, and a moved
 * generation empties it so a re-keyed card is read again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common/hex.h"
#include "server_fixture.h"

/* The cache's slot of an id: FNV-1a, as keycache.c documents. */
static uint32_t slot_of(const uint8_t id[SC_CARD_ID_LEN])
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < SC_CARD_ID_LEN; i++)
		h = (h ^ id[i]) * 16777619u;
	return h % SRV_KEYCACHE_SLOTS;
}

static void enrol_raw(struct srv_db *db, const uint8_t id[SC_CARD_ID_LEN],
		      const uint8_t pub[SC_PUBKEY_LEN])
{
	char sql[400], hid[2 * SC_CARD_ID_LEN + 1], hpub[2 * SC_PUBKEY_LEN + 1];

	sc_hex_encode(hid, id, SC_CARD_ID_LEN);
	sc_hex_encode(hpub, pub, SC_PUBKEY_LEN);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO cards (card_id, account, pubkey, status, created_ms)"
		 " VALUES (x'%s', 'ALICE', x'%s', 1, 0)", hid, hpub);
	assert_int_equal(srv_db_exec(db, sql), SQLITE_OK);
}

static void hits_collisions_and_generations(void **state)
{
	static struct fx f;
	static struct srv_keycache kc;
	enum { N = SRV_KEYCACHE_WAYS + 4 };
	uint8_t ids[N][SC_CARD_ID_LEN], pub[SC_PUBKEY_LEN], unknown[SC_CARD_ID_LEN] = {9};
	atomic_ulong gen = 0;
	struct srv_db db;
	EVP_PKEY_CTX *ctx;
	char err[256];
	uint32_t want;
	int n = 0, hits = 0;

	(void)state;
	assert_int_equal(fx_setup(&f, NULL), 0);
	fx_stop(&f);
	assert_int_equal(srv_db_open(&db, f.cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)),
			 0);
	/* N ids that all hash to one slot */
	want = slot_of(f.a1.id);
	for (uint32_t k = 1; n < N; k++) {
		uint8_t id[SC_CARD_ID_LEN] = {0xc0, 0x11, (uint8_t)(k >> 24), (uint8_t)(k >> 16),
					      (uint8_t)(k >> 8), (uint8_t)k, 0, 1};

		if (slot_of(id) == want)
			memcpy(ids[n++], id, SC_CARD_ID_LEN);
	}
	for (int i = 0; i < N; i++)
		enrol_raw(&db, ids[i], i % 2 ? f.a2.pubkey : f.a1.pubkey);

	srv_keycache_init(&kc, &gen);
	assert_int_equal(srv_keycache_get(&kc, &db, unknown, pub, &ctx), 0);
	assert_int_equal(srv_keycache_get(&kc, &db, f.b.id, pub, &ctx), 1);
	assert_memory_equal(pub, f.b.pubkey, SC_PUBKEY_LEN);
	for (int i = 0; i < N; i++) {
		assert_int_equal(srv_keycache_get(&kc, &db, ids[i], pub, &ctx), 1);
		assert_non_null(ctx);
		assert_memory_equal(pub, i % 2 ? f.a2.pubkey : f.a1.pubkey, SC_PUBKEY_LEN);
	}
	/* with the rows gone, only what the cache holds is found: one slot's
	 * worth of neighbours, the last ones read */
	assert_int_equal(srv_db_exec(&db, "DELETE FROM cards WHERE hex(card_id) LIKE 'C011%'"),
			 SQLITE_OK);
	for (int i = 0; i < N; i++)
		hits += srv_keycache_get(&kc, &db, ids[i], pub, &ctx);
	assert_int_equal(hits, SRV_KEYCACHE_WAYS);
	assert_int_equal(srv_keycache_get(&kc, &db, ids[N - 1], pub, &ctx), 1);
	/* a re-keyed card is served from the cache until the generation moves */
	{
		char sql[300], hid[2 * SC_CARD_ID_LEN + 1], hpub[2 * SC_PUBKEY_LEN + 1];

		sc_hex_encode(hid, f.b.id, SC_CARD_ID_LEN);
		sc_hex_encode(hpub, f.c.pubkey, SC_PUBKEY_LEN);
		snprintf(sql, sizeof(sql), "UPDATE cards SET pubkey = x'%s' WHERE card_id = x'%s'",
			 hpub, hid);
		assert_int_equal(srv_db_exec(&db, sql), SQLITE_OK);
	}
	assert_int_equal(srv_keycache_get(&kc, &db, f.b.id, pub, &ctx), 1);
	assert_memory_equal(pub, f.b.pubkey, SC_PUBKEY_LEN);
	atomic_fetch_add(&gen, 1);
	assert_int_equal(srv_keycache_get(&kc, &db, f.b.id, pub, &ctx), 1);
	assert_memory_equal(pub, f.c.pubkey, SC_PUBKEY_LEN);
	assert_int_equal(srv_keycache_get(&kc, &db, ids[N - 1], pub, &ctx), 0); /* flushed */
	srv_keycache_free(&kc);
	srv_db_close(&db);
	fx_teardown(&f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hits_collisions_and_generations),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("server key cache", tests, NULL, NULL);
}
