/* card_roundtrip: how long the emulated card takes to answer, measured from
 * the reader's side. APDU round trips over the contact socket and through
 * pcscd + vpcd (libpcsclite's SCardTransmit), and SIGN TRANSACTION per
 * scheme over the contact socket (the emulator: core + flash file with
 * fdatasync + socket) and in-process (the core on a RAM flash, tests/support)
 * to show what the carrier and the file add. Prints median and p99 of N
 * runs per row. A benchmark: it asserts nothing.
 *
 *   card_roundtrip --contact SOCK [--reader NAME] [-n RUNS]
 * The card behind SOCK must be personalised with account ALICE-1; pcscd's
 * socket comes from PCSCLITE_CSOCK_NAME as for any PC/SC program.
 * bench/card_roundtrip.sh sets all of that up. */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "common/frame.h"
#include "common/tx.h"
#include "tests/support/sim_card.h"

static const uint8_t select_aid[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xF0, 0x53, 0x49,
				     0x47, 0x43, 0x41, 0x52, 0x44, 0x01};
static const uint8_t get_atc[] = {0x00, 0xCA, 0xDF, 0x22, 0x00};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void row(const char *what, double *t, int n)
{
	if (n <= 0) {
		printf("%-46s %6s %12s %12s\n", what, "-", "n/a", "n/a");
		return;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("%-46s %6d %12.1f %12.1f\n", what, n, t[n / 2], t[(n * 99 + 99) / 100 - 1]);
	fflush(stdout);
}

/* --- the contact socket --- */

static int sock_fd = -1;

static int exact(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame out, one frame back (if want_reply); returns the reply length. */
static long sock_xfer(const uint8_t *body, size_t n, uint8_t *reply, size_t cap, int want_reply)
{
	uint8_t frame[SC_FRAME_HDR + 512], hdr[2];
	int len = sc_frame_encode(frame, sizeof frame, body, n);
	size_t m;
	if (len < 0 || send(sock_fd, frame, (size_t)len, MSG_NOSIGNAL) != len)
		return -1;
	if (!want_reply)
		return 0;
	if (exact(sock_fd, hdr, 2) != 0)
		return -1;
	m = (size_t)hdr[0] << 8 | hdr[1];
	if (m > cap || exact(sock_fd, reply, m) != 0)
		return -1;
	return (long)m;
}

static int sock_open(const char *path)
{
	struct sockaddr_un sa;
	uint8_t on = SC_CTRL_POWER_ON, r[64];
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	sock_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (sock_fd < 0 || connect(sock_fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return -1;
	if (sock_xfer(&on, 1, NULL, 0, 0) != 0 ||
	    sock_xfer(select_aid, sizeof select_aid, r, sizeof r, 1) != 2 || r[0] != 0x90)
		return -1;
	return 0;
}

static int bench_contact_apdu(double *t, int n)
{
	uint8_t r[64];
	int i;
	for (i = 0; i < n; i++) {
		double t0 = now_us();
		long m = sock_xfer(get_atc, sizeof get_atc, r, sizeof r, 1);
		t[i] = now_us() - t0;
		if (m < 2 || r[m - 2] != 0x90)
			return i;
	}
	return n;
}

/* SIGN TRANSACTION (case 4, short) for tx. */
static size_t sign_apdu(uint8_t *cmd, const uint8_t *tx, size_t tx_len)
{
	cmd[0] = 0x80;
	cmd[1] = 0x2A;
	cmd[2] = 0x00;
	cmd[3] = 0x00;
	cmd[4] = (uint8_t)tx_len;
	memcpy(cmd + 5, tx, tx_len);
	cmd[5 + tx_len] = 0x00;
	return tx_len + 6;
}

static int make_tx(uint8_t scheme, uint8_t *out, size_t cap)
{
	struct sc_tx tx;
	memset(&tx, 0, sizeof tx);
	tx.version = SC_TX_VERSION;
	tx.scheme = scheme;
	tx.amount = 1234;
	tx.currency = 978;
	strcpy(tx.payer, "ALICE-1");
	strcpy(tx.payee, "BOB-2");
	strcpy(tx.payee_name, "Bob's Shop");
	strcpy(tx.terminal_id, "BENCH");
	memset(tx.challenge, 0xA5, sizeof tx.challenge);
	tx.time = 1700000000;
	return sc_tx_encode(&tx, out, cap);
}

static int bench_contact_sign(uint8_t scheme, double *t, int n)
{
	uint8_t tx[SC_TX_MAX_LEN], cmd[SC_TX_MAX_LEN + 6], r[300];
	int tx_len = make_tx(scheme, tx, sizeof tx), i;
	size_t len;
	if (tx_len < 0)
		return 0;
	len = sign_apdu(cmd, tx, (size_t)tx_len);
	for (i = 0; i < n; i++) {
		double t0 = now_us();
		long m = sock_xfer(cmd, len, r, sizeof r, 1);
		t[i] = now_us() - t0;
		if (m < 2 || r[m - 2] != 0x90) {
			fprintf(stderr, "card_roundtrip: SIGN run %d: %s %02X%02X\n", i,
				m < 2 ? "no answer" : "status", m >= 2 ? r[m - 2] : 0, m >= 2 ? r[m - 1] : 0);
			return i;
		}
	}
	return n;
}

/* --- in-process: the core on a RAM flash --- */

static int bench_inprocess_sign(uint8_t scheme, double *t, int n)
{
	static int card = -1;
	uint8_t tx[SC_TX_MAX_LEN], x[32], sig[72];
	size_t x_len, sig_len;
	uint32_t atc;
	int tx_len = make_tx(scheme, tx, sizeof tx), i;
	if (card < 0) {
		uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8}, k[32];
		struct sim_card_identity who;
		memset(k, 0x42, sizeof k);
		card = sim_card_new(id, k, "1234", "ALICE-1", &who);
		if (card < 0)
			return 0;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_us();
		int rc = sim_card_sign(card, tx, (size_t)tx_len, &atc, x, &x_len, sig, &sig_len);
		t[i] = now_us() - t0;
		if (rc != 0)
			return i;
	}
	return n;
}

/* --- PC/SC through pcscd + vpcd --- */

static int bench_pcsc(const char *want, double *t, int n)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto, len = 0, rlen;
	char readers[2048], *name = NULL, *p;
	BYTE r[258];
	int i, got = 0;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return -1;
	len = sizeof readers;
	if (SCardListReaders(ctx, NULL, readers, &len) != SCARD_S_SUCCESS) {
		SCardReleaseContext(ctx);
		return -1;
	}
	for (p = readers; *p != '\0'; p += strlen(p) + 1)
		if (strstr(p, want) != NULL) {
			name = p;
			break;
		}
	if (name == NULL || SCardConnect(ctx, name, SCARD_SHARE_SHARED,
					 SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto) !=
				    SCARD_S_SUCCESS) {
		SCardReleaseContext(ctx);
		return -1;
	}
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	rlen = sizeof r;
	if (SCardTransmit(h, pci, select_aid, sizeof select_aid, NULL, r, &rlen) == SCARD_S_SUCCESS &&
	    rlen == 2 && r[0] == 0x90) {
		for (i = 0; i < n; i++) {
			double t0 = now_us();
			rlen = sizeof r;
			LONG rc = SCardTransmit(h, pci, get_atc, sizeof get_atc, NULL, r, &rlen);
			t[i] = now_us() - t0;
			if (rc != SCARD_S_SUCCESS || rlen < 2 || r[rlen - 2] != 0x90)
				break;
			got = i + 1;
		}
	}
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return got;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"contact", required_argument, NULL, 'c'},
		{"reader", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	const char *contact = NULL, *reader = NULL;
	static const uint8_t schemes[] = {SC_SCHEME_ENC, SC_SCHEME_ENC_RAND, SC_SCHEME_ENC_DIGEST};
	char what[80];
	double *t;
	int c, n = 1000, k;
	unsigned s;
	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': contact = optarg; break;
		case 'r': reader = optarg; break;
		case 'n': n = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: card_roundtrip --contact SOCK [--reader NAME] [-n RUNS]\n");
			return 2;
		}
	}
	if (contact == NULL || n <= 0) {
		fprintf(stderr, "usage: card_roundtrip --contact SOCK [--reader NAME] [-n RUNS]\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof *t);
	if (t == NULL || sock_open(contact) != 0) {
		fprintf(stderr, "card_roundtrip: cannot reach the card at %s\n", contact);
		return 1;
	}
	printf("card_roundtrip: times in microseconds, %d runs per row\n", n);
	printf("%-46s %6s %12s %12s\n", "what", "runs", "median_us", "p99_us");
	row("APDU round trip, contact socket (GET DATA)", t, bench_contact_apdu(t, n));
	if (reader != NULL) {
		k = bench_pcsc(reader, t, n);
		if (k < 0)
			printf("%-46s  (no PC/SC reader '%s')\n", "APDU round trip, PC/SC via vpcd", reader);
		else
			row("APDU round trip, PC/SC via vpcd (GET DATA)", t, k);
	}
	for (s = 0; s < sizeof schemes; s++) {
		snprintf(what, sizeof what, "SIGN %s, emulator over contact socket",
			 sc_scheme_name(schemes[s]));
		row(what, t, bench_contact_sign(schemes[s], t, n));
	}
	for (s = 0; s < sizeof schemes; s++) {
		snprintf(what, sizeof what, "SIGN %s, core in-process (RAM flash)",
			 sc_scheme_name(schemes[s]));
		row(what, t, bench_inprocess_sign(schemes[s], t, n));
	}
	free(t);
	close(sock_fd);
	return 0;
}
