/* One frame stream into the card, whatever carries it (a slot's Unix socket
 * or the vpcd TCP connection): frames in, control codes and APDUs to the
 * core, R-APDUs and ATRs out. A malformed frame drops the peer; the card's
 * state is untouched by it. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/errors.h"
#include "host.h"

#define CARRIER_WRITE_TIMEOUT_MS 2000

void carrier_init(struct carrier *c, const char *name, enum card_iface iface)
{
	c->name = name;
	c->iface = iface;
	c->fd = -1;
	c->powered = 0;
	c->quickack = 0;
	c->frames = 0;
	sc_frame_dec_init(&c->dec, c->body, sizeof c->body);
}

void carrier_attach(struct carrier *c, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	/* Never blocked on: the loop polls, and writes have a deadline. */
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	c->fd = fd;
	c->powered = 0;
	c->frames = 0;
	sc_frame_dec_init(&c->dec, c->body, sizeof c->body);
}

void carrier_detach(struct carrier *c, const char *why)
{
	if (c->name == NULL || c->fd < 0)
		return;   /* never set up, or no peer */
	log_info("%s: peer gone (%s) after %lu frames", c->name, why, c->frames);
	evloop_del(c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->powered && !power_cycling()) {
		/* The card left the reader: for the core this is what starts
		 * the on-card confirmation of claim 7. */
		c->powered = 0;
		card_field(c->iface, 0);
		power_check();
	}
	c->powered = 0;
}

static int carrier_reply(struct carrier *c, const uint8_t *body, size_t len, const char **why)
{
	int n = sc_frame_encode(c->reply, sizeof c->reply, body, len);
	if (n < 0) {
		*why = sc_strerror(n);
		return -1;
	}
	if (fio_write_all(c->fd, c->reply, (size_t)n, CARRIER_WRITE_TIMEOUT_MS) != 0) {
		*why = "write failed";
		return -1;
	}
	return 0;
}

/* After a call into the core: a power cut during it ends the connection. */
static int carrier_after_card(const char **why)
{
	if (power_check()) {
		*why = "power cut";
		return -1;
	}
	return 0;
}

static int carrier_control(struct carrier *c, uint8_t code, const char **why)
{
	switch (code) {
	case SC_CTRL_POWER_OFF:
		if (c->powered) {
			c->powered = 0;
			card_field(c->iface, 0);
		}
		return carrier_after_card(why);
	case SC_CTRL_POWER_ON:
	case SC_CTRL_RESET:
		/* Either way the interface starts afresh, nothing selected. */
		c->powered = 1;
		card_field(c->iface, 1);
		return carrier_after_card(why);
	case SC_CTRL_GET_ATR: {
		size_t n = card_atr(c->iface, c->rapdu, sizeof c->rapdu);
		if (n == 0) {
			*why = "card gave no ATR";
			return -1;
		}
		return carrier_reply(c, c->rapdu, n, why);
	}
	default:
		*why = "unknown control code";
		return -1;
	}
}

int carrier_serve(struct carrier *c, const uint8_t *body, size_t len, const char **why)
{
	size_t rlen;
	c->frames++;
	if (len == 1)
		return carrier_control(c, body[0], why);
	if (!c->powered) {
		/* A reader that sends an APDU without powering the card first
		 * gets the card powered, as the contact socket documents. */
		log_debug("%s: APDU before power on: powering the card", c->name);
		c->powered = 1;
		card_field(c->iface, 1);
		if (power_check()) {
			*why = "power cut";
			return -1;
		}
	}
	rlen = card_apdu(c->iface, body, len, c->rapdu, sizeof c->rapdu);
	if (power_check()) {
		/* Power died inside the command: a real reader gets no answer. */
		*why = "power cut";
		return -1;
	}
	if (rlen < 2 || rlen > sizeof c->rapdu) {
		*why = "card gave no status word";
		return -1;
	}
	return carrier_reply(c, c->rapdu, rlen, why);
}

int carrier_on_readable(struct carrier *c, const char **why)
{
	uint8_t in[16384];
	ssize_t n;
	size_t off = 0;
	if (c->quickack) {
		/* Debian's vpcd sends the length and the body in two writes;
		 * without an immediate ACK each APDU waits for delayed ACK. */
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	}
	n = read(c->fd, in, sizeof in);
	if (n == 0) {
		*why = "closed by peer";
		return -1;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		*why = strerror(errno);
		return -1;
	}
	while (off < (size_t)n) {
		size_t body_len = 0;
		int used = sc_frame_dec_feed(&c->dec, in + off, (size_t)n - off, &body_len);
		if (used < 0) {
			*why = sc_strerror(used);
			return -1;
		}
		off += (size_t)used;
		if (body_len > 0 && carrier_serve(c, c->body, body_len, why) != 0)
			return -1;
		if (c->fd < 0) {
			*why = "dropped";
			return -1;
		}
		if (used == 0 && body_len == 0)
			break;   /* no progress: cannot happen with a sane decoder */
	}
	return 0;
}
