/* srvclient: a test terminal and software card for sigcard-server's
 * integration tests. It personalises a soft card from the issuer's perso
 * file (an OpenSSL key pair; the record it exports is what `card enrol`
 * imports), builds and signs submissions, sends them, and runs load.
 *
 *   srvclient card --perso PERSO --key KEY.pem --export RECORD
 *   srvclient pay  --server ADDR --perso PERSO --key KEY --atc N --payee ID
 *                  --amount MINOR --currency NUM [--scheme S] [--terminal T]
 *                  [--wrong-jp] [--save FILE] [--pause] [--submit-to ADDR]
 *                  prints the result name; --pause: after the challenge,
 *                  prints "challenged" and waits for a line on stdin
 *                  before submitting on the same connection (a holder
 *                  confirming on the card meanwhile); --submit-to: the
 *                  SUBMIT goes to another server (of the same ledger) than
 *                  the challenge came from; --no-send: saved (--save),
 *                  never sent, for a test to send it where it races
 *   srvclient send --server ADDR --file FILE       resends a saved SUBMIT
 *   srvclient raw  --server ADDR HEX               sends a raw body
 *   srvclient key  --server ADDR                   prints the receipt key
 *   srvclient load --server ADDR --cards N --dir DIR --count M --amount MINOR
 *                  --payee ID --currency NUM [--from-atc N]
 *                  cards DIR/cardK.{perso.json,key.pem}; one thread per card;
 *                  appends "card atc hexbody" to DIR/sent before each SUBMIT
 *                  and "card atc transfer_id resulthex" to DIR/acked after
 *                  each OK
 *   srvclient check-acked --server ADDR --dir DIR  resends everything in
 *                  DIR/sent: acked ones must come back with their transfer
 *                  id and the very RESULT bytes acknowledged; prints
 *                  "resent=N acked_ok=N new=N bad=N"
 * Exit status: 0 if the server said OK (or the check passed), 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "common/hex.h"
#include "common/submit.h"
#include "tests/support/server_client.h"
#include "tests/support/soft_card.h"

static const char *submit_to = "";
static int no_send;
static const char *server = "", *perso = "", *keyfile = "", *export_path = "", *payee = "";
static const char *terminal = "T-INT", *save = "", *file = "", *dir = "";
static uint32_t atc, from_atc = 1;
static uint64_t amount;
static uint16_t currency = 978;
static uint8_t scheme = SC_SCHEME_ENC;
static int wrong_jp, pause_after_challenge, ncards = 1, count = 1;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("srvclient: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* The perso file's card id and K_card, and the account. */
static void read_perso(const char *path, uint8_t id[SC_CARD_ID_LEN], uint8_t k[SC_KCARD_LEN],
		       char account[SC_ACCOUNT_MAX + 1])
{
	json_error_t e;
	json_t *o = json_load_file(path, 0, &e);
	const char *idh, *acct, *kh;

	if (!o || json_unpack(o, "{s:s,s:s,s:s}", "card_id", &idh, "account", &acct, "k_card",
			      &kh) != 0)
		die("%s: not a perso file", path);
	if (sc_hex_decode(id, SC_CARD_ID_LEN, idh) != SC_CARD_ID_LEN ||
	    sc_hex_decode(k, SC_KCARD_LEN, kh) != SC_KCARD_LEN)
		die("%s: bad hex", path);
	snprintf(account, SC_ACCOUNT_MAX + 1, "%s", acct);
	json_decref(o);
}

static void load_card(struct soft_card *c, const char *perso_path, const char *key_path)
{
	uint8_t id[SC_CARD_ID_LEN], k[SC_KCARD_LEN];
	char account[SC_ACCOUNT_MAX + 1];
	size_t n = 0;
	FILE *f;

	read_perso(perso_path, id, k, account);
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, sizeof(id));
	memcpy(c->kcard, k, sizeof(k));
	snprintf(c->account, sizeof(c->account), "%s", account);
	f = fopen(key_path, "r");
	if (!f || !(c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		die("%s: no private key", key_path);
	fclose(f);
	EVP_PKEY_get_octet_string_param(c->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, c->pubkey,
					sizeof(c->pubkey), &n);
}

static int cmd_card(void)
{
	uint8_t id[SC_CARD_ID_LEN], k[SC_KCARD_LEN];
	char account[SC_ACCOUNT_MAX + 1], idh[17], pub[2 * SC_PUBKEY_LEN + 1];
	struct soft_card c;
	FILE *f;
	int fd;

	read_perso(perso, id, k, account);
	if (soft_card_new(&c, id, k, account) != 0)
		die("cannot make a key pair");
	fd = open(keyfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || !PEM_write_PrivateKey(f, c.key, NULL, NULL, 0, NULL, NULL))
		die("cannot write %s", keyfile);
	fclose(f);
	sc_hex_encode(idh, id, sizeof(id));
	sc_hex_encode(pub, c.pubkey, sizeof(c.pubkey));
	f = fopen(export_path, "w");
	if (!f)
		die("cannot write %s", export_path);
	fprintf(f, "{\"card_id\":\"%s\",\"account\":\"%s\",\"public_key\":\"%s\"}\n", idh, account,
		pub);
	fclose(f);
	soft_card_free(&c);
	return 0;
}

/* Builds a SUBMIT for card c at a over a fresh challenge on fd. */
static int build(int fd, struct soft_card *c, uint32_t a, int bad_jp, uint8_t *body, size_t *len)
{
	struct sc_tx tx;
	uint8_t txbuf[SC_TX_MAX_LEN];
	struct sc_submit s;
	char jp[SC_JP_DIGITS + 1];
	int code, n;

	memset(&tx, 0, sizeof(tx));
	tx.version = SC_TX_VERSION;
	tx.scheme = scheme;
	tx.amount = amount;
	tx.currency = currency;
	snprintf(tx.payer, sizeof(tx.payer), "%s", c->account);
	snprintf(tx.payee, sizeof(tx.payee), "%s", payee);
	snprintf(tx.payee_name, sizeof(tx.payee_name), "Payee %s", payee);
	snprintf(tx.terminal_id, sizeof(tx.terminal_id), "%s", terminal);
	tx.time = (uint64_t)time(NULL);
	if (sclient_challenge(fd, terminal, tx.challenge, &code) != 0)
		return -1;
	if (pause_after_challenge) {
		char line[16];

		printf("challenged\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return -1;
	}
	soft_card_jp(jp);
	if (soft_card_sign(c, &tx, a, jp, txbuf, &s) != 0)
		return -1;
	if (bad_jp)
		s.jp[7] = (char)('0' + (s.jp[7] - '0' + 1) % 10);
	n = sc_submit_encode(body, SC_SUBMIT_MSG_MAX, &s);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int report(int code, const struct sc_result_msg *m)
{
	struct sc_receipt r;

	if (code < 0) {
		printf("NO_ANSWER\n");
		return 1;
	}
	if (code == SC_RES_OK && sc_receipt_decode(&r, m->receipt, m->receipt_len) == 0)
		printf("OK transfer=%llu counter=%llu\n", (unsigned long long)r.transfer_id,
		       (unsigned long long)r.counter);
	else if (m->receipt && sc_receipt_decode(&r, m->receipt, m->receipt_len) == 0)
		printf("%s counter=%llu %s\n", sc_result_name(code), (unsigned long long)r.counter,
		       r.reason); /* a final decline, sealed */
	else
		printf("%s %.*s\n", sc_result_name(code), (int)m->text_len, m->text ? m->text : "");
	return code == SC_RES_OK ? 0 : 1;
}

static int connect_or_die(void)
{
	int fd = sclient_connect(server);

	if (fd < 0)
		die("cannot connect to %s: %s", server, strerror(errno));
	return fd;
}

static int cmd_pay(void)
{
	uint8_t body[SC_SUBMIT_MSG_MAX], reply[SC_RESULT_MSG_MAX];
	struct sc_result_msg m;
	struct soft_card c;
	size_t len, rlen;
	int fd = connect_or_die(), code;

	load_card(&c, perso, keyfile);
	if (build(fd, &c, atc, wrong_jp, body, &len) != 0)
		die("cannot build the submission");
	if (*save) {
		FILE *f = fopen(save, "wb");

		if (!f || fwrite(body, 1, len, f) != len)
			die("cannot write %s", save);
		fclose(f);
	}
	if (no_send) {
		close(fd);
		soft_card_free(&c);
		return 0;
	}
	if (*submit_to) {
		close(fd);
		if ((fd = sclient_connect(submit_to)) < 0)
			die("cannot connect to %s: %s", submit_to, strerror(errno));
	}
	code = sclient_raw(fd, body, len, reply, &rlen, &m);
	close(fd);
	soft_card_free(&c);
	return report(code, &m);
}

static int cmd_send(void)
{
	uint8_t body[SC_SUBMIT_MSG_MAX + 1], reply[SC_RESULT_MSG_MAX];
	struct sc_result_msg m;
	size_t len, rlen;
	FILE *f = fopen(file, "rb");
	int fd, code;

	if (!f)
		die("cannot read %s", file);
	len = fread(body, 1, sizeof(body), f);
	fclose(f);
	fd = connect_or_die();
	code = sclient_raw(fd, body, len, reply, &rlen, &m);
	close(fd);
	return report(code, &m);
}

static int cmd_raw(const char *hex)
{
	uint8_t body[4096], reply[SC_RESULT_MSG_MAX];
	struct sc_result_msg m;
	size_t rlen;
	int n = sc_hex_decode(body, sizeof(body), hex), fd, code;

	if (n <= 0)
		die("not hex: %s", hex);
	fd = connect_or_die();
	code = sclient_raw(fd, body, (size_t)n, reply, &rlen, &m);
	close(fd);
	return report(code, &m);
}

static int cmd_key(void)
{
	uint8_t body[8], reply[128], pub[SC_PUBKEY_LEN];
	char hex[2 * SC_PUBKEY_LEN + 1];
	int n = sc_get_receipt_key_encode(body, sizeof(body)), fd = connect_or_die();

	if (sclient_send(fd, body, (size_t)n) != 0 ||
	    (n = sclient_recv(fd, reply, sizeof(reply))) <= 0 ||
	    sc_receipt_key_decode(reply, (size_t)n, pub) != 0)
		die("no receipt key from %s", server);
	close(fd);
	sc_hex_encode(hex, pub, sizeof(pub));
	printf("%s\n", hex);
	return 0;
}

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *sent_log, *acked_log;

static void log_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(FILE *f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&log_mu);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
	pthread_mutex_unlock(&log_mu);
}

static void *load_thread(void *arg)
{
	long k = (long)arg;
	char p[1024], kp[1024], idh[17], hex[2 * SC_SUBMIT_MSG_MAX + 1];
	char rhex[2 * SC_RESULT_MSG_MAX + 1];
	struct soft_card c;
	int fd = -1;

	snprintf(p, sizeof(p), "%s/card%ld.perso.json", dir, k);
	snprintf(kp, sizeof(kp), "%s/card%ld.key.pem", dir, k);
	load_card(&c, p, kp);
	sc_hex_encode(idh, c.id, sizeof(c.id));
	for (uint32_t a = from_atc; a < from_atc + (uint32_t)count; a++) {
		uint8_t body[SC_SUBMIT_MSG_MAX], reply[SC_RESULT_MSG_MAX];
		struct sc_result_msg m;
		struct sc_receipt r;
		size_t len, rlen;
		int code;

		if (fd < 0 && (fd = sclient_connect(server)) < 0)
			break; /* the server is gone: stop */
		if (build(fd, &c, a, 0, body, &len) != 0) {
			close(fd);
			fd = -1;
			break;
		}
		sc_hex_encode(hex, body, len);
		log_line(sent_log, "%s %u %s\n", idh, a, hex);
		code = sclient_raw(fd, body, len, reply, &rlen, &m);
		if (code == SC_RES_OK && sc_receipt_decode(&r, m.receipt, m.receipt_len) == 0) {
			sc_hex_encode(rhex, reply, rlen);
			log_line(acked_log, "%s %u %llu %s\n", idh, a, (unsigned long long)r.transfer_id,
				 rhex);
		}
		else if (code < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	soft_card_free(&c);
	return NULL;
}

static FILE *open_in_dir(const char *name, const char *mode)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, mode);
	if (!f)
		die("cannot open %s", p);
	return f;
}

static int cmd_load(void)
{
	pthread_t t[256];

	if (ncards < 1 || ncards > 256)
		die("--cards 1..256");
	sent_log = open_in_dir("sent", "a");
	acked_log = open_in_dir("acked", "a");
	for (long k = 0; k < ncards; k++)
		pthread_create(&t[k], NULL, load_thread, (void *)k);
	for (int k = 0; k < ncards; k++)
		pthread_join(t[k], NULL);
	fclose(sent_log);
	fclose(acked_log);
	return 0;
}

/* After a crash: every submission once more. An acknowledged one must come
 * back OK with the transfer id it had; an unacknowledged one either was
 * committed before the crash (OK, its receipt) or was not (OK, executed
 * now) — in both cases exactly one transfer exists for it afterwards. */
static int cmd_check_acked(void)
{
	char line[2 * SC_SUBMIT_MSG_MAX + 64], idh[17], hex[1024];
	char l2[2 * SC_RESULT_MSG_MAX + 64], acked_hex[sizeof(l2)]; /* %s fits: no longer than its line */
	char rhex[2 * SC_RESULT_MSG_MAX + 1];
	unsigned long long tid;
	unsigned a;
	long resent = 0, acked_ok = 0, fresh = 0, bad = 0;
	FILE *sent = open_in_dir("sent", "r"), *acked;
	int fd = connect_or_die();

	while (fgets(line, sizeof(line), sent)) {
		uint8_t body[SC_SUBMIT_MSG_MAX], reply[SC_RESULT_MSG_MAX];
		struct sc_result_msg m;
		struct sc_receipt r;
		size_t rlen;
		int n, code, was_acked = 0;
		char id2[17];
		unsigned a2;

		/* %1023s writes up to 1024 bytes: hex is sized for the width,
		 * not for the longest valid message (ASan caught the difference). */
		_Static_assert(sizeof(hex) > 2 * SC_SUBMIT_MSG_MAX, "hex holds a message");
		if (sscanf(line, "%16s %u %1023s", idh, &a, hex) != 3)
			continue;
		n = sc_hex_decode(body, sizeof(body), hex);
		if (n <= 0)
			continue;
		resent++;
		code = sclient_raw(fd, body, (size_t)n, reply, &rlen, &m);
		if (code != SC_RES_OK || sc_receipt_decode(&r, m.receipt, m.receipt_len) != 0) {
			fprintf(stderr, "card %s atc %u: %s\n", idh, a, sc_result_name(code));
			bad++;
			continue;
		}
		sc_hex_encode(rhex, reply, rlen);
		acked = open_in_dir("acked", "r");
		while (fgets(l2, sizeof(l2), acked)) {
			int f = sscanf(l2, "%16s %u %llu %s", id2, &a2, &tid, acked_hex);

			if (f < 3 || strcmp(id2, idh) || a2 != a)
				continue;
			was_acked = 1;
			/* The resend answers from the stored outcome: the
			 * bytes the terminal was given, not only its id. */
			if (tid == r.transfer_id && (f < 4 || !strcmp(acked_hex, rhex))) {
				acked_ok++;
			} else {
				fprintf(stderr, "card %s atc %u: not the RESULT acknowledged\n", idh, a);
				bad++;
			}
		}
		fclose(acked);
		if (!was_acked)
			fresh++;
	}
	fclose(sent);
	close(fd);
	printf("resent=%ld acked_ok=%ld new=%ld bad=%ld\n", resent, acked_ok, fresh, bad);
	return bad == 0 && resent > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'}, {"perso", required_argument, NULL, 'p'},
		{"key", required_argument, NULL, 'k'}, {"export", required_argument, NULL, 'e'},
		{"atc", required_argument, NULL, 'a'}, {"payee", required_argument, NULL, 'P'},
		{"amount", required_argument, NULL, 'm'}, {"currency", required_argument, NULL, 'c'},
		{"scheme", required_argument, NULL, 'S'}, {"terminal", required_argument, NULL, 't'},
		{"wrong-jp", no_argument, NULL, 'w'}, {"save", required_argument, NULL, 'o'},
		{"file", required_argument, NULL, 'f'}, {"dir", required_argument, NULL, 'D'},
		{"cards", required_argument, NULL, 'n'}, {"count", required_argument, NULL, 'N'},
		{"from-atc", required_argument, NULL, 'F'}, {"pause", no_argument, NULL, 'z'},
		{"submit-to", required_argument, NULL, 'u'}, {"no-send", no_argument, NULL, 'x'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'p': perso = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'e': export_path = optarg; break;
		case 'a': atc = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'P': payee = optarg; break;
		case 'm': amount = strtoull(optarg, NULL, 10); break;
		case 'c': currency = (uint16_t)atoi(optarg); break;
		case 'S': scheme = (uint8_t)sc_scheme_parse(optarg); break;
		case 't': terminal = optarg; break;
		case 'w': wrong_jp = 1; break;
		case 'z': pause_after_challenge = 1; break;
		case 'u': submit_to = optarg; break;
		case 'x': no_send = 1; break;
		case 'o': save = optarg; break;
		case 'f': file = optarg; break;
		case 'D': dir = optarg; break;
		case 'n': ncards = atoi(optarg); break;
		case 'N': count = atoi(optarg); break;
		case 'F': from_atc = (uint32_t)strtoul(optarg, NULL, 10); break;
		default: die("see the comment at the top of tests/tools/srvclient.c");
		}
	}
	if (optind >= argc)
		die("no command");
	cmd = argv[optind];
	if (!strcmp(cmd, "card"))
		return cmd_card();
	if (!strcmp(cmd, "pay"))
		return cmd_pay();
	if (!strcmp(cmd, "send"))
		return cmd_send();
	if (!strcmp(cmd, "raw") && optind + 1 < argc)
		return cmd_raw(argv[optind + 1]);
	if (!strcmp(cmd, "key"))
		return cmd_key();
	if (!strcmp(cmd, "load"))
		return cmd_load();
	if (!strcmp(cmd, "check-acked"))
		return cmd_check_acked();
	die("unknown command %s", cmd);
}
