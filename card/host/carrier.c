/* One frame stream into the card, whatever carries it (a slot's Unix socket
 * or the vpcd TCP connection): the socket I/O around the card's carrier
 * engine (card/carrier/engine.h), which decodes the frames, acts on them
 * and says what to send back. A power cut inside a command drops the peer
 * unanswered, as a real reader gets no answer from a card that lost power. */
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
	c->fd = -1;
	c->quickack = 0;
	/* The buffers are the struct's own and large enough: this cannot fail. */
	(void)card_carrier_init(&c->eng, host_card(), iface, c->body, sizeof c->body, c->reply,
				sizeof c->reply);
}

void carrier_attach(struct carrier *c, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	/* Never blocked on: the loop polls, and writes have a deadline. */
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	c->fd = fd;
	card_carrier_reset(&c->eng);
}

void carrier_detach(struct carrier *c, const char *why)
{
	if (c->name == NULL || c->fd < 0)
		return;   /* never set up, or no peer */
	log_info("%s: peer gone (%s) after %lu frames", c->name, why, c->eng.frames);
	evloop_del(c->fd);
	close(c->fd);
	c->fd = -1;
	if (power_cycling()) {
		/* The core is being restarted: there is no field to take away. */
		card_carrier_reset(&c->eng);
		return;
	}
	/* If it had powered the card, the card left the reader: for the core
	 * this is what starts the on-card confirmation of claim 7. */
	card_carrier_leave(&c->eng);
	power_check();
}

/* Sends the engine's answer to the frame just fed, after checking that the
 * card kept its power through it. 0 or -1 (*why set). */
static int carrier_answer(struct carrier *c, const char **why)
{
	size_t len;
	const uint8_t *out;
	int refused = card_carrier_refused(&c->eng);

	if (power_check()) {
		/* Power died inside the command: a real reader gets no answer. */
		*why = "power cut";
		return -1;
	}
	if (refused != 0)
		log_info("%s: malformed frame (%s): answered 6700", c->name, sc_strerror(refused));
	out = card_carrier_reply(&c->eng, &len);
	if (out != NULL && fio_write_all(c->fd, out, len, CARRIER_WRITE_TIMEOUT_MS) != 0) {
		*why = "write failed";
		return -1;
	}
	return 0;
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
		unsigned long before = c->eng.frames;

		off += card_carrier_feed(&c->eng, in + off, (size_t)n - off);
		if (c->eng.frames != before && carrier_answer(c, why) != 0)
			return -1;
		if (c->fd < 0) {
			*why = "dropped";
			return -1;
		}
	}
	return 0;
}
