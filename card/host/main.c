/* sigcard-card: the card emulator. Parses the command line, opens (or
 * makes) the flash image, boots the card core, opens its carriers and runs
 * the loop; or, with the personalise command, runs the issuer's
 * personalisation on the image and exits. See sigcard-card(1). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "hostlib/atomicfile.h"
#include "host.h"

struct options {
	const char *flash;
	const char *tk_file;
	const char *contact;
	const char *contactless;
	const char *vpcd;          /* NULL: no vpcd; "" : the default address */
	enum card_iface vpcd_iface;
	const char *nfc;           /* libnfc connstring, or NULL */
	const char *png;
	const char *control;
	int tty;                   /* 1 on, 0 off, -1 if the card is the terminal's
				    * foreground job (tty_is_foreground) */
	int foreground;
	int verbose;
	const char *seed;
	uint32_t confirm_timeout_ms; /* 0: the core's default */
	uint32_t reader_idle_s;    /* --reader-idle-timeout */
	const char *http;          /* --http [HOST:]PORT, or NULL */
	const char *http_token_file;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-card --flash PATH [options]\n"
"       sigcard-card --flash PATH [--transport-key-file FILE] personalise\n"
"                    --perso FILE --pin-file FILE [--export FILE]\n"
"       sigcard-card --flash PATH export-record [--export FILE]\n"
"       sigcard-card ctl --control PATH screen|press KEYS|wait SCREEN|status\n"
"       sigcard-card screen-png --png PATH < UART1-LINES\n"
"\n"
"The sigcard card emulator: the card core with a file-backed flash, a screen\n"
"(PNG and terminal window), a keypad, and its readers' carriers.\n"
"\n"
"  -f, --flash PATH               the card's flash image; made on first start\n"
"                                 (a new card, personalising, under the\n"
"                                 transport key)\n"
"  -k, --transport-key-file FILE  transport key: 32 hex digits in a file only\n"
"                                 its owner can read; without it the well-known\n"
"                                 test key is used, with a warning\n"
"  -c, --contact PATH             listen on a Unix socket as the contact slot\n"
"  -l, --contactless PATH         listen on a Unix socket as the contactless field\n"
"      --vpcd[=[HOST:]PORT]       dial pcscd's vpcd driver (default\n"
"                                 127.0.0.1:35963), redialling when pcscd restarts\n"
"      --vpcd-iface IFACE         card interface behind vpcd: contact (default)\n"
"                                 or contactless\n"
"      --nfc CONNSTRING           the contactless interface as an ISO 14443-4A\n"
"                                 card emulated by a PN532 through libnfc, e.g.\n"
"                                 pn532_uart:/dev/ttyUSB0\n"
"  -p, --png PATH                 write the screen as a PNG at every change\n"
"  -C, --control PATH             automation socket (docs/control-socket.md)\n"
"      --http [HOST:]PORT         serve the card's page: its screen live and a\n"
"                                 keypad (host 127.0.0.1 unless given); the\n"
"                                 page's address, with the keypad's token, is\n"
"                                 printed on stderr\n"
"      --http-token-file FILE     the keypad's token from FILE (mode 0600; 16-128\n"
"                                 of A-Z a-z 0-9 . _ ~ -) instead of a random one\n"
"  -t, --tty                      draw the screen and read the keypad in this\n"
"                                 terminal (default when the card runs in the\n"
"                                 terminal's foreground, not started with &)\n"
"  -T, --no-tty                   do not use the terminal\n"
"  -d, --foreground               stay in the foreground, log to stderr\n"
"                                 (otherwise syslog; without a terminal window\n"
"                                 the daemon goes to the background)\n"
"  -v, --verbose                  debug logs\n"
"      --confirm-timeout SECONDS  how long the holder has to confirm once the\n"
"                                 card leaves the reader, and how long the\n"
"                                 password stays shown (1-600, default 60)\n"
"      --reader-idle-timeout SECONDS  drop a reader of the contact or\n"
"                                 contactless socket that sent nothing for\n"
"                                 this long, freeing the slot (1-86400,\n"
"                                 default 300)\n"
"      --seed HEX                 FOR TESTS ONLY: a fixed entropy seed (2-128\n"
"                                 hex digits), so keys and passwords repeat\n"
"  -h, --help                     this text\n"
"  -V, --version                  the version\n"
"\n"
"personalise: runs the personalisation APDUs on the image, from the issuer's\n"
"perso file (JSON {\"card_id\",\"account\",\"k_card\"}, mode 0600) and a PIN\n"
"file (4-8 digits, mode 0600), issues the card, and writes the enrolment\n"
"record (JSON {\"card_id\",\"account\",\"public_key\"}) to --export FILE or\n"
"stdout.\n"
"\n"
"export-record: writes the enrolment record of an issued card again, from\n"
"its public data (card id, public key, account), in the same format: for a\n"
"card whose record was lost when personalise stopped after issuing it.\n"
"\n"
"ctl: one request to a running card's control socket (sigcard-card ctl --help).\n"
"\n"
"Keypad on the card: digits, Enter = OK, Esc = Cancel, Backspace.\n");
}

static void on_stop_signal(int sig)
{
	(void)sig;
	run_stop_requested = 1;
}

static int die(const char *what, const char *path, const char *why)
{
	if (path != NULL)
		fprintf(stderr, "sigcard-card: %s %s: %s\n", what, path, why);
	else
		fprintf(stderr, "sigcard-card: %s: %s\n", what, why);
	return 1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_VPCD = 256, OPT_VPCD_IFACE, OPT_SEED, OPT_NFC, OPT_CONFIRM_TIMEOUT,
	       OPT_READER_IDLE, OPT_HTTP, OPT_HTTP_TOKEN_FILE };
	static const struct option longopts[] = {
		{"flash", required_argument, NULL, 'f'},
		{"transport-key-file", required_argument, NULL, 'k'},
		{"contact", required_argument, NULL, 'c'},
		{"contactless", required_argument, NULL, 'l'},
		{"vpcd", optional_argument, NULL, OPT_VPCD},
		{"vpcd-iface", required_argument, NULL, OPT_VPCD_IFACE},
		{"nfc", required_argument, NULL, OPT_NFC},
		{"png", required_argument, NULL, 'p'},
		{"control", required_argument, NULL, 'C'},
		{"tty", no_argument, NULL, 't'},
		{"no-tty", no_argument, NULL, 'T'},
		{"foreground", no_argument, NULL, 'd'},
		{"verbose", no_argument, NULL, 'v'},
		{"seed", required_argument, NULL, OPT_SEED},
		{"confirm-timeout", required_argument, NULL, OPT_CONFIRM_TIMEOUT},
		{"reader-idle-timeout", required_argument, NULL, OPT_READER_IDLE},
		{"http", required_argument, NULL, OPT_HTTP},
		{"http-token-file", required_argument, NULL, OPT_HTTP_TOKEN_FILE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	memset(o, 0, sizeof *o);
	o->tty = -1;
	o->vpcd_iface = CARD_IFACE_CONTACT;
	/* '+': stop at the first word, so "personalise" keeps its own options. */
	while ((c = getopt_long(argc, argv, "+f:k:c:l:p:C:tTdvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->flash = optarg; break;
		case 'k': o->tk_file = optarg; break;
		case 'c': o->contact = optarg; break;
		case 'l': o->contactless = optarg; break;
		case OPT_VPCD: o->vpcd = optarg != NULL ? optarg : ""; break;
		case OPT_VPCD_IFACE:
			if (strcmp(optarg, "contact") == 0) {
				o->vpcd_iface = CARD_IFACE_CONTACT;
			} else if (strcmp(optarg, "contactless") == 0) {
				o->vpcd_iface = CARD_IFACE_CONTACTLESS;
			} else {
				fprintf(stderr, "sigcard-card: --vpcd-iface: contact or contactless\n");
				return 2;
			}
			break;
		case OPT_NFC: o->nfc = optarg; break;
		case 'p': o->png = optarg; break;
		case 'C': o->control = optarg; break;
		case 't': o->tty = 1; break;
		case 'T': o->tty = 0; break;
		case 'd': o->foreground = 1; break;
		case 'v': o->verbose = 1; break;
		case OPT_SEED: o->seed = optarg; break;
		case OPT_CONFIRM_TIMEOUT: {
			char *end;
			unsigned long s;

			errno = 0;
			s = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
			    s * 1000u < CARD_CONFIRM_TIMEOUT_MIN_MS ||
			    s > CARD_CONFIRM_TIMEOUT_MAX_MS / 1000u) {
				fprintf(stderr, "sigcard-card: --confirm-timeout: whole seconds from 1 to 600, not '%s'\n",
					optarg);
				return 2;
			}
			o->confirm_timeout_ms = (uint32_t)s * 1000u;
			break;
		}
		case OPT_READER_IDLE: {
			char *end;
			unsigned long s;

			errno = 0;
			s = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || s < 1 ||
			    s > SLOT_IDLE_MAX_S) {
				fprintf(stderr, "sigcard-card: --reader-idle-timeout: whole seconds from 1 to %u, not '%s'\n",
					SLOT_IDLE_MAX_S, optarg);
				return 2;
			}
			o->reader_idle_s = (uint32_t)s;
			break;
		}
		case OPT_HTTP: o->http = optarg; break;
		case OPT_HTTP_TOKEN_FILE: o->http_token_file = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigcard-card %s\n", SC_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'sigcard-card --help'.\n");
			return 2;
		}
	}
	if (o->flash == NULL) {
		fprintf(stderr, "sigcard-card: --flash PATH is required (try --help)\n");
		return 2;
	}
	return -1;
}

static int load_transport_key(const struct options *o, uint8_t tk[CARD_TRANSPORT_KEY_LEN])
{
	const char *why;
	if (o->tk_file != NULL) {
		if (keys_transport_from_file(o->tk_file, tk, &why) != 0)
			return die("transport key", o->tk_file, why);
		return 0;
	}
	fprintf(stderr, "sigcard-card: WARNING: no --transport-key-file: using the well-known\n"
			"sigcard-card: WARNING: TEST transport key; never use this card for real money\n");
	memcpy(tk, keys_test_transport, CARD_TRANSPORT_KEY_LEN);
	return 0;
}

/* 0, or 2 (usage) for a seed that is not 1-64 bytes of hex. */
static int set_seed(const char *hex)
{
	uint8_t seed[ENTROPY_SEED_MAX];
	int n = sc_hex_decode(seed, sizeof seed, hex);
	if (n <= 0 || entropy_set_seed(seed, (size_t)n) != 0) {
		fprintf(stderr, "sigcard-card: --seed: 1 to 64 bytes as hex digits, not '%s'\n", hex);
		return 2;
	}
	sc_wipe(seed, sizeof seed);
	fprintf(stderr, "sigcard-card: WARNING: --seed: deterministic entropy, for tests only\n");
	return 0;
}

/* Opens the image, or makes a new card there: a blank image in a temporary
 * file, factory-initialised under the transport key, then moved into place,
 * so a half-made card never sits at the path. */
static int open_flash(const struct options *o, const uint8_t tk[CARD_TRANSPORT_KEY_LEN])
{
	const char *why;
	/* A run killed while making an image left its temporary, with the
	 * transport key in it once the factory record was written. */
	int stale = af_remove_stale(o->flash);
	if (stale > 0)
		fprintf(stderr, "sigcard-card: removed %d unfinished card image(s) left beside %s\n",
			stale, o->flash);
	if (access(o->flash, F_OK) == 0) {
		if (flashfile_open(o->flash, &why) != 0)
			return die("flash image", o->flash, why);
		return 0;
	}
	if (errno != ENOENT)
		return die("flash image", o->flash, strerror(errno));
	if (flashfile_create(o->flash, &why) != 0)
		return die("flash image", o->flash, why);
	if (card_factory_init(host_card(), tk) != 0) {
		flashfile_abort_new();
		return die("flash image", o->flash, "the card's factory initialisation failed");
	}
	if (flashfile_commit_new(&why) != 0) {
		flashfile_abort_new();
		return die("flash image", o->flash, why);
	}
	fprintf(stderr, "sigcard-card: made a new card at %s\n", o->flash);
	return 0;
}

static int open_carriers(const struct options *o)
{
	const char *why;
	if (o->contact != NULL && slot_open(CARD_IFACE_CONTACT, o->contact, &why) != 0)
		return die("contact socket", o->contact, why);
	if (o->contactless != NULL &&
	    slot_open(CARD_IFACE_CONTACTLESS, o->contactless, &why) != 0)
		return die("contactless socket", o->contactless, why);
	if (o->control != NULL && control_open(o->control, &why) != 0)
		return die("control socket", o->control, why);
	if (o->nfc != NULL && nfc_target_open(o->nfc, &why) != 0)
		return die("--nfc", o->nfc, why);
	if (o->http != NULL) {
		char token[WEB_TOKEN_MAX + 1];
		int rc = 0;
		if (o->http_token_file != NULL &&
		    web_token_from_file(o->http_token_file, token, &why) != 0)
			return die("--http-token-file", o->http_token_file, why);
		if (web_open(o->http, o->http_token_file != NULL ? token : NULL, &why) != 0)
			rc = die("--http", o->http, why);
		sc_wipe(token, sizeof token);
		if (rc != 0)
			return rc;
	}
	if (o->vpcd != NULL) {
		char host[256];
		uint16_t port;
		(void)vpcd_parse_addr(o->vpcd, host, sizeof host, &port); /* checked in serve_check */
		if (vpcd_start(host, port, o->vpcd_iface, &why) != 0)
			return die("--vpcd", o->vpcd, why);
	}
	return 0;
}

static void on_tty(int fd, short revents, void *arg)
{
	(void)fd;
	(void)arg;
	if ((revents & POLLIN) != 0 && tty_on_readable() == 0)
		return;
	log_info("terminal window closed: stopping");
	run_stop_requested = 1;
}

/* Whether the terminal window is on, and whether the daemon has anything
 * to serve, decided before the flash is touched: 0, 1 (the terminal cannot
 * be used) or 2 (usage). The window is on by default only when the card is
 * the terminal's foreground job: a card started with & in an interactive
 * shell that put the terminal in raw mode or read its keypad would be
 * stopped by SIGTTOU/SIGTTIN at once, and its readers would wait for it
 * in vain. */
static int serve_check(struct options *o)
{
	char host[256];
	uint16_t port;
	if (o->tty < 0)
		o->tty = tty_is_foreground(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (o->tty == 1 && !isatty(STDIN_FILENO)) {
		die("--tty", NULL, "standard input is not a terminal");
		return 1;
	}
	if (o->tty == 1 && !tty_is_foreground(STDIN_FILENO)) {
		die("--tty", NULL, "the card is not this terminal's foreground job (started "
				   "with &?): run it in the foreground, or use --no-tty");
		return 1;
	}
	if (o->contact == NULL && o->contactless == NULL && o->vpcd == NULL && o->control == NULL &&
	    o->nfc == NULL && o->http == NULL && o->tty != 1) {
		fprintf(stderr, "sigcard-card: nothing to serve: give --contact, --contactless, "
				"--vpcd, --nfc, --control, --http or --tty\n");
		return 2;
	}
	if (o->http != NULL && web_parse_addr(o->http, host, sizeof host, &port) != 0) {
		fprintf(stderr, "sigcard-card: --http: not [HOST:]PORT: '%s'\n", o->http);
		return 2;
	}
	if (o->http_token_file != NULL && o->http == NULL) {
		fprintf(stderr, "sigcard-card: --http-token-file: only with --http\n");
		return 2;
	}
	if (o->vpcd != NULL && vpcd_parse_addr(o->vpcd, host, sizeof host, &port) != 0) {
		fprintf(stderr, "sigcard-card: --vpcd: not [HOST:]PORT: '%s'\n", o->vpcd);
		return 2;
	}
	return 0;
}

static int serve(const struct options *o)
{
	struct sigaction sa;
	int tty = o->tty == 1;
	int rc;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Never stopped for writing to the terminal (stderr logs under a
	 * terminal with tostop, the window's last redraw and the settings put
	 * back at exit from the background). */
	signal(SIGTTOU, SIG_IGN);

	if (card_boot(host_card()) != 0)
		fprintf(stderr, "sigcard-card: the card could not read its flash: it answers "
				"every APDU with SW_MEMORY_FAILURE\n");
	display_init(o->png, tty);
	display_redraw();
	if (o->png != NULL && display_png_status() != 0)
		return die("--png", o->png, af_strerror(display_png_status()));
	if (open_carriers(o) != 0)
		return 1;
	if (!o->foreground && !tty) {
		if (daemon(1, 0) != 0)
			return die("daemon", NULL, strerror(errno));
		evloop_after_fork();
	}
	log_init("sigcard-card", o->foreground, o->verbose);
	if (tty) {
		if (tty_open(STDIN_FILENO) != 0 ||
		    evloop_add(STDIN_FILENO, POLLIN, on_tty, NULL) != 0)
			return die("--tty", NULL, "cannot use the terminal");
		tty_draw(display_current());
	}
	log_info("card %s up (flash %s)", SC_VERSION, o->flash);
	{
		const char *why;
		if (nfc_target_run(&why) != 0)
			return die("--nfc", o->nfc, why);
	}
	rc = run_loop();
	log_info("stopping");
	power_stopping();
	tty_close();
	control_close();
	web_close();
	slot_close_all();
	vpcd_stop();
	nfc_target_close();
	flashfile_close();
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	uint8_t tk[CARD_TRANSPORT_KEY_LEN] = {0};
	struct options o;
	int rc;
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "screen-png") == 0)
		return screen_png_main(argc - 1, argv + 1);
	rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.seed != NULL && (rc = set_seed(o.seed)) != 0)
		return rc;
	if (o.reader_idle_s != 0)
		slot_set_idle_timeout(o.reader_idle_s);
	/* The range was checked with the options. */
	if (o.confirm_timeout_ms != 0)
		(void)card_set_confirm_timeout(host_card(), o.confirm_timeout_ms);
	if (optind < argc && strcmp(argv[optind], "personalise") == 0) {
		struct perso_job *job = perso_load(argc - optind, argv + optind, &rc);
		if (job == NULL)
			return rc;
		if (load_transport_key(&o, tk) != 0 || open_flash(&o, tk) != 0) {
			sc_wipe(tk, sizeof tk);
			return 1;
		}
		rc = perso_apply(job, tk);
		sc_wipe(tk, sizeof tk);
		flashfile_close();
		return rc;
	}
	if (optind < argc && strcmp(argv[optind], "export-record") == 0) {
		const char *why;
		rc = perso_export_load(argc - optind, argv + optind);
		if (rc != 0)
			return rc;
		/* An existing image only: there is no record to find in a new one. */
		if (flashfile_open(o.flash, &why) != 0)
			return die("flash image", o.flash, why);
		rc = perso_export_apply();
		flashfile_close();
		return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "sigcard-card: unexpected argument '%s' (try --help)\n", argv[optind]);
		return 2;
	}
	if ((rc = serve_check(&o)) != 0)
		return rc;
	/* The transport key is needed only to make a new card. */
	if (access(o.flash, F_OK) != 0 && load_transport_key(&o, tk) != 0)
		return 1;
	rc = open_flash(&o, tk);
	sc_wipe(tk, sizeof tk);
	if (rc != 0)
		return 1;
	rc = serve(&o);
	flashfile_close();
	return rc;
}
