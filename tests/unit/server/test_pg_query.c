/* The ledger's statements on PostgreSQL (server/pg_query.c): store.c's
 * SQL with its placeholders rewritten, every statement of the table in
 * the room given; bytea and rows read back from a result libpq builds
 * without a server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "server/pg_query.h"

static void test_placeholders(void **state)
{
	char out[SRV_PG_SQL_MAX];

	(void)state;
	assert_int_equal(srv_pg_sql(out, sizeof(out), srv_stmt_text(ST_ACCOUNT_ADD)), 0);
	assert_string_equal(out, "UPDATE accounts SET balance = balance + $2 WHERE id = $1");
	assert_int_equal(srv_pg_sql(out, sizeof(out), "SELECT '?' || ?10, ?x"), 0);
	assert_string_equal(out, "SELECT '?' || $10, ?x"); /* a ? alone is not a placeholder */
	assert_int_equal(srv_pg_sql(out, sizeof(out), srv_stmt_text(ST_BEGIN)), 0);
	assert_string_equal(out, "BEGIN"); /* SQLite's write lock up front; rows lock as written */
	assert_int_equal(srv_pg_sql(out, 6, "COMMIT"), -1);
	assert_int_equal(srv_pg_sql(out, 7, "COMMIT"), 0);
	assert_string_equal(out, "COMMIT");
}

/* Every statement fits, and none keeps a ?N. */
static void test_every_statement(void **state)
{
	char out[SRV_PG_SQL_MAX];

	(void)state;
	for (int id = 0; id < ST_COUNT; id++) {
		assert_int_equal(srv_pg_sql(out, sizeof(out), srv_stmt_text((enum srv_stmt)id)), 0);
		for (const char *q = strchr(out, '?'); q; q = strchr(q + 1, '?'))
			assert_false(q[1] >= '0' && q[1] <= '9');
	}
}

static PGresult *one_row(int n, const char *const *values)
{
	PGresAttDesc att[8];
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	assert_non_null(r);
	memset(att, 0, sizeof(att));
	for (int i = 0; i < n; i++)
		att[i].name = (char *)"c";
	assert_int_equal(PQsetResultAttrs(r, n, att), 1);
	for (int i = 0; i < n; i++)
		assert_int_equal(PQsetvalue(r, 0, i, (char *)values[i],
					    values[i] ? (int)strlen(values[i]) : -1), 1);
	return r;
}

static void test_bytes(void **state)
{
	const char *v[5] = {"\\x0102ff", NULL, "\\x012", "0102", "\\x010203"};
	PGresult *r = one_row(5, v);
	uint8_t b[3];

	(void)state;
	assert_int_equal(srv_pg_bytes(r, 0, 0, b, sizeof(b)), 3);
	assert_memory_equal(b, "\x01\x02\xff", 3);
	assert_int_equal(srv_pg_bytes(r, 0, 1, b, sizeof(b)), -1); /* NULL */
	assert_int_equal(srv_pg_bytes(r, 0, 2, b, sizeof(b)), -1); /* odd */
	assert_int_equal(srv_pg_bytes(r, 0, 3, b, sizeof(b)), -1); /* not bytea's hex form */
	assert_int_equal(srv_pg_bytes(r, 0, 4, b, 2), -1);         /* longer than the room */
	PQclear(r);
}

/* A card row as ST_CARD_GET reads it: account, pubkey, status, last_atc,
 * jp_failures. */
static void test_card_row(void **state)
{
	static const uint8_t id[SC_CARD_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	char key[2 + 2 * SC_PUBKEY_LEN + 1] = "\\x";
	const char *v[5] = {"ALICE-1", key, "2", "4294967295", "3"};
	struct srv_card c;
	PGresult *r;

	(void)state;
	for (size_t i = 0; i < SC_PUBKEY_LEN; i++)
		memcpy(key + 2 + 2 * i, i ? "ab" : "04", 2);
	r = one_row(5, v);
	srv_pg_card_row(r, 0, 0, id, &c);
	assert_memory_equal(c.id, id, SC_CARD_ID_LEN);
	assert_string_equal(c.account, "ALICE-1");
	assert_int_equal(c.has_pubkey, 1);
	assert_int_equal(c.pubkey[0], 4);
	assert_int_equal(c.pubkey[SC_PUBKEY_LEN - 1], 0xab);
	assert_int_equal(c.status, CARD_BLOCKED);
	assert_int_equal(c.last_atc, 4294967295LL);
	assert_int_equal(c.jp_failures, 3);
	PQclear(r);
	v[1] = NULL; /* a prepared card has no key yet */
	r = one_row(5, v);
	srv_pg_card_row(r, 0, 0, id, &c);
	assert_int_equal(c.has_pubkey, 0);
	PQclear(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_every_statement),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_card_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
