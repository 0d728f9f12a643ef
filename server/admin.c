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
#include <unistd.h>
#include <jansson.h>
#include "common/currency.h"
#include "common/hex.h"
#include "server.h"

struct admin_args {
	const char *currency, *balance, *card_id, *account, *out, *record;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sigcard-server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int open_db(const struct srv_config *cfg, struct srv_db *db)
{
	char err[512];

	if (srv_ledger_present(cfg->db_path, err, sizeof(err)) != 0) /* only init creates one */
		return fail("%s", err);
	if (srv_db_open(db, cfg->db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0)
		return fail("%s", err);
	return 0;
}

static int parse_card_id(const char *hex, uint8_t id[SC_CARD_ID_LEN])
{
	if (!hex || strlen(hex) != 2 * SC_CARD_ID_LEN ||
	    sc_hex_decode(id, SC_CARD_ID_LEN, hex) != SC_CARD_ID_LEN)
		return fail("a card id is %u hex digits, not '%s'", 2 * SC_CARD_ID_LEN,
			    hex ? hex : "");
	return 0;
}

static int cmd_init(const struct srv_config *cfg)
{
	struct srv_db db;
	char err[512];

	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST)
		return fail("cannot create %s: %s", cfg->data_dir, strerror(errno));
	if (access(cfg->master_key_path, F_OK) == 0 || access(cfg->db_path, F_OK) == 0)
		return fail("%s already holds an issuer (master key or database exists);"
			    " refusing to overwrite it", cfg->data_dir);
	if (srv_master_key_create(cfg->master_key_path, err, sizeof(err)) != 0)
		return fail("%s", err);
	if (access(cfg->receipt_key_path, F_OK) != 0 &&
	    srv_receipt_key_create(cfg->receipt_key_path, err, sizeof(err)) != 0)
		return fail("%s", err);
	if (srv_db_open(&db, cfg->db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0)
		return fail("%s", err);
	srv_db_close(&db);
	printf("database     %s\nmaster key   %s\nreceipt key  %s\n", cfg->db_path,
	       cfg->master_key_path, cfg->receipt_key_path);
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
		return fail("account create needs --currency (e.g. EUR)");
	cur = sc_currency_by_alpha(a->currency);
	if (!cur)
		return fail("unknown currency '%s'", a->currency);
	if (a->balance && sc_amount_parse(a->balance, cur->numeric, &opening) != 0)
		return fail("'%s' is not an amount in %s (at most %u decimals)", a->balance,
			    cur->alpha, cur->exponent);
	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_account_create(&db, id, cur->numeric, opening, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0)
		return fail("%s", err);
	printf("account %s created\n", id);
	return 0;
}

static int cmd_account_show(const struct srv_config *cfg, const char *id)
{
	struct srv_account acct;
	struct srv_db db;
	int rc;

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

/* Writes the perso file the card emulator reads, mode 0600: it holds K_card. */
static int write_perso(const char *path, const uint8_t id[SC_CARD_ID_LEN], const char *account,
		       const uint8_t k[SC_KCARD_LEN])
{
	char idhex[2 * SC_CARD_ID_LEN + 1], khex[2 * SC_KCARD_LEN + 1];
	json_t *o;
	char *text;
	int fd, rc = 0;
	size_t n;

	sc_hex_encode(idhex, id, SC_CARD_ID_LEN);
	sc_hex_encode(khex, k, SC_KCARD_LEN);
	o = json_pack("{s:s,s:s,s:s}", "card_id", idhex, "account", account, "k_card", khex);
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	sc_wipe(khex, sizeof(khex));
	json_decref(o); /* jansson does not wipe: the copy it held is gone with the heap page */
	if (!text)
		return fail("out of memory");
	n = strlen(text);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = fail("cannot create %s: %s", path, strerror(errno));
	} else {
		if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) != 0)
			rc = fail("cannot write %s: %s", path, strerror(errno));
		close(fd);
		if (rc)
			unlink(path);
	}
	sc_wipe(text, n);
	free(text);
	return rc;
}

static int cmd_card_prepare(const struct srv_config *cfg, const struct admin_args *a)
{
	uint8_t id[SC_CARD_ID_LEN], master[SC_MASTER_KEY_LEN], k[SC_KCARD_LEN];
	char err[512], hex[2 * SC_CARD_ID_LEN + 1];
	struct srv_db db;
	int rc;

	if (!a->account || !a->out)
		return fail("card prepare needs --account ID and --out FILE");
	if (a->card_id ? parse_card_id(a->card_id, id) != 0 : srv_random(id, sizeof(id)) != 0)
		return 1;
	if (srv_master_key_load(cfg->master_key_path, master, err, sizeof(err)) != 0)
		return fail("%s", err);
	rc = sc_kcard_derive(master, id, k);
	sc_wipe(master, sizeof(master));
	if (rc != 0)
		return fail("cannot derive K_card");
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
		return fail("%s", err[0] ? err : "cannot lock the database");
	}
	rc = write_perso(a->out, id, a->account, k);
	sc_wipe(k, sizeof(k));
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
		return fail("card enrol needs --record FILE (the card's exported record)");
	o = json_load_file(a->record, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail("%s: %s (line %d)", a->record, jerr.text, jerr.line);
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:s,s:s,s:s}", "card_id", &idhex, "account",
			   &account, "public_key", &pubhex) != 0) {
		json_decref(o);
		return fail("%s: %s", a->record, jerr.text);
	}
	if (parse_card_id(idhex, id) != 0 || strlen(pubhex) != 2 * SC_PUBKEY_LEN ||
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

	if (parse_card_id(hex, id) != 0 || open_db(cfg, &db) != 0)
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

	if (parse_card_id(hex, id) != 0 || open_db(cfg, &db) != 0)
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

	if (parse_card_id(hex, id) != 0 || open_db(cfg, &db) != 0)
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

static int cmd_check(const struct srv_config *cfg)
{
	struct srv_db db;
	char err[512];
	int rc;

	if (open_db(cfg, &db) != 0)
		return 1;
	rc = srv_ledger_check(&db, err, sizeof(err));
	srv_db_close(&db);
	if (rc != 0)
		return fail("ledger check failed: %s", err);
	printf("ledger ok\n");
	return 0;
}

static int cmd_key_show(const struct srv_config *cfg)
{
	uint8_t pub[SC_PUBKEY_LEN];
	char hex[2 * SC_PUBKEY_LEN + 1], err[512];
	EVP_PKEY *k = srv_receipt_key_load(cfg->receipt_key_path, err, sizeof(err));

	if (!k)
		return fail("%s", err);
	if (srv_pubkey_export(k, pub) != 0) {
		EVP_PKEY_free(k);
		return fail("cannot export the receipt public key");
	}
	EVP_PKEY_free(k);
	sc_hex_encode(hex, pub, sizeof(pub));
	printf("%s\n", hex);
	return 0;
}

int srv_admin(const struct srv_config *cfg, int argc, char **argv, const char *opt_currency,
	      const char *opt_balance, const char *opt_card_id, const char *opt_account,
	      const char *opt_out, const char *opt_record)
{
	const struct admin_args a = {opt_currency, opt_balance, opt_card_id, opt_account, opt_out,
				     opt_record};
	const char *what = argc > 0 ? argv[0] : "";
	const char *verb = argc > 1 ? argv[1] : "";

#define ARGS(n) do { if (argc != (n)) { fail("usage: see sigcard-server --help"); return 2; } } while (0)
	if (!strcmp(what, "init")) {
		ARGS(1);
		return cmd_init(cfg);
	}
	if (!strcmp(what, "check")) {
		ARGS(1);
		return cmd_check(cfg);
	}
	if (!strcmp(what, "key") && !strcmp(verb, "show")) {
		ARGS(2);
		return cmd_key_show(cfg);
	}
	if (!strcmp(what, "account") && !strcmp(verb, "create")) {
		ARGS(3);
		return cmd_account_create(cfg, argv[2], &a);
	}
	if (!strcmp(what, "account") && !strcmp(verb, "show")) {
		ARGS(3);
		return cmd_account_show(cfg, argv[2]);
	}
	if (!strcmp(what, "card") && !strcmp(verb, "prepare")) {
		ARGS(2);
		return cmd_card_prepare(cfg, &a);
	}
	if (!strcmp(what, "card") && !strcmp(verb, "enrol")) {
		ARGS(2);
		return cmd_card_enrol(cfg, &a);
	}
	if (!strcmp(what, "card") && !strcmp(verb, "block")) {
		ARGS(3);
		return cmd_card_status(cfg, argv[2], CARD_BLOCKED);
	}
	if (!strcmp(what, "card") && !strcmp(verb, "unblock")) {
		ARGS(3);
		return cmd_card_status(cfg, argv[2], CARD_ACTIVE);
	}
	if (!strcmp(what, "card") && !strcmp(verb, "unblock-pin")) {
		ARGS(3);
		return cmd_card_unblock_pin(cfg, argv[2]);
	}
	if (!strcmp(what, "card") && !strcmp(verb, "show")) {
		ARGS(3);
		return cmd_card_show(cfg, argv[2]);
	}
#undef ARGS
	fail("unknown command '%s%s%s' (see --help)", what, argc > 1 ? " " : "", verb);
	return 2;
}
