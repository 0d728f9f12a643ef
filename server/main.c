/* sigcard-server: the issuer's back end. `serve` (the default) runs the
 * daemon; the other commands administer the ledger. See --help and
 * sigcard-server(8). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "server/server.h"
#include "server/tls.h"
#include "hostlib/webpage.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-server [OPTIONS] [serve]          run the daemon\n"
"       sigcard-server [-D DIR] init                create master key, receipt key, ledger\n"
"       sigcard-server [-D DIR] account create ID --currency CUR [--balance AMOUNT]\n"
"       sigcard-server [-D DIR] account credit ID AMOUNT   (a deposit, from EQUITY-CUR)\n"
"       sigcard-server [-D DIR] account show ID\n"
"       sigcard-server [-D DIR] card prepare --account ID [--card-id HEX]\n"
"                                 [--transport-key-file FILE] --out PERSO.json\n"
"       sigcard-server [-D DIR] card enrol --record RECORD.json\n"
"       sigcard-server [-D DIR] card block|unblock|show CARD_ID\n"
"       sigcard-server [-D DIR] card unblock-pin CARD_ID\n"
"                                                   approve one PIN unblock, delivered\n"
"                                                   by the next terminal holding the card\n"
"       sigcard-server [-D DIR] key show            the current receipt public key (hex)\n"
"       sigcard-server [-D DIR] key list            every receipt key: id, made, state\n"
"       sigcard-server [-D DIR] key rotate          a new receipt key, the old one kept;\n"
"                                                   the daemon takes it when restarted\n"
"       sigcard-server [-D DIR] check               the ledger's invariants and seals\n"
"       sigcard-server [-D DIR] terminal-ca [--server-name NAME]\n"
"                                                   the terminal CA and the server's TLS\n"
"                                                   certificate (init makes them too)\n"
"       sigcard-server [-D DIR] terminal enrol ID [--csr FILE] [--days N] --out DIR\n"
"                                                   a terminal's key and certificate\n"
"       sigcard-server [-D DIR] terminal revoke ID  its next handshake fails\n"
"       sigcard-server [-D DIR] terminal list       certificates issued, and revoked\n"
"\n"
"Files:\n"
"  -D, --data DIR          data folder (default $SIGCARD_SERVER_DATA or\n"
"                          /var/lib/sigcard-server): ledger.db, master.key,\n"
"                          receipt.key, receipt-keys/, submit.sock\n"
"      --db FILE|URL       the SQLite ledger (default DIR/ledger.db), or a\n"
"                          PostgreSQL one: a postgresql:// URL or key=value\n"
"                          conninfo (init alone so far)\n"
"Daemon:\n"
"  -d, --foreground        stay in the foreground, log to stderr (else syslog)\n"
"      --listen HOST:PORT  submissions over TLS 1.3 with terminal certificates\n"
"                          (default %s; 'none' for off)\n"
"      --insecure-plain-tcp  --listen speaks plain TCP, to anyone: tests and\n"
"                          local demos only\n"
"      --unix PATH         submissions over a Unix socket (default DIR/submit.sock;\n"
"                          'none' for off)\n"
"      --http HOST:PORT    read-only JSON API and /metrics (default %s; 'none')\n"
"      --admin-http [HOST:]PORT  the bank's back office in a browser (host\n"
"                          127.0.0.1 unless given; [::1]:PORT for IPv6); off\n"
"                          unless given, and only with --admin-token-file\n"
"      --admin-token-file FILE  the back office's login token (one line of 16-128\n"
"                          of A-Z a-z 0-9 . _ ~ -; mode 0600, the server's user's)\n"
"      --workers N         signature-verify threads (default: one per CPU)\n"
"      --max-conns N       submission connections at once (default 1024; lowered\n"
"                          to fit the open-file limit); when full, the least\n"
"                          recently active idle one is dropped for a new one\n"
"      --http-max-conns N  HTTP connections at once (default 256); when full, the\n"
"                          one longest without completing a request is dropped\n"
"      --max-frame BYTES   largest frame body accepted (default 1024, at most %u)\n"
"      --idle-timeout S    drop a peer silent for S seconds, also one idle between\n"
"                          requests (default 150)\n"
"      --request-timeout S drop a peer that has not completed its first request\n"
"                          S seconds after connecting, or a later one S seconds\n"
"                          after its first byte, however slowly it sends\n"
"                          (default 10); HTTP requests' headers likewise\n"
"      --challenge-ttl S   seconds a challenge stays valid (default 300)\n"
"      --card-jp-limit N   wrong joint passwords that block a card (default 10)\n"
"      --max-amount MINOR  largest transfer, in minor units (default 100000000000)\n"
"      --batch-max N       most submissions per commit, 1..4096 (default 256)\n"
"      --wal-max MIB       reset the WAL once it holds more, 1..1024 (default 16)\n"
"      --writer-cache MIB  the ledger writer's page cache, 2..65536 (default 64)\n"
"      --pidfile FILE      write the daemon's process id there while serving\n"
"      --check-time S      most seconds the ledger check at start may take (default 60)\n"
"Admin:\n"
"      --currency CUR      ISO 4217 letters (account create)\n"
"      --balance AMOUNT    opening balance, e.g. 100.00, booked from EQUITY-CUR\n"
"      --account ID        the card's account (card prepare)\n"
"      --card-id HEX       16 hex digits (card prepare; random if not given)\n"
"      --out FILE          perso file to write, mode 0600 (card prepare)\n"
"      --transport-key-file FILE  the card's transport key (32 hex digits, 0600):\n"
"                          the perso file then holds K_card wrapped, never clear\n"
"      --record FILE       the record the card exported (card enrol)\n"
"      --server-name NAME  the server certificate's DNS name (init, terminal-ca;\n"
"                          default localhost; 127.0.0.1 and ::1 always)\n"
"      --csr FILE          certify the terminal's own key from its request\n"
"                          (terminal enrol; no key is written then)\n"
"      --days N            the terminal certificate's lifetime (default 365)\n"
"      --out DIR           terminal enrol: writes terminal.key (0600),\n"
"                          terminal.pem and ca.pem there\n"
"Keys in a PKCS#11 token (serve, init, card prepare, key rotate; all three):\n"
"      --pkcs11 MODULE     the token's PKCS#11 module (a .so), e.g.\n"
"                          /usr/lib/softhsm/libsofthsm2.so; default: key files\n"
"      --token LABEL       the token's label\n"
"      --pin-file FILE     the token's user PIN (one line, mode 0600)\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n",
		SRV_DEFAULT_TCP, SRV_DEFAULT_HTTP, SRV_FRAME_CAP);
}

enum {
	O_DB = 256, O_LISTEN, O_UNIX, O_HTTP, O_WORKERS, O_MAX_CONNS, O_MAX_FRAME, O_IDLE,
	O_TRANSPORT_KEY_FILE,
	O_PKCS11, O_TOKEN, O_PIN_FILE,
	O_TTL, O_JP_LIMIT, O_MAX_AMOUNT, O_BATCH, O_CURRENCY, O_BALANCE, O_ACCOUNT, O_CARD_ID,
	O_OUT, O_RECORD, O_PIDFILE, O_CHECK_TIME, O_REQUEST_TIMEOUT, O_HTTP_MAX_CONNS, O_WAL_MAX,
	O_WRITER_CACHE,
	O_ADMIN_HTTP, O_ADMIN_TOKEN_FILE,
	O_INSECURE_PLAIN_TCP,
	O_SERVER_NAME, O_CSR, O_DAYS,
};

/* A whole-number option in [min, max], or exit 2 with a message. */
static unsigned long long number(const char *name, const char *text, unsigned long long min,
				 unsigned long long max)
{
	char *end;
	unsigned long long v;

	if (!text[0] || text[0] == '-')
		goto bad;
	v = strtoull(text, &end, 10);
	if (*end || v < min || v > max)
		goto bad;
	return v;
bad:
	fprintf(stderr, "sigcard-server: --%s wants a number from %llu to %llu, not '%s'\n", name,
		min, max, text);
	exit(2);
}

/* A HOST:PORT option ("" is 'none'), or exit 2 naming it: a listen address
 * without a port is a usage error, found before the daemon starts. */
static void check_addr(const char *name, const char *addr)
{
	char host[SRV_PATH_MAX];
	int port;

	if (addr[0] && srv_split_addr(addr, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "sigcard-server: --%s wants HOST:PORT (or none), not '%s'\n", name,
			addr);
		exit(2);
	}
}

static void set_text(char *dst, size_t cap, const char *name, const char *v)
{
	if (strlen(v) >= cap) {
		fprintf(stderr, "sigcard-server: --%s: too long\n", name);
		exit(2);
	}
	snprintf(dst, cap, "%s", strcmp(v, "none") == 0 ? "" : v);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'D'},
		{"db", required_argument, NULL, O_DB},
		{"foreground", no_argument, NULL, 'd'},
		{"listen", required_argument, NULL, O_LISTEN},
		{"unix", required_argument, NULL, O_UNIX},
		{"http", required_argument, NULL, O_HTTP},
		{"workers", required_argument, NULL, O_WORKERS},
		{"max-conns", required_argument, NULL, O_MAX_CONNS},
		{"max-frame", required_argument, NULL, O_MAX_FRAME},
		{"idle-timeout", required_argument, NULL, O_IDLE},
		{"request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT},
		{"http-max-conns", required_argument, NULL, O_HTTP_MAX_CONNS},
		{"admin-http", required_argument, NULL, O_ADMIN_HTTP},
		{"admin-token-file", required_argument, NULL, O_ADMIN_TOKEN_FILE},
		{"challenge-ttl", required_argument, NULL, O_TTL},
		{"card-jp-limit", required_argument, NULL, O_JP_LIMIT},
		{"max-amount", required_argument, NULL, O_MAX_AMOUNT},
		{"batch-max", required_argument, NULL, O_BATCH},
		{"wal-max", required_argument, NULL, O_WAL_MAX},
		{"writer-cache", required_argument, NULL, O_WRITER_CACHE},
		{"pidfile", required_argument, NULL, O_PIDFILE},
		{"check-time", required_argument, NULL, O_CHECK_TIME},
		{"currency", required_argument, NULL, O_CURRENCY},
		{"balance", required_argument, NULL, O_BALANCE},
		{"account", required_argument, NULL, O_ACCOUNT},
		{"card-id", required_argument, NULL, O_CARD_ID},
		{"out", required_argument, NULL, O_OUT},
		{"record", required_argument, NULL, O_RECORD},
		{"transport-key-file", required_argument, NULL, O_TRANSPORT_KEY_FILE},
		{"insecure-plain-tcp", no_argument, NULL, O_INSECURE_PLAIN_TCP},
		{"server-name", required_argument, NULL, O_SERVER_NAME},
		{"csr", required_argument, NULL, O_CSR},
		{"days", required_argument, NULL, O_DAYS},
		{"pkcs11", required_argument, NULL, O_PKCS11},
		{"token", required_argument, NULL, O_TOKEN},
		{"pin-file", required_argument, NULL, O_PIN_FILE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *currency = NULL, *balance = NULL, *account = NULL, *card_id = NULL;
	const char *out = NULL, *record = NULL, *tk_file = NULL;
	const char *csr = NULL; /* terminal enrol */
	long days = 0;
	int name_set = 0;
	int serve_opts = 0, admin_opts = 0, unix_set = 0;
	struct srv_config cfg;
	char db_path[SRV_PATH_MAX] = "";
	char admin_host[128];
	uint16_t admin_port;
	int c;

	umask(077); /* the ledger, keys and perso files are the issuer's alone */
	srv_config_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "D:dhV", opts, NULL)) != -1) {
		switch (c) {
		case 'D': set_text(cfg.data_dir, sizeof(cfg.data_dir), "data", optarg); break;
		case O_DB: set_text(db_path, sizeof(db_path), "db", optarg); break;
		case 'd': cfg.foreground = 1; serve_opts++; break;
		case O_LISTEN: set_text(cfg.tcp_addr, sizeof(cfg.tcp_addr), "listen", optarg);
			serve_opts++; break;
		case O_UNIX: set_text(cfg.unix_path, sizeof(cfg.unix_path), "unix", optarg);
			unix_set = 1; serve_opts++; break;
		case O_HTTP: set_text(cfg.http_addr, sizeof(cfg.http_addr), "http", optarg);
			serve_opts++; break;
		case O_WORKERS: cfg.workers = (int)number("workers", optarg, 1, 64); serve_opts++; break;
		case O_MAX_CONNS: cfg.max_conns = (int)number("max-conns", optarg, 1, 100000);
			serve_opts++; break;
		case O_MAX_FRAME: cfg.max_frame = (size_t)number("max-frame", optarg, 64, SRV_FRAME_CAP);
			serve_opts++; break;
		case O_IDLE: cfg.idle_timeout = (int)number("idle-timeout", optarg, 1, 86400);
			serve_opts++; break;
		case O_REQUEST_TIMEOUT:
			cfg.request_timeout = (int)number("request-timeout", optarg, 1, 86400);
			serve_opts++; break;
		case O_ADMIN_HTTP: set_text(cfg.admin_http_addr, sizeof(cfg.admin_http_addr),
					    "admin-http", optarg); serve_opts++; break;
		case O_ADMIN_TOKEN_FILE: set_text(cfg.admin_token_file, sizeof(cfg.admin_token_file),
						  "admin-token-file", optarg); serve_opts++; break;
		case O_HTTP_MAX_CONNS:
			cfg.http_max_conns = (int)number("http-max-conns", optarg, 1, 100000);
			serve_opts++; break;
		case O_TTL: cfg.challenge_ttl = (uint32_t)number("challenge-ttl", optarg, 1, 86400);
			serve_opts++; break;
		case O_JP_LIMIT: cfg.card_jp_limit = (int)number("card-jp-limit", optarg, 1, 1000);
			serve_opts++; break;
		case O_MAX_AMOUNT: cfg.max_amount = number("max-amount", optarg, 1, INT64_MAX);
			serve_opts++; break;
		case O_BATCH: cfg.batch_max = (int)number("batch-max", optarg, 1, SC_SEAL_BATCH_MAX);
			serve_opts++; break;
		case O_WAL_MAX: cfg.wal_max_mib = (int)number("wal-max", optarg, 1, 1024);
			serve_opts++; break;
		case O_WRITER_CACHE: cfg.cache_mib = (int)number("writer-cache", optarg, 2, 65536);
			serve_opts++; break;
		case O_PIDFILE: set_text(cfg.pidfile, sizeof(cfg.pidfile), "pidfile", optarg);
			serve_opts++; break;
		case O_CHECK_TIME: cfg.check_time = (int)number("check-time", optarg, 0, 86400);
			serve_opts++; break;
		case O_CURRENCY: currency = optarg; admin_opts++; break;
		case O_BALANCE: balance = optarg; admin_opts++; break;
		case O_ACCOUNT: account = optarg; admin_opts++; break;
		case O_CARD_ID: card_id = optarg; admin_opts++; break;
		case O_OUT: out = optarg; admin_opts++; break;
		case O_RECORD: record = optarg; admin_opts++; break;
		case O_TRANSPORT_KEY_FILE: tk_file = optarg; admin_opts++; break;
		case O_INSECURE_PLAIN_TCP: cfg.insecure_plain_tcp = 1; serve_opts++; break;
		case O_SERVER_NAME: set_text(cfg.server_name, sizeof(cfg.server_name), "server-name",
					     optarg); name_set = 1; break;
		case O_CSR: csr = optarg; break;
		case O_DAYS: days = (long)number("days", optarg, 1, 36500); break;
		case O_PKCS11: set_text(cfg.pkcs11_module, sizeof(cfg.pkcs11_module), "pkcs11",
					optarg); break;
		case O_TOKEN: set_text(cfg.token_label, sizeof(cfg.token_label), "token", optarg);
			break;
		case O_PIN_FILE: set_text(cfg.token_pin_file, sizeof(cfg.token_pin_file), "pin-file",
					  optarg); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigcard-server %s\n", SC_VERSION); return 0;
		default: fprintf(stderr, "Try 'sigcard-server --help'.\n"); return 2;
		}
	}
	if ((cfg.pkcs11_module[0] || cfg.token_label[0] || cfg.token_pin_file[0]) &&
	    !(cfg.pkcs11_module[0] && cfg.token_label[0] && cfg.token_pin_file[0])) {
		fprintf(stderr, "sigcard-server: --pkcs11, --token and --pin-file go together\n");
		return 2;
	}
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", db_path);
	if (unix_set && !cfg.unix_path[0])
		snprintf(cfg.unix_path, sizeof(cfg.unix_path), "-"); /* 'none': keep it off */
	srv_config_paths(&cfg);
	if (!strcmp(cfg.unix_path, "-"))
		cfg.unix_path[0] = '\0';

	if (optind >= argc || !strcmp(argv[optind], "serve")) {
		if (optind < argc && optind + 1 != argc) {
			fprintf(stderr, "sigcard-server: serve takes no arguments\n");
			return 2;
		}
		if (admin_opts) {
			fprintf(stderr, "sigcard-server: account/card options do not apply to serve\n");
			return 2;
		}
		if (name_set || csr || days) {
			fprintf(stderr, "sigcard-server: --server-name, --csr and --days do not apply"
				" to serve\n");
			return 2;
		}
		check_addr("listen", cfg.tcp_addr);
		check_addr("http", cfg.http_addr);
		if (!cfg.admin_http_addr[0] != !cfg.admin_token_file[0]) {
			fprintf(stderr, "sigcard-server: --admin-http and --admin-token-file go"
				" together\n");
			return 2;
		}
		if (cfg.admin_http_addr[0] && web_parse_addr(cfg.admin_http_addr, admin_host,
							     sizeof(admin_host), &admin_port) != 0) {
			fprintf(stderr, "sigcard-server: --admin-http: '%s' is not [HOST:]PORT\n",
				cfg.admin_http_addr);
			return 2;
		}
		if (!cfg.tcp_addr[0] && !cfg.unix_path[0]) {
			fprintf(stderr, "sigcard-server: --listen none and --unix none: nothing to serve\n");
			return 2;
		}
		log_init("sigcard-server", cfg.foreground, getenv("SIGCARD_SERVER_DEBUG") != NULL);
		return srv_run(&cfg);
	}
	if (serve_opts) {
		fprintf(stderr, "sigcard-server: daemon options apply to serve only\n");
		return 2;
	}
	log_init("sigcard-server", 1, getenv("SIGCARD_SERVER_DEBUG") != NULL);
	if (name_set && strcmp(argv[optind], "init") && strcmp(argv[optind], "terminal-ca")) {
		fprintf(stderr, "sigcard-server: --server-name applies to init and terminal-ca only\n");
		return 2;
	}
	if (!strcmp(argv[optind], "terminal-ca") || !strcmp(argv[optind], "terminal")) {
		if (admin_opts - (out != NULL)) {
			fprintf(stderr, "sigcard-server: account/card options do not apply to %s\n",
				argv[optind]);
			return 2;
		}
		return srv_terminal_cmd(&cfg, argc - optind, argv + optind, csr, days, out);
	}
	if (csr || days) {
		fprintf(stderr, "sigcard-server: --csr and --days apply to terminal enrol only\n");
		return 2;
	}
	return srv_admin(&cfg, argc - optind, argv + optind, currency, balance, card_id, account,
			 out, record, tk_file);
}
