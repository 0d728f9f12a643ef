/* A real sigcard-server for the unit tests: keys in a fresh temporary
 * folder, a ledger on the backend under test (a SQLite file there, or a
 * fresh database in the program's private PostgreSQL cluster), accounts
 * and software cards, and srv_run on a thread serving the Unix socket. */
#ifndef SC_TESTS_SERVER_FIXTURE_H
#define SC_TESTS_SERVER_FIXTURE_H

#include <pthread.h>
#include <openssl/bn.h>
#include "server/server.h"
#include "tests/support/server_client.h"
#include "tests/support/soft_card.h"

/* Accounts: ALICE 1000.00 EUR, BOB 0 EUR, DAVE 0 EUR, CAROL 50.00 USD.
 * Cards: a1 and a2 of ALICE, b of BOB, c of CAROL. */
struct fx {
	char dir[128];
	char sock[SRV_PATH_MAX];
	struct srv_config cfg;
	pthread_t thread;
	int running;
	uint8_t master[SC_MASTER_KEY_LEN];
	uint8_t receipt_pub[SC_PUBKEY_LEN];
	struct soft_card a1, a2, b, c;
	struct srv_db db;                 /* the test's own reading connection */
};

/* The ledger fx_setup makes: fx_run sets it for each half of a suite. */
enum fx_backend { FX_SQLITE, FX_POSTGRESQL };
extern enum fx_backend fx_backend;

struct CMUnitTest;
/* Runs a suite on both backends: every test of both[] and sqlite_only[]
 * (may be NULL) on SQLite, then both[] on PostgreSQL in a private cluster
 * started for it (pg_cluster.h), each test named with its backend. Each
 * half runs in a process of its own, as two programs would: the server
 * keeps process-wide state (the audit sample's minute, the metrics, the
 * health reason). If PostgreSQL cannot run here, its half is reported
 * skipped, with the reason. The number of failed tests. */
int fx_run(const char *group, const struct CMUnitTest *both, size_t n_both,
	   const struct CMUnitTest *sqlite_only, size_t n_sqlite_only);
#define FX_RUN(group, both, sqlite_only) \
	fx_run(group, both, sizeof(both) / sizeof(both[0]), sqlite_only, \
	       sizeof(sqlite_only) / sizeof(sqlite_only[0]))
/* cmocka's test filter for the tests named name on either backend
 * ("name [*]"), or for the one a name with its backend in brackets says. */
void fx_filter(const char *name);
#define FX_RUN_ALL(group, both) fx_run(group, both, sizeof(both) / sizeof(both[0]), NULL, 0)

struct fx_reply {
	uint8_t buf[SC_RESULT_MSG_MAX];
	size_t len;
	struct sc_result_msg m;
	int code;
};

/* tweak (may be NULL) adjusts the config before the server starts. */
int fx_setup(struct fx *f, void (*tweak)(struct srv_config *));
void fx_teardown(struct fx *f);
/* cmocka set-up and tear-down: a fresh server (fx_setup with no tweak) in
 * *state for each test. */
int fx_test_setup(void **state);
int fx_test_teardown(void **state);
/* A cmocka test table entry for a test run on that fresh server. */
#define fx_unit_test(fn) cmocka_unit_test_setup_teardown(fn, fx_test_setup, fx_test_teardown)
int fx_start(struct fx *f);
void fx_stop(struct fx *f);
int fx_connect(struct fx *f);
/* Closes fd, stops and starts the server on the same ledger: a fresh
 * connection to it, or -1. */
int fx_restart(struct fx *f, int fd);
/* A transaction from card c's account to payee, on a fresh challenge got
 * over fd for terminal "T-1", signed at atc with a new JP (copied to jp if
 * not NULL). The SUBMIT body goes to body. 0 or -1. */
int fx_build(struct fx *f, int fd, struct soft_card *c, uint32_t atc, const char *payee,
	     uint64_t amount, uint8_t scheme, char *jp, uint8_t *body, size_t *len);
/* As fx_build with every transaction field given. */
int fx_build_tx(struct fx *f, struct soft_card *c, const struct sc_tx *tx, uint32_t atc,
		const char *jp, uint8_t *body, size_t *len);
/* A transaction with a fresh challenge for terminal tid. */
int fx_tx(int fd, struct sc_tx *tx, const char *tid, const char *payer, const char *payee,
	  uint64_t amount, uint16_t currency, uint8_t scheme);
/* Round trip of a raw body; returns the result code (or -1). */
int fx_send(int fd, const uint8_t *body, size_t len, struct fx_reply *r);
/* fx_build (no JP kept) and fx_send of it: pays amount from card c to
 * payee at atc. Returns the result code (or -1). */
int fx_pay(struct fx *f, int fd, struct soft_card *c, uint32_t atc, const char *payee,
	   uint64_t amount, uint8_t scheme, struct fx_reply *r);
/* Checks a sealed reply (OK or a final decline): its receipt decodes and
 * its seal verifies with the server's receipt key. 0 if so. */
int fx_receipt_ok(struct fx *f, const struct fx_reply *r, struct sc_receipt *out);
/* Signature malleations of a SUBMIT body in place; each returns the new
 * body length. fx_resign re-encodes the signature after fn(r, s, order);
 * fx_negate_s as fn is (r, n - s), valid ECDSA over the same data. */
size_t fx_resign(uint8_t *body, size_t len, void (*fn)(BIGNUM *r, BIGNUM *s, const BIGNUM *n));
void fx_negate_s(BIGNUM *r, BIGNUM *s, const BIGNUM *n);
/* The signature bytes replaced by sig (n bytes). */
size_t fx_with_sig(uint8_t *body, size_t len, const uint8_t *sig, size_t n);
/* The same signature with its SEQUENCE length in long form: BER, not the
 * strict DER the server takes; 0 if that no longer fits a SUBMIT. */
size_t fx_der_long_form(uint8_t *body, size_t len);
/* The operator's credit, through the admin command "account credit". 0 or -1. */
int fx_credit(struct fx *f, const char *account, const char *amount);
int64_t fx_balance(struct fx *f, const char *account);
struct srv_card fx_card(struct fx *f, const struct soft_card *c);
/* The first column of the first row of sql (a number, fx_sql's dialect)
 * on the test's own connection, or -1. */
long fx_count(struct fx *f, const char *sql);

/* For the tests that open ledgers of their own, on the backend under test. */
/* Where a test's own ledger goes: dir/ledger.db on SQLite, a fresh
 * database of the program's cluster (its conninfo) on PostgreSQL. 0 or -1. */
int fx_ledger_path(char *out, size_t cap, const char *dir);
/* srv_db_open for writing at version; on PostgreSQL a database that holds
 * no ledger gets one first, as init makes it (SQLite's open makes its
 * file itself). 0 or -1 with err set. */
int fx_db_open(struct srv_db *d, const char *path, int version, char *err, size_t errlen);
/* sql as the tests write it (SQLite's dialect) in db's: on PostgreSQL
 * x'..' is a bit string, so blobs x'..' become '\\x..'::bytea and
 * zeroblob(n) decode(repeat('00', n), 'hex'). 0, or -1 if out is short. */
int fx_sql(char *out, size_t cap, const struct srv_db *db, const char *sql);
/* Runs sql (fx_sql's dialect, several statements allowed) on db:
 * SQLITE_OK or an error. */
int fx_exec(struct srv_db *db, const char *sql);
/* fx_count over db. */
long fx_db_count(struct srv_db *db, const char *sql);
int fx_ledger_ok(struct fx *f);

#endif
