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
#include "hostlib/frameio.h"
#include "hostlib/sock.h"
#include "terminal/terminal.h"

int term_unix_connect(const char *path, char *err, size_t cap)
{
	int fd = sock_unix_connect(path, -1);
	if (fd == SOCK_ERR_PATH_TOO_LONG)
		return term_errf(err, cap, TERM_EXIT_USAGE, "socket path too long: %s", path);
	if (fd < 0)
		return term_errf(err, cap, TERM_EXIT_CARD_ABSENT, "%s: %s", path, sock_strerror(fd));
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
	int rc = fio_write_frame(c->fd, body, len, c->timeout_ms);
	if (rc == FIO_ERR_CLOSED)
		return removed(c, what);
	if (rc == FIO_ERR_FRAME_SIZE || rc == FIO_ERR_FRAME_EMPTY)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: a frame body of %zu bytes cannot be sent", c->spec, len);
	if (rc != 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR, "%s: send during %s: %s",
				 c->spec, what, fio_strerror(rc));
	return 0;
}

/* Reads exactly one frame into out within the carrier's timeout. The card
 * speaks only when spoken to, so nothing may follow the frame. The bytes
 * (which may hold the joint password) go nowhere but out. */
static int recv_frame(struct term_carrier *c, uint8_t *out, size_t cap, size_t *len,
		      const char *what)
{
	int rc = fio_read_frame(c->fd, out, cap, len, c->timeout_ms, FIO_ALONE);
	switch (rc) {
	case 0:
		return 0;
	case FIO_ERR_TIMEOUT:
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: no answer to %s within %d ms", c->spec, what, c->timeout_ms);
	case FIO_ERR_CLOSED:
		return removed(c, what);
	case FIO_ERR_TRAILING:
		drop(c);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: the card sent more than one frame in answer to %s", c->spec,
				 what);
	case FIO_ERR_FRAME_SIZE:
	case FIO_ERR_FRAME_EMPTY:
		drop(c);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: bad frame from the card in answer to %s: %s", c->spec, what,
				 fio_strerror(rc));
	default:
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR, "%s: recv: %s",
				 c->spec, fio_strerror(rc));
	}
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
