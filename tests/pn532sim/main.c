/* pn532sim: two emulated PN532 chips on pseudo-terminals, one for the
 * reader's libnfc and one for the card's, coupled by a virtual RF field.
 * Signals move the card: SIGUSR1 takes it out of the field, SIGUSR2 puts
 * it back. See --help. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tests/pn532sim/pn532sim.h"

long long sim_fwt_ms = 5000;
long long sim_poll_wait_ms;
static int verbose;
static struct pn_chip chip_reader, chip_card;

long long sim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pn532sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void sim_trace(const struct pn_chip *c, const char *dir, const uint8_t *p, size_t n)
{
	if (!verbose)
		return;
	fprintf(stderr, "pn532sim: %s %s", c->name, dir);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
}

void sim_send(struct pn_chip *c, const uint8_t *frame, size_t n)
{
	long long deadline = sim_now_ms() + 1000;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(c->fd, frame + off, n - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
		long long left = deadline - sim_now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		poll(&pfd, 1, (int)left);
	}
	if (off < n)
		sim_log("%s: host is not reading: %zu of %zu bytes dropped", c->name, n - off, n);
}

void sim_reply(struct pn_chip *c, uint8_t cmd, const uint8_t *payload, size_t n)
{
	c->last_reply_len = pn_uart_build(c->last_reply, cmd, payload, n);
	sim_trace(c, "->", c->last_reply + 3, c->last_reply_len - 3);
	chip_send_reply(c, cmd);
}

/* A pty pair in raw mode; the slave stays open here so that hosts can come
 * and go (libnfc restores its termios when it closes the port). */
static int open_pty(struct pn_chip *c)
{
	c->fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (c->fd < 0 || grantpt(c->fd) < 0 || unlockpt(c->fd) < 0 ||
	    ptsname_r(c->fd, c->path, sizeof c->path) != 0)
		return -1;
	c->slave_fd = open(c->path, O_RDWR | O_NOCTTY);
	if (c->slave_fd < 0)
		return -1;
	struct termios t;
	if (tcgetattr(c->slave_fd, &t) < 0)
		return -1;
	cfmakeraw(&t);
	return tcsetattr(c->slave_fd, TCSANOW, &t);
}

static int write_paths(const char *file)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", file, (long)getpid()) >= (int)sizeof tmp)
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "PN532SIM_READER=%s\nPN532SIM_CARD=%s\n", chip_reader.path, chip_card.path);
	if (fclose(f) != 0 || rename(tmp, file) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pn532sim [-v] [--paths-file FILE] [--remove-at N] [--fwt-ms MS]\n"
		"                [--poll-wait-ms MS] [--faults FILE] [--late-ms MS]\n"
		"\n"
		"Emulates two NXP PN532 chips on the UART (HSU) interface, each on a\n"
		"pseudo-terminal, coupled by a virtual RF field: libnfc opens them as\n"
		"pn532_uart:PATH. One side is the reader (initiator), the other the card\n"
		"(ISO 14443-4A target emulation); either chip can take either role.\n"
		"Prints PN532SIM_READER=PATH and PN532SIM_CARD=PATH, then serves until\n"
		"SIGTERM or SIGINT.\n"
		"\n"
		"  --paths-file FILE  also write those two lines to FILE (atomically)\n"
		"  --remove-at N      take the card out of the field when the Nth\n"
		"                     InDataExchange reaches it (that exchange fails)\n"
		"  --fwt-ms MS        how long a reader waits for the card's answer\n"
		"                     before a chip timeout (default 5000)\n"
		"  --poll-wait-ms MS  test hook: a reader's single poll (finite retries,\n"
		"                     as nfc-list's) that finds the card in the field\n"
		"                     but not armed waits up to MS for its host to arm\n"
		"                     it, instead of reporting no target at once; so a\n"
		"                     card re-armed after a release is always found by\n"
		"                     the reader's next poll (default 0: at once)\n"
		"  --faults FILE      faults of the card-side chip, for tests of its host:\n"
		"                     lines KIND CODE N, KIND one of nack (the Nth\n"
		"                     command with code CODE, hex, is answered NACK\n"
		"                     instead of ACK and dropped), bad-dcs (the Nth\n"
		"                     answer to CODE goes out with a bad checksum; a\n"
		"                     NACK gets the good one), late (the Nth answer to\n"
		"                     CODE is held back --late-ms; an ACK withdraws it),\n"
		"                     remove (the card leaves the field once the Nth\n"
		"                     answer to CODE is out), drop (the Nth command\n"
		"                     CODE is lost: no ACK, no answer), syntax (the\n"
		"                     Nth command CODE gets the syntax error frame);\n"
		"                     counted from when FILE is read: at start and on\n"
		"                     SIGHUP (\"faults armed\" in the log)\n"
		"  --late-ms MS       how long a late answer is held (default 3000)\n"
		"  -v, --verbose      trace every frame\n"
		"  -h, --help         this text\n"
		"\n"
		"SIGUSR1 takes the card out of the field, SIGUSR2 puts it back, SIGHUP\n"
		"reads --faults FILE again.\n"
		"\n"
		"The chips are as strict as a PN532 (user manual UM0701-02): asleep\n"
		"until a 0x55 wake-up (at power-on and after PowerDown), frames with\n"
		"preamble, start code, checksums and postamble or dropped unACKed, an\n"
		"ACK before each answer, the syntax error frame for what they cannot\n"
		"parse, ISO 14443-4 card emulation only with SetParameters' PICC bit.\n");
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int load_faults(const char *file)
{
	char err[256];
	int n = fault_load(file, err, sizeof err);
	if (n < 0)
		sim_log("--faults: %s", err);
	else
		sim_log("faults armed from %s: %d", file, n);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"paths-file", required_argument, NULL, 'p'},
		{"remove-at", required_argument, NULL, 'r'},
		{"fwt-ms", required_argument, NULL, 'f'},
		{"poll-wait-ms", required_argument, NULL, 'w'},
		{"faults", required_argument, NULL, 'F'},
		{"late-ms", required_argument, NULL, 'l'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *paths_file = NULL, *faults_file = NULL;
	unsigned long v;
	int o;
	while ((o = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (o) {
		case 'p': paths_file = optarg; break;
		case 'r':
			if (parse_ulong(optarg, 1000000, &v) < 0) {
				fprintf(stderr, "pn532sim: --remove-at: not a count: %s\n", optarg);
				return 2;
			}
			field_remove_at_exchange(v);
			break;
		case 'f':
			if (parse_ulong(optarg, 600000, &v) < 0 || v == 0) {
				fprintf(stderr, "pn532sim: --fwt-ms: not 1..600000: %s\n", optarg);
				return 2;
			}
			sim_fwt_ms = (long long)v;
			break;
		case 'w':
			if (parse_ulong(optarg, 600000, &v) < 0) {
				fprintf(stderr, "pn532sim: --poll-wait-ms: not 0..600000: %s\n", optarg);
				return 2;
			}
			sim_poll_wait_ms = (long long)v;
			break;
		case 'F': faults_file = optarg; break;
		case 'l':
			if (parse_ulong(optarg, 600000, &v) < 0 || v == 0) {
				fprintf(stderr, "pn532sim: --late-ms: not 1..600000: %s\n", optarg);
				return 2;
			}
			sim_late_ms = (long long)v;
			break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (faults_file && load_faults(faults_file) < 0)
		return 2;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		perror("pn532sim: signalfd");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	if (open_pty(&chip_reader) < 0 || open_pty(&chip_card) < 0) {
		perror("pn532sim: pseudo-terminal");
		return 1;
	}
	field_init(&chip_reader, &chip_card);
	chip_reset(&chip_reader, "reader");
	chip_reset(&chip_card, "card");
	chip_card.faulty = 1;
	printf("PN532SIM_READER=%s\nPN532SIM_CARD=%s\n", chip_reader.path, chip_card.path);
	fflush(stdout);
	if (paths_file && write_paths(paths_file) < 0) {
		fprintf(stderr, "pn532sim: cannot write %s: %s\n", paths_file, strerror(errno));
		return 1;
	}

	struct pn_chip *chips[2] = {&chip_reader, &chip_card};
	for (;;) {
		long long now = sim_now_ms();
		int timeout = -1;
		for (int i = 0; i < 2; i++) {
			int t = chip_tick(chips[i], now);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		struct pollfd pfd[3] = {
			{.fd = chips[0]->fd, .events = POLLIN},
			{.fd = chips[1]->fd, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
		};
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("pn532sim: poll");
			return 1;
		}
		for (int i = 0; i < 2; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			uint8_t buf[1024];
			ssize_t n = read(chips[i]->fd, buf, sizeof buf);
			if (n > 0) {
				sim_trace(chips[i], "<< raw", buf, (size_t)n);
				chip_on_bytes(chips[i], buf, (size_t)n);
			}
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				switch (si.ssi_signo) {
				case SIGUSR1: field_remove_card("SIGUSR1"); break;
				case SIGUSR2: field_return_card(); break;
				case SIGHUP:
					if (faults_file)
						(void)load_faults(faults_file);
					break;
				default:
					sim_log("stopping on signal %u", si.ssi_signo);
					return 0;
				}
			}
		}
	}
}
