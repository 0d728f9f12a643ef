/* The issuer's commands: init, accounts, card preparation and enrolment by
 * import of the record the card exports, blocking, and a ledger check. They
 * work on the database file directly and may run beside the daemon (SQLite
 * locks; the daemon's writer waits its busy timeout). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "common/currency.h"
#include "common/hex.h"
#include "hostlib/atomicfile.h"
#include "server.h"
#include "server/tls.h"

struct admin_args {
	const char *currency, *balance, *card_id, *account, *out, *record, *tk_file;
};

static void say(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void say(const char *fmt, va_list ap)
{
	fputs("sigcard-server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* A failure of the command itself: exit status 1. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return 1;
}

/* A bad command line (a missing or malformed argument or option): exit
 * status 2, before anything is read or written. */
static int usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return 2;
}

static int open_db(const struct srv_config *cfg, struct srv_db *db)
{
	char err[512];

	/* Only init creates one (on PostgreSQL srv_db_open says so). */
	if (!srv_db_is_pg(cfg->db_path) && srv_ledger_present(cfg->db_path, err, sizeof(err)) != 0)
		return fail("%s", err);
	if (srv_db_open(db, cfg->db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0)
		return fail("%s", err);
	return 0;
}

/* 0, or `status` after saying what a card id must be. */
static int parse_card_id(const char *hex, uint8_t id[SC_CARD_ID_LEN], int status)
{
	if (!hex || strlen(hex) != 2 * SC_CARD_ID_LEN ||
	    sc_hex_decode(id, SC_CARD_ID_LEN, hex) != SC_CARD_ID_LEN) {
		fail("a card id is %u hex digits, not '%s'", 2 * SC_CARD_ID_LEN, hex ? hex : "");
		return status;
	}
	return 0;
}

static int check_account_id(const char *what, const char *id)
{
	if (sc_account_id_valid(id) != SC_OK)
		return usage_fail("%s: '%s' is not an account id (1..%u of A-Z 0-9 -, not starting"
				  " with -)", what, id, SC_ACCOUNT_MAX);
	return 0;
}

/* A PostgreSQL ledger's database must not hold one yet: checked before
 * any key is made, so that a refused init leaves nothing behind. The
 * connection, or NULL after saying why. */
static struct pg_conn *pg_init_target(const struct srv_config *cfg)
{
	struct pg_conn *pg;
	char err[512], where[SRV_PATH_MAX];
	int v;

	if (!(pg = srv_pg_connect(cfg->db_path, err, sizeof(err)))) {
		fail("%s", err);
		return NULL;
	}
	if ((v = srv_pg_version(pg)) >= 0) {
		srv_db_describe(where, sizeof(where), cfg->db_path);
		fail("the PostgreSQL database %s already holds a ledger (schema version %d);"
		     " refusing to overwrite it", where, v);
		srv_pg_close(pg);
		return NULL;
	}
	return pg;
}

static int cmd_init(const struct srv_config *cfg)
{
	struct pg_conn *pg = NULL;
	struct srv_db db;
	char err[512], where[3 * SRV_PATH_MAX];
	int is_pg = srv_db_is_pg(cfg->db_path), rc;

	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST)
		return fail("cannot create %s: %s", cfg->data_dir, strerror(errno));
	if (access(cfg->master_key_path, F_OK) == 0 || (!is_pg && access(cfg->db_path, F_OK) == 0) ||
	    access(cfg->receipt_key_path, F_OK) == 0 || access(cfg->receipt_pub_path, F_OK) == 0)
		return fail("%s already holds an issuer (a key or the database exists);"
			    " refusing to overwrite it", cfg->data_dir);
	/* A PostgreSQL database is checked before any key is made, so that a
	 * refused init leaves nothing behind. */
	if (is_pg && !(pg = pg_init_target(cfg)))
		return 1;
	if (srv_keys_create(cfg, err, sizeof(err)) != 0) {
		srv_pg_close(pg);
		return fail("%s", err);
	}
	if (is_pg) {
		rc = srv_pg_migrate(pg, SRV_SCHEMA_VERSION, 1, err, sizeof(err));
		srv_pg_close(pg);
	} else if ((rc = srv_db_open(&db, cfg->db_path, 0, SRV_SCHEMA_VERSION, err,
				     sizeof(err))) == 0)
		srv_db_close(&db);
	if (rc != 0)
		return fail("%s", err);
	if (srv_terminal_ca_create(cfg->data_dir, cfg->server_name, err, sizeof(err)) != 0)
		return fail("%s", err);
	srv_db_describe(where, sizeof(where), cfg->db_path);
	printf("database     %s\n", where);
	srv_keys_describe(cfg, where, sizeof(where));
	printf("%s\nterminal CA  %s/%s/\n", where, cfg->data_dir, SRV_TLS_DIR);
	return 0;
}

static void print_money(const char *label, int64_t minor, uint16_t currency)
{
	char text[48];

	if (minor >= 0 && sc_amount_format(text, sizeof(text), (uint64_t)minor, currency) > 0)
		printf("%-12s %s\n", label, text);
	else if (minor < 0 && sc_amount_format(text, sizeof(text), (uint64_t)-minor, currency) > 0)
		printf("%-12s -%s\n", label, text);
	else
		printf("%-12s %lld (minor units of %u)\n", label, (long long)minor, currency);
}

static int cmd_account_create(const struct srv_config *cfg, const char *id,
			      const struct admin_args *a)
{
	const struct sc_currency *cur;
	uint64_t opening = 0;
	struct srv_db db;
	char err[512];
	int rc;

	if (!a->currency)
		return usage_fail("account create needs --currency (e.g. EUR)");
	if (check_account_id("account create", id) != 0)
		return 2;
	cur = sc_currency_by_alpha(a->currency);
	if (!cur)
		return usage_fail("--currency: unknown currency '%s'", a->currency);
	if (a->balance && sc_amount_parse(a->balance, cur->numeric, &opening) != 0)
		return usage_fail("--balance: '%s' is not an amount in %s (at most %u decimals)",
				  a->balance, cur->alpha, cur->exponent);
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_account_create(&db, id, cur->numeric, opening, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0)
		return fail("%s", err);
	printf("account %s created\n", id);
	return 0;
}

static int cmd_account_credit(const struct srv_config *cfg, const char *id, const char *text)
{
	const struct sc_currency *cur;
	struct srv_account acct;
	uint64_t amount = 0;
	struct srv_db db;
	char err[512];
	int rc;

	if (check_account_id("account credit", id) != 0)
		return 2;
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_account_get(&db, id, &acct);
	cur = rc == 1 ? sc_currency_by_numeric(acct.currency) : NULL;
	if (!cur || sc_amount_parse(text, cur->numeric, &amount) != 0) {
		srv_db_close(&db);
		if (!cur)
			return fail(rc < 0 ? "cannot read account %s" : "no account %s", id);
		return usage_fail("account credit: '%s' is not an amount in %s (at most %u decimals)",
				  text, cur->alpha, cur->exponent);
	}
	rc = srv_account_credit(&db, id, amount, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0)
		return fail("%s", err);
	printf("account %s credited %s %s\n", id, text, cur->alpha);
	return 0;
}

static int cmd_account_show(const struct srv_config *cfg, const char *id)
{
	struct srv_account acct;
	struct srv_db db;
	int rc;

	if (check_account_id("account show", id) != 0)
		return 2;
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_account_get(&db, id, &acct);
	srv_db_close(&db);
	if (rc <= 0)
		return fail(rc < 0 ? "cannot read account %s" : "no account %s", id);
	printf("%-12s %s\n", "account", acct.id);
	print_money("balance", acct.balance, acct.currency);
	printf("%-12s %s\n", "kind", acct.flags & SRV_ACCOUNT_ISSUER ? "issuer equity" : "customer");
	return 0;
}

/* Writes the perso file the card emulator reads, mode 0600: it holds K_card
 * as "k_card" (clear, 32 bytes) or "k_card_wrapped" (wrapped under the
 * card's transport KEK, 40 bytes; docs/PROTOCOL.md §5.3), as k_name says. */
static int write_perso(const char *path, const uint8_t id[SC_CARD_ID_LEN], const char *account,
		       const char *k_name, const uint8_t *k, size_t k_len)
{
	char idhex[2 * SC_CARD_ID_LEN + 1], khex[2 * SC_KCARD_WRAPPED_LEN + 1];
	json_t *o;
	char *text;
	int af, rc = 0;
	size_t n;

	sc_hex_encode(idhex, id, SC_CARD_ID_LEN);
	sc_hex_encode(khex, k, k_len);
	o = json_pack("{s:s,s:s,s:s}", "card_id", idhex, "account", account, k_name, khex);
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	sc_wipe(khex, sizeof(khex));
	json_decref(o); /* jansson does not wipe: the copy it held is gone with the heap page */
	if (!text)
		return fail("out of memory");
	n = strlen(text);
	text[n] = '\n'; /* over the NUL: the file is one line, and text is not a string now */
	af = af_write_file(path, 0600, AF_NOREPLACE, text, n + 1);
	if (af != 0)
		rc = fail("cannot create %s: %s", path, af_strerror(af));
	sc_wipe(text, n + 1);
	free(text);
	return rc;
}

static int cmd_card_prepare(const struct srv_config *cfg, const struct admin_args *a)
{
	uint8_t id[SC_CARD_ID_LEN], master[SC_MASTER_KEY_LEN], k[SC_KCARD_LEN];
	uint8_t tk[SC_TRANSPORT_KEY_LEN], wrapped[SC_KCARD_WRAPPED_LEN];
	char err[512], hex[2 * SC_CARD_ID_LEN + 1];
	struct srv_keys *keys;
	struct srv_db db;
	int rc;

	if (!a->account || !a->out)
		return usage_fail("card prepare needs --account ID and --out FILE");
	if (check_account_id("--account", a->account) != 0)
		return 2;
	if (a->card_id && parse_card_id(a->card_id, id, 2) != 0)
		return 2;
	if (!a->card_id && srv_random(id, sizeof(id)) != 0)
		return fail("no random card id: the system's random source failed");
	if (!a->tk_file && cfg->pkcs11_module[0])
		return usage_fail("card prepare with --pkcs11 needs --transport-key-file:"
				  " K_card leaves the token only wrapped");
	if (a->tk_file && srv_transport_key_load(a->tk_file, tk, err, sizeof(err)) != 0)
		return fail("%s", err);
	memset(k, 0, sizeof(k));
	if (a->tk_file) {
		/* K_card leaves the issuer's keys only wrapped, made where they
		 * are (inside the token, with one). */
		keys = srv_keys_open(cfg, NULL, SRV_KEYS_MASTER, err, sizeof(err));
		if (!keys) {
			sc_wipe(tk, sizeof(tk));
			return fail("%s", err);
		}
		rc = keys->ops->kcard_wrap(keys, id, tk, wrapped);
		srv_keys_close(keys);
		sc_wipe(tk, sizeof(tk));
	} else {
		if (srv_master_key_load(cfg->master_key_path, master, err, sizeof(err)) != 0)
			return fail("%s", err);
		rc = sc_kcard_derive(master, id, k);
		sc_wipe(master, sizeof(master));
	}
	if (rc != 0) {
		sc_wipe(k, sizeof(k));
		return fail("cannot derive K_card");
	}
	if (open_db(cfg, &db) != 0) {
		sc_wipe(k, sizeof(k));
		return 1;
	}
	/* The card row first: if the perso file cannot be written, the row
	 * is rolled back and nothing half-made remains. */
	if (srv_db_exec(&db, "BEGIN IMMEDIATE") != SQLITE_OK ||
	    srv_card_prepare(&db, id, a->account, err, sizeof(err)) != 0) {
		srv_db_exec(&db, "ROLLBACK");
		srv_db_close(&db);
		sc_wipe(k, sizeof(k));
		sc_wipe(wrapped, sizeof(wrapped));
		return fail("%s", err[0] ? err : "cannot lock the database");
	}
	rc = a->tk_file ? write_perso(a->out, id, a->account, "k_card_wrapped", wrapped,
				      sizeof(wrapped))
			: write_perso(a->out, id, a->account, "k_card", k, sizeof(k));
	sc_wipe(k, sizeof(k));
	sc_wipe(wrapped, sizeof(wrapped));
	if (rc != 0 || srv_db_exec(&db, "COMMIT") != SQLITE_OK) {
		srv_db_exec(&db, "ROLLBACK");
		if (rc == 0)
			unlink(a->out);
		srv_db_close(&db);
		return 1;
	}
	srv_db_close(&db);
	sc_hex_encode(hex, id, SC_CARD_ID_LEN);
	printf("%s\n", hex);
	return 0;
}

static int cmd_card_enrol(const struct srv_config *cfg, const struct admin_args *a)
{
	uint8_t id[SC_CARD_ID_LEN], pub[SC_PUBKEY_LEN];
	const char *idhex, *account, *pubhex;
	json_error_t jerr;
	struct srv_db db;
	char err[512];
	EVP_PKEY *k;
	json_t *o;
	int rc;

	if (!a->record)
		return usage_fail("card enrol needs --record FILE (the card's exported record)");
	o = json_load_file(a->record, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail("%s: %s (line %d)", a->record, jerr.text, jerr.line);
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:s,s:s,s:s}", "card_id", &idhex, "account",
			   &account, "public_key", &pubhex) != 0) {
		json_decref(o);
		return fail("%s: %s", a->record, jerr.text);
	}
	if (parse_card_id(idhex, id, 1) != 0 || strlen(pubhex) != 2 * SC_PUBKEY_LEN ||
	    sc_hex_decode(pub, sizeof(pub), pubhex) != SC_PUBKEY_LEN) {
		json_decref(o);
		return fail("%s: public_key must be %u hex digits", a->record, 2 * SC_PUBKEY_LEN);
	}
	k = srv_pubkey_import(pub, 1);
	if (!k) {
		json_decref(o);
		return fail("%s: public_key is not a P-256 point", a->record);
	}
	EVP_PKEY_free(k);
	if (open_db(cfg, &db) != 0) {
		json_decref(o);
		return 1;
	}
	rc = srv_card_enrol(&db, id, account, pub, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0) {
		json_decref(o);
		return fail("%s", err);
	}
	printf("card %s enrolled for account %s\n", idhex, account);
	json_decref(o);
	return 0;
}

static int cmd_card_status(const struct srv_config *cfg, const char *hex, int status)
{
	uint8_t id[SC_CARD_ID_LEN];
	struct srv_db db;
	char err[512];
	int rc;

	if (parse_card_id(hex, id, 2) != 0)
		return 2;
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_card_set_status(&db, id, status, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0)
		return fail("%s", err);
	printf("card %s %s\n", hex, status == CARD_BLOCKED ? "blocked" : "active");
	return 0;
}

/* The issuer approves one PIN unblock; the card gets it from the next
 * terminal that holds it (server/unblock.c). */
static int cmd_card_unblock_pin(const struct srv_config *cfg, const char *hex)
{
	uint8_t id[SC_CARD_ID_LEN];
	struct srv_db db;
	char err[512];
	int rc, already = 0;

	if (parse_card_id(hex, id, 2) != 0)
		return 2;
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_unblock_approve(&db, id, &already, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0)
		return fail("card %s: %s", hex, err);
	printf("card %s: PIN unblock %s; the next terminal that holds the card delivers it\n",
	       hex, already ? "already approved" : "approved");
	return 0;
}

static int cmd_card_show(const struct srv_config *cfg, const char *hex)
{
	char unblock[256];
	uint8_t id[SC_CARD_ID_LEN];
	char pub[2 * SC_PUBKEY_LEN + 1];
	struct srv_card c;
	struct srv_db db;
	int rc;

	if (parse_card_id(hex, id, 2) != 0)
		return 2;
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_card_get(&db, id, &c);
	if (rc > 0 && srv_unblock_describe(&db, id, unblock, sizeof(unblock)) <= 0)
		unblock[0] = '\0';
	srv_db_close(&db);
	if (rc <= 0)
		return fail(rc < 0 ? "cannot read card %s" : "no card %s", hex);
	printf("%-12s %s\n%-12s %s\n%-12s %s\n", "card", hex, "account", c.account, "status",
	       srv_card_status_name(c.status));
	if (c.last_atc >= 0)
		printf("%-12s %lld\n", "last atc", (long long)c.last_atc);
	else
		printf("%-12s none\n", "last atc");
	printf("%-12s %d\n", "jp failures", c.jp_failures);
	if (c.has_pubkey) {
		sc_hex_encode(pub, c.pubkey, SC_PUBKEY_LEN);
		printf("%-12s %s\n", "public key", pub);
	}
	if (unblock[0])
		printf("%-12s %s\n", "pin unblock", unblock);
	return 0;
}

/* The books' invariants, then every stored outcome's seal with the ring
 * key it names: a receipt sealed before a rotation must still verify. */
static int cmd_check(const struct srv_config *cfg)
{
	struct srv_ring ring;
	struct srv_db db;
	char err[512];
	size_t sealed = 0;
	int rc;

	if (srv_ring_load(&ring, cfg, err, sizeof(err)) != 0)
		return fail("%s", err);
	if (open_db(cfg, &db) != 0) {
		srv_ring_free(&ring);
		return 1;
	}
	rc = srv_ledger_check(&db, err, sizeof(err));
	if (rc == 0)
		rc = srv_ledger_check_seals(&db, &ring, &sealed, err, sizeof(err));
	srv_db_close(&db);
	srv_ring_free(&ring);
	if (rc != 0)
		return fail("ledger check failed: %s", err);
	printf("ledger ok (%zu receipt seal%s verified)\n", sealed, sealed == 1 ? "" : "s");
	return 0;
}

/* The current receipt public key, as a terminal pins it. */
static int cmd_key_show(const struct srv_config *cfg)
{
	struct srv_ring ring;
	char hex[2 * SC_PUBKEY_LEN + 1], err[512];

	if (srv_ring_load(&ring, cfg, err, sizeof(err)) != 0)
		return fail("%s", err);
	sc_hex_encode(hex, ring.list.e[ring.list.n - 1].pub, SC_PUBKEY_LEN);
	srv_ring_free(&ring);
	printf("%s\n", hex);
	return 0;
}

/* One line a key: id, created (UTC), state, public key. */
static int cmd_key_list(const struct srv_config *cfg)
{
	struct srv_ring ring;
	char id[2 * SC_KEY_ID_LEN + 1], pub[2 * SC_PUBKEY_LEN + 1], when[32], err[512];

	if (srv_ring_load(&ring, cfg, err, sizeof(err)) != 0)
		return fail("%s", err);
	for (size_t i = 0; i < ring.list.n; i++) {
		time_t t = (time_t)ring.list.e[i].created;
		struct tm tm;

		sc_hex_encode(id, ring.id[i], SC_KEY_ID_LEN);
		sc_hex_encode(pub, ring.list.e[i].pub, SC_PUBKEY_LEN);
		if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(when, sizeof(when), "-");
		printf("%s  %s  %-7s  %s\n", id, when, i + 1 == ring.list.n ? "current" : "retired",
		       pub);
	}
	srv_ring_free(&ring);
	return 0;
}

/* A new current receipt key, signed by the one it replaces. The daemon
 * reads the ring at start, so a running one goes on sealing with the old
 * key (whose receipts keep verifying) until it is restarted. */
static int cmd_key_rotate(const struct srv_config *cfg)
{
	struct srv_ring ring;
	char id[2 * SC_KEY_ID_LEN + 1], err[512];
	size_t i;

	if (srv_ring_rotate(cfg, (uint64_t)time(NULL), &i, err, sizeof(err)) != 0)
		return fail("key rotate: %s", err);
	if (srv_ring_load(&ring, cfg, err, sizeof(err)) != 0)
		return fail("key rotate: the new ring does not load: %s", err);
	sc_hex_encode(id, ring.id[i], SC_KEY_ID_LEN);
	srv_ring_free(&ring);
	printf("receipt key %s is current; restart sigcard-server to seal with it\n", id);
	return 0;
}

/* Which admin options each command takes: any other given is a usage error
 * rather than silently ignored. */
enum {
	ADM_CURRENCY = 1 << 0, ADM_BALANCE = 1 << 1, ADM_CARD_ID = 1 << 2, ADM_ACCOUNT = 1 << 3,
	ADM_OUT = 1 << 4, ADM_RECORD = 1 << 5, ADM_TK_FILE = 1 << 6,
};

static int stray_options(const char *cmd, const struct admin_args *a, unsigned allowed)
{
	static const struct {
		unsigned bit;
		const char *name;
	} opts[] = {
		{ADM_CURRENCY, "--currency"}, {ADM_BALANCE, "--balance"}, {ADM_CARD_ID, "--card-id"},
		{ADM_ACCOUNT, "--account"},   {ADM_OUT, "--out"},         {ADM_RECORD, "--record"},
		{ADM_TK_FILE, "--transport-key-file"},
	};
	const char *given[] = {a->currency, a->balance, a->card_id, a->account, a->out, a->record,
			       a->tk_file};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (given[i] && !(allowed & opts[i].bit))
			return usage_fail("%s does not take %s", cmd, opts[i].name);
	return 0;
}

/* The commands: words, arguments after them, options they take. */
static const struct admin_cmd {
	const char *what, *verb; /* verb NULL: a one-word command */
	int args;                /* words after the command's own */
	const char *arg_name;
	unsigned options;
} admin_cmds[] = {
	{"init", NULL, 0, NULL, 0},
	{"check", NULL, 0, NULL, 0},
	{"key", "show", 0, NULL, 0},
	{"key", "list", 0, NULL, 0},
	{"key", "rotate", 0, NULL, 0},
	{"account", "create", 1, "ID", ADM_CURRENCY | ADM_BALANCE},
	{"account", "credit", 2, "ID and AMOUNT", 0},
	{"account", "show", 1, "ID", 0},
	{"card", "prepare", 0, NULL, ADM_ACCOUNT | ADM_CARD_ID | ADM_OUT | ADM_TK_FILE},
	{"card", "enrol", 0, NULL, ADM_RECORD},
	{"card", "block", 1, "CARD_ID", 0},
	{"card", "unblock", 1, "CARD_ID", 0},
	{"card", "unblock-pin", 1, "CARD_ID", 0},
	{"card", "show", 1, "CARD_ID", 0},
};

int srv_admin(const struct srv_config *cfg, int argc, char **argv, const char *opt_currency,
	      const char *opt_balance, const char *opt_card_id, const char *opt_account,
	      const char *opt_out, const char *opt_record, const char *opt_tk_file)
{
	const struct admin_args a = {opt_currency, opt_balance, opt_card_id, opt_account, opt_out,
				     opt_record, opt_tk_file};
	const char *what = argc > 0 ? argv[0] : "";
	const char *verb = argc > 1 ? argv[1] : "";
	const struct admin_cmd *c = NULL;
	char name[32];
	int words;

	for (size_t i = 0; i < sizeof(admin_cmds) / sizeof(admin_cmds[0]) && !c; i++)
		if (!strcmp(what, admin_cmds[i].what) &&
		    (!admin_cmds[i].verb || !strcmp(verb, admin_cmds[i].verb)))
			c = &admin_cmds[i];
	if (!c) {
		int known = !strcmp(what, "account") || !strcmp(what, "card") || !strcmp(what, "key");
		return usage_fail("unknown command '%s%s%s' (see --help)", what,
				  known && argc > 1 ? " " : "", known ? verb : "");
	}
	words = c->verb ? 2 : 1;
	snprintf(name, sizeof(name), "%s%s%s", c->what, c->verb ? " " : "", c->verb ? c->verb : "");
	if (argc < words + c->args)
		return usage_fail("%s needs %s (see --help)", name, c->arg_name);
	if (argc > words + c->args)
		return usage_fail("%s: unexpected argument '%s' (see --help)", name,
				  argv[words + c->args]);
	if (stray_options(name, &a, c->options) != 0)
		return 2;

	if (!strcmp(name, "init"))
		return cmd_init(cfg);
	if (!strcmp(name, "check"))
		return cmd_check(cfg);
	if (!strcmp(name, "key show"))
		return cmd_key_show(cfg);
	if (!strcmp(name, "key list"))
		return cmd_key_list(cfg);
	if (!strcmp(name, "key rotate"))
		return cmd_key_rotate(cfg);
	if (!strcmp(name, "account create"))
		return cmd_account_create(cfg, argv[2], &a);
	if (!strcmp(name, "account credit"))
		return cmd_account_credit(cfg, argv[2], argv[3]);
	if (!strcmp(name, "account show"))
		return cmd_account_show(cfg, argv[2]);
	if (!strcmp(name, "card prepare"))
		return cmd_card_prepare(cfg, &a);
	if (!strcmp(name, "card enrol"))
		return cmd_card_enrol(cfg, &a);
	if (!strcmp(name, "card block"))
		return cmd_card_status(cfg, argv[2], CARD_BLOCKED);
	if (!strcmp(name, "card unblock"))
		return cmd_card_status(cfg, argv[2], CARD_ACTIVE);
	if (!strcmp(name, "card unblock-pin"))
		return cmd_card_unblock_pin(cfg, argv[2]);
	return cmd_card_show(cfg, argv[2]);
}
