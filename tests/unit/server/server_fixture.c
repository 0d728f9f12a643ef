/* The unit tests' real server (server_fixture.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include "server/pg_query.h"
#include "pg_cluster.h"
#include "server_fixture.h"

enum fx_backend fx_backend = FX_SQLITE;

/* f->db is one connection (SQLite's opened without its own mutex, a
 * PGconn never shared) and the tests call in from several threads. */
static pthread_mutex_t db_mu = PTHREAD_MUTEX_INITIALIZER;

static void *serve(void *arg)
{
	struct fx *f = arg;

	srv_run(&f->cfg);
	return NULL;
}

static int card_setup(struct fx *f, struct srv_db *db, struct soft_card *c, uint8_t idbyte,
		      const char *account)
{
	uint8_t id[SC_CARD_ID_LEN] = {0x5c, 0, 0, 0, 0, 0, 0, idbyte};
	uint8_t k[SC_KCARD_LEN];
	char err[256];

	if (sc_kcard_derive(f->master, id, k) != 0 || soft_card_new(c, id, k, account) != 0)
		return -1;
	if (srv_card_prepare(db, id, account, err, sizeof(err)) != 0 ||
	    srv_card_enrol(db, id, account, c->pubkey, err, sizeof(err)) != 0) {
		fprintf(stderr, "card setup: %s\n", err);
		return -1;
	}
	return 0;
}

int fx_setup(struct fx *f, void (*tweak)(struct srv_config *))
{
	struct srv_db db;
	EVP_PKEY *rk;
	char err[256];
	const char *tmp = getenv("TMPDIR");

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/sc-server-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	srv_config_defaults(&f->cfg);
	snprintf(f->cfg.data_dir, sizeof(f->cfg.data_dir), "%s", f->dir);
	srv_config_paths(&f->cfg);
	snprintf(f->sock, sizeof(f->sock), "%s", f->cfg.unix_path);
	f->cfg.tcp_addr[0] = '\0';
	f->cfg.http_addr[0] = '\0';
	f->cfg.foreground = 1;
	f->cfg.workers = 2;
	if (tweak)
		tweak(&f->cfg);
	log_init("test", 1, 0);
	if (fx_ledger_path(f->cfg.db_path, sizeof(f->cfg.db_path), f->dir) != 0)
		return -1;
	if (srv_master_key_create(f->cfg.master_key_path, err, sizeof(err)) != 0 ||
	    srv_receipt_key_create(f->cfg.receipt_key_path, err, sizeof(err)) != 0 ||
	    srv_master_key_load(f->cfg.master_key_path, f->master, err, sizeof(err)) != 0 ||
	    !(rk = srv_receipt_key_load(f->cfg.receipt_key_path, err, sizeof(err)))) {
		fprintf(stderr, "fixture: %s\n", err);
		return -1;
	}
	srv_pubkey_export(rk, f->receipt_pub);
	EVP_PKEY_free(rk);
	if (fx_db_open(&db, f->cfg.db_path, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0 ||
	    srv_account_create(&db, "ALICE", 978, 100000, err, sizeof(err)) != 0 ||
	    srv_account_create(&db, "BOB", 978, 0, err, sizeof(err)) != 0 ||
	    srv_account_create(&db, "DAVE", 978, 0, err, sizeof(err)) != 0 ||
	    srv_account_create(&db, "CAROL", 840, 5000, err, sizeof(err)) != 0) {
		fprintf(stderr, "fixture: %s\n", err);
		return -1;
	}
	if (card_setup(f, &db, &f->a1, 1, "ALICE") != 0 || card_setup(f, &db, &f->a2, 2, "ALICE") != 0 ||
	    card_setup(f, &db, &f->b, 3, "BOB") != 0 || card_setup(f, &db, &f->c, 4, "CAROL") != 0)
		return -1;
	srv_db_close(&db);
	if (srv_db_open(&f->db, f->cfg.db_path, 1, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0)
		return -1;
	return fx_start(f);
}

int fx_test_setup(void **state)
{
	/* one test at a time: the one server of the running test */
	static struct fx f;

	if (fx_setup(&f, NULL) != 0)
		return -1;
	*state = &f;
	return 0;
}

int fx_test_teardown(void **state)
{
	fx_teardown(*state);
	return 0;
}

int fx_start(struct fx *f)
{
	if (pthread_create(&f->thread, NULL, serve, f) != 0)
		return -1;
	f->running = 1;
	for (int i = 0; i < 500; i++) {
		int fd = sclient_connect(f->sock);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

void fx_stop(struct fx *f)
{
	if (!f->running)
		return;
	/* srv_run may not have reached its loop if the test was quick. */
	for (int i = 0; i < 100; i++) {
		srv_stop();
		if (pthread_tryjoin_np(f->thread, NULL) == 0) {
			f->running = 0;
			return;
		}
		usleep(20000);
	}
	pthread_join(f->thread, NULL);
	f->running = 0;
}

void fx_teardown(struct fx *f)
{
	char cmd[300];

	fx_stop(f);
	srv_db_close(&f->db);
	soft_card_free(&f->a1);
	soft_card_free(&f->a2);
	soft_card_free(&f->b);
	soft_card_free(&f->c);
	sc_wipe(f->master, sizeof(f->master));
	if (!getenv("SC_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", f->dir);
	}
}

int fx_connect(struct fx *f)
{
	return sclient_connect(f->sock);
}

int fx_restart(struct fx *f, int fd)
{
	close(fd);
	fx_stop(f);
	if (fx_start(f) != 0)
		return -1;
	return fx_connect(f);
}

int fx_tx(int fd, struct sc_tx *tx, const char *tid, const char *payer, const char *payee,
	  uint64_t amount, uint16_t currency, uint8_t scheme)
{
	int code;

	memset(tx, 0, sizeof(*tx));
	tx->version = SC_TX_VERSION;
	tx->scheme = scheme;
	tx->amount = amount;
	tx->currency = currency;
	snprintf(tx->payer, sizeof(tx->payer), "%s", payer);
	snprintf(tx->payee, sizeof(tx->payee), "%s", payee);
	snprintf(tx->payee_name, sizeof(tx->payee_name), "Shop of %s", payee);
	snprintf(tx->terminal_id, sizeof(tx->terminal_id), "%s", tid);
	tx->time = (uint64_t)time(NULL);
	return sclient_challenge(fd, tid, tx->challenge, &code);
}

int fx_build_tx(struct fx *f, struct soft_card *c, const struct sc_tx *tx, uint32_t atc,
		const char *jp, uint8_t *body, size_t *len)
{
	uint8_t txbuf[SC_TX_MAX_LEN];
	struct sc_submit s;
	int n;

	(void)f;
	if (soft_card_sign(c, tx, atc, jp, txbuf, &s) != 0)
		return -1;
	n = sc_submit_encode(body, SC_SUBMIT_MSG_MAX, &s);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

int fx_build(struct fx *f, int fd, struct soft_card *c, uint32_t atc, const char *payee,
	     uint64_t amount, uint8_t scheme, char *jp, uint8_t *body, size_t *len)
{
	struct srv_account a;
	struct sc_tx tx;
	char pw[SC_JP_DIGITS + 1];
	int rc;

	pthread_mutex_lock(&db_mu);
	rc = srv_account_get(&f->db, c->account, &a);
	pthread_mutex_unlock(&db_mu);
	if (rc != 1)
		return -1;
	if (fx_tx(fd, &tx, "T-1", c->account, payee, amount, a.currency, scheme) != 0)
		return -1;
	soft_card_jp(pw);
	if (jp)
		memcpy(jp, pw, sizeof(pw));
	return fx_build_tx(f, c, &tx, atc, pw, body, len);
}

int fx_send(int fd, const uint8_t *body, size_t len, struct fx_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->code = sclient_raw(fd, body, len, r->buf, &r->len, &r->m);
	return r->code;
}

int fx_pay(struct fx *f, int fd, struct soft_card *c, uint32_t atc, const char *payee,
	   uint64_t amount, uint8_t scheme, struct fx_reply *r)
{
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;

	if (fx_build(f, fd, c, atc, payee, amount, scheme, NULL, body, &len) != 0)
		return -1;
	return fx_send(fd, body, len, r);
}

int fx_receipt_ok(struct fx *f, const struct fx_reply *r, struct sc_receipt *out)
{
	uint8_t digest[32], statement[SC_SEAL_STATEMENT_LEN];
	struct sc_seal seal;
	uint8_t id[SC_KEY_ID_LEN];
	EVP_PKEY *k;
	int ok;

	if (r->code < 0 || !sc_result_is_sealed(r->code) || !r->m.receipt ||
	    sc_receipt_decode(out, r->m.receipt, r->m.receipt_len) != 0 ||
	    /* a receipt names the key that seals it */
	    out->version != SC_RECEIPT_VERSION || sc_seal_key_id(f->receipt_pub, id) != 0 ||
	    memcmp(out->key_id, id, SC_KEY_ID_LEN) != 0 ||
	    sc_seal_decode(&seal, r->m.seal, r->m.seal_len) != 0 ||
	    sc_seal_open(r->m.receipt, r->m.receipt_len, &seal, statement) != 0)
		return -1;
	k = srv_pubkey_import(f->receipt_pub, 1);
	srv_sha256(statement, sizeof(statement), digest);
	ok = k && srv_ecdsa_verify(k, digest, seal.sig, seal.sig_len);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

size_t fx_resign(uint8_t *body, size_t len, void (*fn)(BIGNUM *r, BIGNUM *s, const BIGNUM *n))
{
	struct sc_submit s;
	const BIGNUM *r0, *s0;
	BIGNUM *r, *sv, *n = NULL;
	ECDSA_SIG *sig;
	const uint8_t *p;
	uint8_t *out;
	int k;

	if (sc_submit_decode(&s, body, len) != 0)
		return 0;
	p = s.sig;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)s.sig_len);
	if (!sig)
		return 0;
	ECDSA_SIG_get0(sig, &r0, &s0);
	r = BN_dup(r0);
	sv = BN_dup(s0);
	BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
	fn(r, sv, n);
	ECDSA_SIG_set0(sig, r, sv);
	out = s.sig;
	k = i2d_ECDSA_SIG(sig, &out);
	ECDSA_SIG_free(sig);
	BN_free(n);
	if (k <= 0 || k > (int)SC_ECDSA_DER_MAX)
		return 0;
	s.sig_len = (size_t)k;
	k = sc_submit_encode(body, SC_SUBMIT_MSG_MAX, &s);
	return k > 0 ? (size_t)k : 0;
}

void fx_negate_s(BIGNUM *r, BIGNUM *s, const BIGNUM *n)
{
	(void)r;
	BN_sub(s, n, s);
}

size_t fx_with_sig(uint8_t *body, size_t len, const uint8_t *sig, size_t n)
{
	struct sc_submit s;
	int k;

	if (sc_submit_decode(&s, body, len) != 0 || n > sizeof(s.sig))
		return 0;
	memcpy(s.sig, sig, n);
	s.sig_len = n;
	k = sc_submit_encode(body, SC_SUBMIT_MSG_MAX, &s);
	return k > 0 ? (size_t)k : 0;
}

size_t fx_der_long_form(uint8_t *body, size_t len)
{
	uint8_t der[SC_ECDSA_DER_MAX];
	struct sc_submit s;

	if (sc_submit_decode(&s, body, len) != 0 || s.sig_len + 1 > SC_ECDSA_DER_MAX)
		return 0;
	der[0] = 0x30;
	der[1] = 0x81;
	memcpy(der + 2, s.sig + 1, s.sig_len - 1);
	return fx_with_sig(body, len, der, s.sig_len + 1);
}

int fx_credit(struct fx *f, const char *account, const char *amount)
{
	char *argv[] = {"account", "credit", (char *)account, (char *)amount, NULL};

	return srv_admin(&f->cfg, 4, argv, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == 0 ? 0 : -1;
}

int64_t fx_balance(struct fx *f, const char *account)
{
	struct srv_account a;
	int rc;

	pthread_mutex_lock(&db_mu);
	rc = srv_account_get(&f->db, account, &a);
	pthread_mutex_unlock(&db_mu);
	return rc == 1 ? a.balance : INT64_MIN;
}

struct srv_card fx_card(struct fx *f, const struct soft_card *c)
{
	struct srv_card k;

	memset(&k, 0, sizeof(k));
	pthread_mutex_lock(&db_mu);
	srv_card_get(&f->db, c->id, &k);
	pthread_mutex_unlock(&db_mu);
	return k;
}

long fx_count(struct fx *f, const char *sql)
{
	long n;

	pthread_mutex_lock(&db_mu);
	n = fx_db_count(&f->db, sql);
	pthread_mutex_unlock(&db_mu);
	return n;
}

int fx_ledger_path(char *out, size_t cap, const char *dir)
{
	if (fx_backend == FX_POSTGRESQL)
		return pgc_database_new(out, cap);
	return snprintf(out, cap, "%s/ledger.db", dir) < (int)cap ? 0 : -1;
}

int fx_db_open(struct srv_db *d, const char *path, int version, char *err, size_t errlen)
{
	if (srv_db_is_pg(path)) {
		struct pg_conn *pg = srv_pg_connect(path, err, errlen);
		int rc;

		if (!pg)
			return -1;
		rc = srv_pg_version(pg) >= 0 ? 0 : srv_pg_migrate(pg, version, 1, err, errlen);
		srv_pg_close(pg);
		if (rc != 0)
			return -1;
	}
	return srv_db_open(d, path, 0, version, err, errlen);
}

/* x'..' where SQL has a literal: not inside a word such as max'. */
static int blob_at(const char *sql, const char *p)
{
	return (p[0] == 'x' || p[0] == 'X') && p[1] == '\'' &&
	       (p == sql || p[-1] == ' ' || p[-1] == '(' || p[-1] == ',' || p[-1] == '=');
}

int fx_sql(char *out, size_t cap, const struct srv_db *db, const char *sql)
{
	size_t n = 0;

	if (!cap)
		return -1;
	for (const char *p = sql; *p;) {
		const char *q;
		int k;

		if (db->pg && blob_at(sql, p) && (q = strchr(p + 2, '\''))) {
			k = snprintf(out + n, cap - n, "'\\x%.*s'::bytea", (int)(q - p - 2), p + 2);
			p = q + 1;
		} else if (db->pg && !strncmp(p, "zeroblob(", 9) && (q = strchr(p, ')'))) {
			k = snprintf(out + n, cap - n, "decode(repeat('00', %d), 'hex')", atoi(p + 9));
			p = q + 1;
		} else {
			k = snprintf(out + n, cap - n, "%c", *p++);
		}
		if (k < 0 || (size_t)k >= cap - n)
			return -1;
		n += (size_t)k;
	}
	out[n] = '\0';
	return 0;
}

int fx_exec(struct srv_db *db, const char *sql)
{
	char text[4096];
	PGresult *r;
	int ok;

	if (fx_sql(text, sizeof(text), db, sql) != 0)
		return SQLITE_TOOBIG;
	if (!db->pg)
		return srv_db_exec(db, text);
	/* the simple protocol: several statements in one string */
	r = PQexec(db->pg, text);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "fx_exec: %s", PQerrorMessage(db->pg));
	PQclear(r);
	return ok ? SQLITE_OK : SQLITE_ERROR;
}

long fx_db_count(struct srv_db *db, const char *sql)
{
	char text[4096];
	sqlite3_stmt *st;
	long n = -1;

	if (fx_sql(text, sizeof(text), db, sql) != 0)
		return -1;
	if (db->pg) {
		PGresult *r = srv_pg_query(db->pg, text, NULL);

		if (r && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
			n = (long)srv_pg_int64(r, 0, 0);
		PQclear(r);
	} else if (sqlite3_prepare_v2(db->db, text, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return n;
}

int fx_ledger_ok(struct fx *f)
{
	char err[256];

	if (srv_ledger_check(&f->db, err, sizeof(err)) != 0) {
		fprintf(stderr, "ledger: %s\n", err);
		return 0;
	}
	return 1;
}
