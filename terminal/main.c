/* sigcard-terminal: the command-line front end. It parses the command and
 * hands it to the payment flow (pay.c); results go to stdout, diagnostics to
 * stderr, and the exit status is the failure class (terminal.h). */
#include <stdio.h>
#include <string.h>

#include "terminal/terminal.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-terminal pay OPTIONS...   pay once, print the receipt\n"
"       sigcard-terminal pay --daemon unix:PATH OPTIONS...\n"
"                                         pay through a terminal daemon\n"
"       sigcard-terminal daemon --socket PATH SETTINGS...\n"
"                                         run the terminal as a daemon\n"
"       sigcard-terminal unblock --card CARRIER --server SPEC\n"
"                                         deliver the PIN unblock the issuer approved\n"
"       sigcard-terminal pay --help | daemon --help | unblock --help\n"
"       sigcard-terminal --help | --version\n"
"\n"
"sigcard-terminal is the point-of-sale terminal of sigcard: it has the card\n"
"sign a transaction, lets the card leave the reader, obtains the joint\n"
"password the holder releases on the card (by scanning the card's screen or\n"
"by a contactless read), submits everything to sigcard-server and checks the\n"
"server's signed receipt.\n"
"\n"
"Card carriers: unix:PATH (the emulated card's socket), pcsc:READER NAME\n"
"(PC/SC through pcscd), nfc:CONNSTRING (a libnfc reader such as\n"
"nfc:pn532_uart:/dev/ttyUSB0). Cameras: file:PATH (a PNG of the card's\n"
"screen) and v4l2:/dev/videoN (untested on the build machine).\n"
"\n"
"Exit status: 0 ok, 1 local failure, 2 bad usage, 3 no card, 4 card removed\n"
"during a command, 5 card error, 6 cancelled or timed out on the card,\n"
"7 server unreachable, 8 refused by the server, 9 receipt does not verify.\n"
"See sigcard-terminal(1) and README.md.\n");
}

static void log_to_stderr(void *ctx, const char *step, const char *text)
{
	(void)ctx;
	(void)step;
	fprintf(stderr, "sigcard-terminal: %s\n", text);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TERM_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("sigcard-terminal %s\n", SC_VERSION);
		return 0;
	}
	if (strcmp(cmd, "daemon") == 0)
		return term_daemon_main(argc - 1, argv + 1);
	if (strcmp(cmd, "unblock") == 0)
		return term_unblock_main(argc - 1, argv + 1);
	if (strcmp(cmd, "pay") == 0) {
		/* --daemon unix:PATH: the payment runs in a terminal daemon. */
		for (int i = 2; i < argc; i++) {
			int joined = strncmp(argv[i], "--daemon=", 9) == 0;
			if (strcmp(argv[i], "--daemon") != 0 && !joined)
				continue;
			if (!joined && i + 1 >= argc) {
				fprintf(stderr, "sigcard-terminal: pay: --daemon: a value is needed\n");
				return TERM_EXIT_USAGE;
			}
			if (argc > 256) {
				fprintf(stderr, "sigcard-terminal: pay: too many arguments\n");
				return TERM_EXIT_USAGE;
			}
			char *rest[256];
			int n = 0;
			for (int k = 2; k < argc; k++)
				if (k != i && (joined || k != i + 1))
					rest[n++] = argv[k];
			return term_daemon_pay(joined ? argv[i] + 9 : argv[i + 1], n, rest);
		}
		struct term_pay_opts o;
		char err[TERM_ERR_MAX] = "";
		int rc = term_pay_opts_parse(&o, argc - 1, argv + 1, err, sizeof err);
		if (rc != 0) {
			fprintf(stderr, "sigcard-terminal: pay: %s\n", err);
			return -rc;
		}
		if (o.help) {
			term_pay_usage(stdout);
			return 0;
		}
		struct term_paid paid;
		struct term_log log = {log_to_stderr, NULL};
		rc = term_pay_run(&o, &paid, &log, err, sizeof err);
		if (rc != 0) {
			fprintf(stderr, "sigcard-terminal: %s: %s\n", term_exit_name(rc), err);
			return -rc;
		}
		term_paid_print(&paid, stdout);
		return 0;
	}
	fprintf(stderr, "sigcard-terminal: '%s': unknown command (try --help)\n", cmd);
	return TERM_EXIT_USAGE;
}
