/* The unix: carrier: the emulated card's slot is a Unix socket that the card
 * listens on, framed as in common/frame.h (vpcd's protocol). Power on, power
 * off and reset get no answer; GET ATR and APDUs get one frame back. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/frame.h"
#include "common/scheme.h"
#include "terminal/terminal.h"

int term_unix_connect(const char *path, char *err, size_t cap)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return term_errf(err, cap, TERM_EXIT_USAGE, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return term_errf(err, cap, TERM_EXIT_FAILURE, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		close(fd);
		return term_errf(err, cap, TERM_EXIT_CARD_ABSENT, "%s: %s", path, strerror(e));
	}
	return fd;
}

static void drop(struct term_carrier *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* The peer went away in the middle of an exchange: the card left. */
static int removed(struct term_carrier *c, const char *what)
{
	drop(c);
	return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_REMOVED,
			 "%s: the card left the reader during %s", c->spec, what);
}

static int send_frame(struct term_carrier *c, const uint8_t *body, size_t len, const char *what)
{
	uint8_t hdr[SC_FRAME_HDR];
	if (len == 0 || len > SC_FRAME_MAX_BODY)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: a frame body of %zu bytes cannot be sent", c->spec, len);
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)(uintptr_t)body, len}};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	size_t left = sizeof hdr + len;
	while (left > 0) {
		ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return removed(c, what);
		if (n < 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
					 "%s: send: %s", c->spec, strerror(errno));
		left -= (size_t)n;
		size_t skip = (size_t)n;
		while (skip > 0 && m.msg_iovlen > 0) {
			if (skip >= m.msg_iov[0].iov_len) {
				skip -= m.msg_iov[0].iov_len;
				m.msg_iov++;
				m.msg_iovlen--;
			} else {
				m.msg_iov[0].iov_base = (uint8_t *)m.msg_iov[0].iov_base + skip;
				m.msg_iov[0].iov_len -= skip;
				skip = 0;
			}
		}
	}
	return 0;
}

/* Reads exactly one frame into out within the carrier's timeout. The card
 * speaks only when spoken to, so nothing may follow the frame. */
static int recv_frame_chunked(struct term_carrier *c, uint8_t *out, size_t cap, size_t *len,
			      const char *what, uint8_t *chunk, size_t chunk_cap)
{
	struct sc_frame_dec dec;
	int64_t deadline = term_now_ms() + c->timeout_ms;
	sc_frame_dec_init(&dec, out, cap);
	*len = 0;
	for (;;) {
		int64_t left = deadline - term_now_ms();
		if (left <= 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
					 "%s: no answer to %s within %d ms", c->spec, what,
					 c->timeout_ms);
		struct pollfd p = {c->fd, POLLIN, 0};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE, "poll: %s",
					 strerror(errno));
		if (r == 0)
			continue;
		ssize_t n = recv(c->fd, chunk, chunk_cap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
			return removed(c, what);
		if (n < 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR, "%s: recv: %s",
					 c->spec, strerror(errno));
		size_t body_len = 0;
		int used = sc_frame_dec_feed(&dec, chunk, (size_t)n, &body_len);
		if (used < 0) {
			drop(c);
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
					 "%s: bad frame from the card in answer to %s: %s", c->spec,
					 what, sc_strerror(used));
		}
		if (body_len > 0 && (size_t)used != (size_t)n) {
			drop(c);
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
					 "%s: the card sent more than one frame in answer to %s",
					 c->spec, what);
		}
		if (body_len > 0) {
			*len = body_len;
			return 0;
		}
	}
}

/* The card's answers may hold the joint password: the bytes read pass
 * through chunk, which is wiped before it goes. */
static int recv_frame(struct term_carrier *c, uint8_t *out, size_t cap, size_t *len,
		      const char *what)
{
	uint8_t chunk[4096];
	int rc = recv_frame_chunked(c, out, cap, len, what, chunk, sizeof chunk);
	sc_wipe(chunk, sizeof chunk);
	return rc;
}

static int unix_control(struct term_carrier *c, uint8_t code, const char *what)
{
	return send_frame(c, &code, 1, what);
}

static int unix_connect_slot(struct term_carrier *c)
{
	if (c->fd >= 0)
		return 0;
	int fd = term_unix_connect(c->path, c->err, sizeof c->err);
	if (fd == -TERM_EXIT_CARD_ABSENT) {
		char why[TERM_ERR_MAX];
		memcpy(why, c->err, sizeof why);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
				 "no card in %s (%s)", c->spec, why);
	}
	if (fd < 0)
		return fd;
	c->fd = fd;
	return 0;
}

static int unix_power_on(struct term_carrier *c, uint8_t *atr, size_t cap, size_t *atr_len)
{
	int rc = unix_connect_slot(c);
	if (rc == 0)
		rc = unix_control(c, SC_CTRL_POWER_ON, "power on");
	if (rc == 0)
		rc = unix_control(c, SC_CTRL_GET_ATR, "get ATR");
	if (rc == 0)
		rc = recv_frame(c, atr, cap, atr_len, "get ATR");
	if (rc == -TERM_EXIT_CARD_REMOVED) {
		/* Gone before it ever answered: to the user, there was no card. */
		char why[TERM_ERR_MAX];
		memcpy(why, c->err, sizeof why);
		rc = term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT, "%s", why);
	}
	return rc;
}

static int unix_transmit(struct term_carrier *c, const uint8_t *capdu, size_t len,
			 uint8_t *rapdu, size_t cap, size_t *rlen)
{
	if (c->fd < 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
				 "%s: the card is not powered (no power on)", c->spec);
	int rc = send_frame(c, capdu, len, "a command");
	if (rc == 0)
		rc = recv_frame(c, rapdu, cap, rlen, "a command");
	return rc;
}

static int unix_power_off(struct term_carrier *c)
{
	if (c->fd < 0)
		return 0;
	/* If the card is already gone, it has left the reader: that is the
	 * state asked for, so a failed send is not an error here. */
	(void)unix_control(c, SC_CTRL_POWER_OFF, "power off");
	drop(c);
	return 0;
}

static int unix_present(struct term_carrier *c)
{
	if (c->fd >= 0) {
		struct pollfd p = {c->fd, POLLIN, 0};
		uint8_t b;
		if (poll(&p, 1, 0) > 0 && recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			drop(c);
			return 0;
		}
		return 1;
	}
	int fd = term_unix_connect(c->path, NULL, 0);
	if (fd == -TERM_EXIT_CARD_ABSENT)
		return 0;
	if (fd < 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: cannot probe the slot", c->spec);
	close(fd);
	return 1;
}

static void unix_close(struct term_carrier *c)
{
	drop(c);
}

const struct term_carrier_ops term_carrier_unix_ops = {
	.kind = "unix",
	.power_on = unix_power_on,
	.transmit = unix_transmit,
	.power_off = unix_power_off,
	.present = unix_present,
	.close = unix_close,
};
