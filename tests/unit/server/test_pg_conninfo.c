/* Which database --db names (server/pg_conninfo.c), and how a PostgreSQL
 * one is named in a message: by where it is, never by its password, in
 * each of libpq's forms (URL with the password in its user part or in its
 * query, key=value, several hosts). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "server/server.h"

static void test_which_database(void **state)
{
	(void)state;
	assert_int_equal(srv_db_is_pg("postgresql://db.example/ledger"), 1);
	assert_int_equal(srv_db_is_pg("postgres://u@h1,h2/ledger"), 1);
	assert_int_equal(srv_db_is_pg("host=/run/pg dbname=ledger"), 1);
	assert_int_equal(srv_db_is_pg("dbname = ledger"), 1);
	assert_int_equal(srv_db_is_pg("/var/lib/sigcard-server/ledger.db"), 0);
	assert_int_equal(srv_db_is_pg("ledger.db"), 0);
	assert_int_equal(srv_db_is_pg("./name=x"), 0);
	assert_int_equal(srv_db_is_pg("=x"), 0);
	assert_int_equal(srv_db_is_pg(""), 0);
	assert_int_equal(srv_db_is_pg("postgresql:"), 0);
}

static void describe_is(const char *db, const char *want)
{
	char out[256];

	srv_db_describe(out, sizeof(out), db);
	assert_string_equal(out, want);
	assert_null(strstr(out, "Hush"));
}

static void test_never_the_password(void **state)
{
	(void)state;
	describe_is("postgresql://alice:Hush-1@db.example:6432/ledger",
		    "host=db.example port=6432 dbname=ledger user=alice");
	describe_is("postgresql:///ledger?host=/tmp/s&password=Hush-2&user=bob",
		    "host=/tmp/s dbname=ledger user=bob");
	describe_is("host=h1,h2 port=5432,5433 password=Hush-3 dbname=ledger",
		    "host=h1,h2 port=5432,5433 dbname=ledger");
	describe_is("password=Hush-4", "PostgreSQL (libpq's defaults)");
	describe_is("host='unterminated password=Hush-5",
		    "PostgreSQL (a connection string libpq cannot parse)");
	describe_is("/srv/ledger.db", "/srv/ledger.db");
}

static void test_truncated_not_overrun(void **state)
{
	char out[12];

	(void)state;
	memset(out, 'x', sizeof(out));
	srv_db_describe(out, 8, "host=a-long-host-name dbname=ledger password=Hush");
	assert_int_equal(strlen(out), 7);
	assert_int_equal(out[8], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_which_database),
		cmocka_unit_test(test_never_the_password),
		cmocka_unit_test(test_truncated_not_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
