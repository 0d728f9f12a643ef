/* frameclient: talks the carrier frame protocol (common/frame.h) to a card
 * on a Unix socket (or over TCP), for tests and by hand. Each argument is
 * one step; every reply is printed as one line of uppercase hex.
 *
 *   frameclient [-g] [-t MS] SOCKET|tcp:HOST:PORT STEP...
 *   STEP: HEX        a C-APDU (the R-APDU is printed: data then SW)
 *         on|off|reset  control codes 01, 00, 02 (no reply)
 *         atr        control code 04 (the ATR is printed)
 *         body:HEX   any frame body, sent as is (the reply printed; none is
 *                    awaited for the power codes 00, 01, 02)
 *         bytes:HEX  raw bytes with no framing (nothing awaited)
 *         empty      a zero-length frame, 00 00 (its refusal is printed)
 *         eof        expect the card to close the connection
 *         wait       wait for a line (or end of file) on standard input:
 *                    the test's cue, while this reader holds the slot
 *   -g: follow 61xx with GET RESPONSE and print the joined answer.
 * Exit: 0 all steps done, 1 a step failed (no reply, bad reply, no eof), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/apdu.h"
#include "common/applet.h"
#include "common/frame.h"
#include "common/hex.h"
#include "hostlib/frameio.h"
#include "tests/support/server_client.h"

static int timeout_ms = 5000;
static uint8_t body[SC_FRAME_MAX_BODY];

static int send_body(int fd, const uint8_t *b, size_t n)
{
	return fio_write_frame(fd, b, n, timeout_ms) == 0 ? 0 : -1;
}

/* One reply frame into body within the timeout; its length or -1. */
static long recv_body(int fd)
{
	size_t n;
	return fio_read_frame(fd, body, sizeof body, &n, timeout_ms, 0) == 0 ? (long)n : -1;
}

static void print_hex(const uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
	fflush(stdout);
}

/* A C-APDU; with follow, 61xx is chased with GET RESPONSE. */
static int apdu(int fd, const uint8_t *cmd, size_t n, int follow)
{
	static uint8_t joined[SC_FRAME_MAX_BODY + 2];
	size_t got = 0;
	long r;
	if (send_body(fd, cmd, n) != 0)
		return -1;
	for (;;) {
		uint8_t gr[5] = {SC_CLA_ISO, SC_INS_GET_RESPONSE, 0x00, 0x00, 0x00};
		r = recv_body(fd);
		if (r < 2 || (size_t)r - 2 > sizeof joined - 2 - got)
			return -1;
		memcpy(joined + got, body, (size_t)r - 2);
		got += (size_t)r - 2;
		if (!follow || body[r - 2] != 0x61) {
			joined[got] = body[r - 2];
			joined[got + 1] = body[r - 1];
			print_hex(joined, got + 2);
			return 0;
		}
		gr[4] = body[r - 1];
		if (send_body(fd, gr, sizeof gr) != 0)
			return -1;
	}
}

static int step(int fd, const char *s, int follow)
{
	static uint8_t buf[SC_FRAME_MAX_BODY];
	uint8_t code;
	int n;
	long r;
	if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0 || strcmp(s, "reset") == 0) {
		code = s[1] == 'n' ? SC_CTRL_POWER_ON : s[1] == 'f' ? SC_CTRL_POWER_OFF : SC_CTRL_RESET;
		return send_body(fd, &code, 1);
	}
	if (strcmp(s, "atr") == 0) {
		code = SC_CTRL_GET_ATR;
		if (send_body(fd, &code, 1) != 0 || (r = recv_body(fd)) < 0)
			return -1;
		print_hex(body, (size_t)r);
		return 0;
	}
	if (strcmp(s, "eof") == 0) {
		size_t n_eof;
		return fio_read_frame(fd, body, sizeof body, &n_eof, timeout_ms, 0) == FIO_ERR_CLOSED ? 0 : -1;
	}
	if (strcmp(s, "wait") == 0) {
		int ch;
		while ((ch = getchar()) != EOF && ch != '\n')
			;
		return 0;
	}
	if (strcmp(s, "empty") == 0) {
		static const uint8_t zero[SC_FRAME_HDR] = {0, 0};
		if (sclient_write_all(fd, zero, sizeof zero) != 0 || (r = recv_body(fd)) < 0)
			return -1;
		print_hex(body, (size_t)r);
		return 0;
	}
	if (strncmp(s, "bytes:", 6) == 0) {
		n = sc_hex_decode(buf, sizeof buf, s + 6);
		return n <= 0 ? -1 : sclient_write_all(fd, buf, (size_t)n);
	}
	if (strncmp(s, "body:", 5) == 0) {
		n = sc_hex_decode(buf, sizeof buf, s + 5);
		if (n <= 0)
			return -1;
		r = fio_write_frame(fd, buf, (size_t)n, timeout_ms);
		if (r != 0) {
			fprintf(stderr, "frameclient: sending the frame: %s\n", fio_strerror((int)r));
			return -1;
		}
		/* Every frame but power off, on and reset is answered, a
		 * malformed one with 6700 (docs/PROTOCOL.md §1). */
		if (n == 1 && (buf[0] == SC_CTRL_POWER_OFF || buf[0] == SC_CTRL_POWER_ON ||
			       buf[0] == SC_CTRL_RESET))
			return 0;
		if ((r = recv_body(fd)) < 0)
			return -1;
		print_hex(body, (size_t)r);
		return 0;
	}
	n = sc_hex_decode(buf, sizeof buf, s);
	if (n < 4)
		return -1;
	return apdu(fd, buf, (size_t)n, follow);
}

int main(int argc, char **argv)
{
	int c, fd, follow = 0, i;
	while ((c = getopt(argc, argv, "gt:h")) != -1) {
		switch (c) {
		case 'g': follow = 1; break;
		case 't': timeout_ms = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: frameclient [-g] [-t MS] SOCKET|tcp:HOST:PORT STEP...\n");
			return 2;
		}
	}
	if (argc - optind < 1) {
		fprintf(stderr, "usage: frameclient [-g] [-t MS] SOCKET|tcp:HOST:PORT STEP...\n");
		return 2;
	}
	fd = sclient_connect(argv[optind]);
	if (fd < 0) {
		fprintf(stderr, "frameclient: cannot connect to %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	for (i = optind + 1; i < argc; i++) {
		if (step(fd, argv[i], follow) != 0) {
			fprintf(stderr, "frameclient: step '%s' failed\n", argv[i]);
			close(fd);
			return 1;
		}
	}
	close(fd);
	return 0;
}
