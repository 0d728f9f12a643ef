/* The command line of "sigcard-terminal pay": every option checked here,
 * before a card or a server is touched, with a message that names the
 * option and says what was expected. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/currency.h"
#include "common/tx.h"
#include "terminal/terminal.h"

void term_pay_usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-terminal pay --amount AMOUNT --currency CUR --to ACCOUNT\n"
"           --payee-name NAME --card CARRIER --server SERVER --terminal-id ID\n"
"           [--scheme enc|enc-rand|enc-digest]\n"
"           [--jp scan --camera CAMERA | --jp contactless --contactless CARRIER]\n"
"           [--receipt-key FILE] [--timeout SECONDS] [--retries N]\n"
"           [--tls DIR | --server-ca FILE --cert FILE --key FILE]\n"
"           [--server-name NAME] [--insecure-plain-tcp]\n"
"       sigcard-terminal pay --daemon unix:PATH --amount AMOUNT --currency CUR\n"
"           --to ACCOUNT --payee-name NAME [--scheme S] [--timeout SECONDS]\n"
"\n"
"Pays AMOUNT from the account of the card in CARRIER to ACCOUNT: gets a\n"
"challenge from SERVER, has the card sign the transaction, lets the card\n"
"leave the reader, obtains the joint password the holder releases on the\n"
"card, submits, checks the server's signed receipt and prints it.\n"
"\n"
"  --amount AMOUNT      decimal, at most the currency's minor digits (12.34)\n"
"  --currency CUR       ISO 4217 letters (EUR)\n"
"  --to ACCOUNT         the payee's account id (A-Z, 0-9, '-'; up to %u)\n"
"  --payee-name NAME    the payee's name, shown on the card (up to %u bytes)\n"
"  --card CARRIER       the card's slot: unix:PATH (the emulated card's\n"
"                       socket), pcsc:READER NAME (PC/SC, through pcscd) or\n"
"                       nfc:CONNSTRING (a libnfc reader, e.g.\n"
"                       nfc:pn532_uart:/dev/ttyUSB0)\n"
"  --server SERVER      unix:PATH or HOST:PORT of sigcard-server; HOST:PORT\n"
"                       is TLS 1.3 with this terminal's certificate:\n"
"  --tls DIR            ca.pem, terminal.pem and terminal.key, as\n"
"                       'sigcard-server terminal enrol' wrote them\n"
"  --server-ca FILE     the issuer's CA, the only one the server's\n"
"                       certificate may chain to (overrides DIR/ca.pem)\n"
"  --cert FILE          this terminal's certificate (DIR/terminal.pem)\n"
"  --key FILE           its key (DIR/terminal.key)\n"
"  --server-name NAME   the name the server's certificate must carry\n"
"                       (default: HOST of --server)\n"
"  --insecure-plain-tcp  HOST:PORT without TLS (a server started with the\n"
"                       same option: tests and local demos only)\n"
"  --terminal-id ID     this terminal's id (up to %u characters)\n"
"  --scheme S           how the card seals the password: enc, enc-rand\n"
"                       (default) or enc-digest\n"
"  --jp scan            read the password from the card's screen (default);\n"
"  --camera CAMERA        file:PATH (a PNG of the screen, re-read) or\n"
"                         v4l2:/dev/videoN (a real camera through zbar;\n"
"                         untested on the build machine, which has none)\n"
"  --jp contactless     read it over the card's contactless interface;\n"
"  --contactless CARRIER  unix:PATH of the card's contactless socket, or\n"
"                         nfc:CONNSTRING of a libnfc reader\n"
"  --receipt-key FILE   the server's receipt public key: PEM, or the 130 hex\n"
"                       digits of 'sigcard-server key show'; without it the\n"
"                       key is asked from the server (weaker: pin it)\n"
"  --timeout SECONDS    how long the holder has to confirm (default %d)\n"
"  --retries N          resends of the same submission if the server cannot\n"
"                       be reached (default 3; never a second transfer)\n"
"  --daemon unix:PATH   let the terminal daemon at PATH pay (it has the card,\n"
"                       server, terminal id and password settings; see\n"
"                       sigcard-terminal daemon --help)\n"
"\n"
"Exit status: 0 paid; 1 local failure; 2 bad usage; 3 no card; 4 card removed\n"
"during a command; 5 card error; 6 cancelled, wrong PIN or timeout on the\n"
"card; 7 server unreachable; 8 refused by the server; 9 receipt does not\n"
"verify; 10 TLS with the server failed (its certificate or name, or ours\n"
"refused: expired, revoked, from another CA).\n",
		SC_ACCOUNT_MAX, SC_PAYEE_NAME_MAX, SC_TERMINAL_ID_MAX, TERM_DEFAULT_TIMEOUT_S);
}

enum {
	OPT_AMOUNT = 256, OPT_CURRENCY, OPT_TO, OPT_PAYEE_NAME, OPT_CARD, OPT_SERVER,
	OPT_TERMINAL_ID, OPT_SCHEME, OPT_JP, OPT_CAMERA, OPT_CONTACTLESS, OPT_RECEIPT_KEY,
	OPT_TIMEOUT, OPT_RETRIES, OPT_HELP,
	OPT_TLS, OPT_SERVER_CA, OPT_CERT, OPT_KEY, OPT_SERVER_NAME, OPT_INSECURE_PLAIN_TCP,
};

static const struct option pay_options[] = {
	{"amount", required_argument, NULL, OPT_AMOUNT},
	{"currency", required_argument, NULL, OPT_CURRENCY},
	{"to", required_argument, NULL, OPT_TO},
	{"payee-name", required_argument, NULL, OPT_PAYEE_NAME},
	{"card", required_argument, NULL, OPT_CARD},
	{"server", required_argument, NULL, OPT_SERVER},
	{"terminal-id", required_argument, NULL, OPT_TERMINAL_ID},
	{"scheme", required_argument, NULL, OPT_SCHEME},
	{"jp", required_argument, NULL, OPT_JP},
	{"camera", required_argument, NULL, OPT_CAMERA},
	{"contactless", required_argument, NULL, OPT_CONTACTLESS},
	{"receipt-key", required_argument, NULL, OPT_RECEIPT_KEY},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"help", no_argument, NULL, OPT_HELP},
	{"tls", required_argument, NULL, OPT_TLS},
	{"server-ca", required_argument, NULL, OPT_SERVER_CA},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"server-name", required_argument, NULL, OPT_SERVER_NAME},
	{"insecure-plain-tcp", no_argument, NULL, OPT_INSECURE_PLAIN_TCP},
	{NULL, 0, NULL, 0},
};

/* A whole decimal number in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int term_option_is_fixed(const char *name)
{
	static const char *const fixed[] = {"--card", "--server", "--terminal-id", "--jp",
					    "--camera", "--contactless", "--receipt-key",
					    "--retries", "--tls", "--server-ca", "--cert", "--key",
					    "--server-name", "--insecure-plain-tcp"};
	size_t n = strcspn(name, "=");
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strlen(fixed[i]) == n && strncmp(name, fixed[i], n) == 0)
			return 1;
	return 0;
}

int term_server_spec_valid(const char *s)
{
	if (strncmp(s, "unix:", 5) == 0)
		return s[5] != '\0' && strlen(s + 5) < 108;
	const char *colon = strrchr(s, ':');
	int port;
	if (colon == NULL || colon == s || (size_t)(colon - s) > 253)
		return 0;
	return parse_int(colon + 1, 1, 65535, &port) == 0;
}

static int usage_err(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int usage_err(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = term_verrf(err, cap, TERM_EXIT_USAGE, fmt, ap);
	va_end(ap);
	return rc;
}

static int copy_checked(char *dst, size_t dcap, const char *src)
{
	size_t n = strlen(src);
	if (n >= dcap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int term_pay_opts_parse(struct term_pay_opts *o, int argc, char **argv, char *err, size_t cap)
{
	const char *amount = NULL, *currency = NULL, *to = NULL, *name = NULL, *tid = NULL;
	const char *scheme = NULL, *jp = NULL;
	memset(o, 0, sizeof *o);
	o->scheme = SC_SCHEME_ENC_RAND;
	o->jp_source = TERM_JP_SCAN;
	o->timeout_s = TERM_DEFAULT_TIMEOUT_S;
	o->card_timeout_ms = 15000;
	o->retries = 3;

	optind = 0; /* GNU: start over, so the parser can run more than once */
	opterr = 0; /* our own messages, naming the option */
	int c;
	while ((c = getopt_long(argc, argv, "+:", pay_options, NULL)) != -1) {
		switch (c) {
		case OPT_AMOUNT: amount = optarg; break;
		case OPT_CURRENCY: currency = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_PAYEE_NAME: name = optarg; break;
		case OPT_CARD: o->card = optarg; break;
		case OPT_SERVER: o->server = optarg; break;
		case OPT_TERMINAL_ID: tid = optarg; break;
		case OPT_SCHEME: scheme = optarg; break;
		case OPT_JP: jp = optarg; break;
		case OPT_CAMERA: o->camera = optarg; break;
		case OPT_CONTACTLESS: o->contactless = optarg; break;
		case OPT_RECEIPT_KEY: o->receipt_key = optarg; break;
		case OPT_TLS: o->tls.dir = optarg; break;
		case OPT_SERVER_CA: o->tls.server_ca = optarg; break;
		case OPT_CERT: o->tls.cert = optarg; break;
		case OPT_KEY: o->tls.key = optarg; break;
		case OPT_SERVER_NAME: o->tls.server_name = optarg; break;
		case OPT_INSECURE_PLAIN_TCP: o->tls.insecure_plain_tcp = 1; break;
		case OPT_TIMEOUT:
			if (parse_int(optarg, 1, 3600, &o->timeout_s) != 0)
				return usage_err(err, cap, "--timeout '%s': expected whole seconds"
						 " from 1 to 3600", optarg);
			break;
		case OPT_RETRIES:
			if (parse_int(optarg, 0, 100, &o->retries) != 0)
				return usage_err(err, cap, "--retries '%s': expected 0 to 100",
						 optarg);
			break;
		case OPT_HELP:
			o->help = 1;
			return 0;
		case ':':
			return usage_err(err, cap, "%s: a value is needed", argv[optind - 1]);
		default:
			return usage_err(err, cap, "%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_err(err, cap, "unexpected argument '%s'", argv[optind]);

	static const char *const required[] = {"--amount", "--currency", "--to",
					      "--payee-name", "--card", "--server",
					      "--terminal-id"};
	const char *given[] = {amount, currency, to, name, o->card, o->server, tid};
	for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
		if (given[i] == NULL)
			return usage_err(err, cap, "%s is required (see pay --help)",
					 required[i]);

	const struct sc_currency *cur = sc_currency_by_alpha(currency);
	if (cur == NULL)
		return usage_err(err, cap, "--currency '%s': not an ISO 4217 code this build"
				 " knows", currency);
	o->currency = cur->numeric;
	memcpy(o->currency_alpha, cur->alpha, sizeof o->currency_alpha);
	if (sc_amount_parse(amount, cur->numeric, &o->amount) != 0 || o->amount == 0) {
		char what[96];
		snprintf(what, sizeof what, "a positive amount in %s with at most %u decimal(s)",
			 cur->alpha, (unsigned)cur->exponent);
		return usage_err(err, cap, "--amount '%s': expected %s", amount, what);
	}
	if (sc_account_id_valid(to) != 0 || copy_checked(o->payee, sizeof o->payee, to) != 0)
		return usage_err(err, cap, "--to '%s': an account id is 1..34 of A-Z, 0-9 and"
				 " '-', not starting with '-'", to);
	if (sc_display_text_valid((const uint8_t *)name, strlen(name)) != 0 ||
	    copy_checked(o->payee_name, sizeof o->payee_name, name) != 0)
		return usage_err(err, cap, "--payee-name '%s': expected 1..48 bytes of UTF-8"
				 " text, no control characters, no space at either end", name);
	if (sc_terminal_id_valid(tid) != 0 || copy_checked(o->terminal_id, sizeof o->terminal_id, tid))
		return usage_err(err, cap, "--terminal-id '%s': expected 1..16 printable ASCII"
				 " characters without space", tid);
	if (scheme != NULL) {
		int s = sc_scheme_parse(scheme);
		if (s < 0)
			return usage_err(err, cap, "--scheme '%s': expected enc, enc-rand or"
					 " enc-digest", scheme);
		o->scheme = (uint8_t)s;
	}
	if (jp == NULL || strcmp(jp, "scan") == 0)
		o->jp_source = TERM_JP_SCAN;
	else if (strcmp(jp, "contactless") == 0)
		o->jp_source = TERM_JP_CONTACTLESS;
	else
		return usage_err(err, cap, "--jp '%s': expected scan or contactless", jp);
	if (o->jp_source == TERM_JP_SCAN && o->camera == NULL)
		return usage_err(err, cap, "--jp scan needs --camera file:PATH or"
				 " v4l2:/dev/videoN");
	if (o->jp_source == TERM_JP_SCAN && o->contactless != NULL)
		return usage_err(err, cap, "--contactless goes with --jp contactless");
	if (o->jp_source == TERM_JP_CONTACTLESS && o->contactless == NULL)
		return usage_err(err, cap, "--jp contactless needs --contactless unix:PATH or"
				 " nfc:CONNSTRING");
	if (o->jp_source == TERM_JP_CONTACTLESS && o->camera != NULL)
		return usage_err(err, cap, "--camera goes with --jp scan");
	if (o->camera != NULL && strncmp(o->camera, "file:", 5) != 0 &&
	    strncmp(o->camera, "v4l2:", 5) != 0)
		return usage_err(err, cap, "--camera '%s': expected file:PATH or"
				 " v4l2:/dev/videoN", o->camera);
	if (strncmp(o->card, "unix:", 5) != 0 && strncmp(o->card, "pcsc:", 5) != 0 &&
	    strncmp(o->card, "nfc:", 4) != 0)
		return usage_err(err, cap, "--card '%s': expected unix:PATH, pcsc:READER"
				 " NAME or nfc:CONNSTRING", o->card);
	if (o->contactless != NULL && strncmp(o->contactless, "unix:", 5) != 0 &&
	    strncmp(o->contactless, "nfc:", 4) != 0)
		return usage_err(err, cap, "--contactless '%s': expected unix:PATH or"
				 " nfc:CONNSTRING", o->contactless);
	if (!term_server_spec_valid(o->server))
		return usage_err(err, cap, "--server '%s': expected unix:PATH or HOST:PORT"
				 " (port 1..65535)", o->server);
	return term_tls_opts_valid(o->server, &o->tls, err, cap);
}
