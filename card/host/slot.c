/* The card's two slots as Unix sockets it listens on: the contact slot and
 * the contactless field. One reader per slot at a time: a second one is
 * refused (closed at once, with a log line); a reader leaving is the card
 * leaving that reader. A reader that sends nothing for --reader-idle-timeout
 * seconds is dropped (slot_tick), so an idle one cannot hold a slot for
 * ever. */
#include <sys/socket.h>
#include <unistd.h>

#include "card/hal.h"
#include "host.h"

struct slot {
	int listen_fd;            /* -1: slot not offered */
	const char *path;         /* the socket's path, removed at the end */
	struct carrier car;
	uint32_t last_ms;         /* hal_tick_ms of the reader's last frame or connect */
};

/* No reader in either (car.fd -1) until the slot is opened: fd 0 would be
 * a reader as far as slot_busy and the control socket's status know. */
static struct slot slots[2] = {{-1, NULL, {.fd = -1}, 0}, {-1, NULL, {.fd = -1}, 0}};
static uint32_t idle_limit_ms = SLOT_IDLE_DEFAULT_S * 1000u;
static const char *const slot_names[2] = {"contact", "contactless"};

static void slot_on_client(int fd, short revents, void *arg)
{
	struct slot *s = arg;
	const char *why = "hung up";
	(void)fd;
	s->last_ms = host_tick_ms();
	if ((revents & POLLIN) != 0 && carrier_on_readable(&s->car, &why) == 0)
		return;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0)
		carrier_detach(&s->car, why);
}

static void slot_on_accept(int fd, short revents, void *arg)
{
	struct slot *s = arg;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	(void)revents;
	if (c < 0)
		return;
	if (s->car.fd >= 0) {
		/* The reader in the slot may have just left, its goodbye not yet
		 * read in this round: serve what it sent first, so a reader that
		 * reconnects at once is not refused. */
		struct pollfd p = {s->car.fd, POLLIN, 0};
		if (poll(&p, 1, 0) > 0)
			slot_on_client(s->car.fd, p.revents, s);
	}
	if (s->car.fd >= 0) {
		log_warnx("%s: a reader is already connected: refusing another", s->car.name);
		close(c);
		return;
	}
	if (evloop_add(c, POLLIN, slot_on_client, s) != 0) {
		log_warnx("%s: too many descriptors: refusing the reader", s->car.name);
		close(c);
		return;
	}
	carrier_attach(&s->car, c);
	s->last_ms = host_tick_ms();
	log_info("%s: reader connected", s->car.name);
}

int slot_open(enum card_iface iface, const char *path, const char **why)
{
	struct slot *s = &slots[iface == CARD_IFACE_CONTACTLESS];
	int fd = sock_unix_listen(path, 0600, 4);
	if (fd < 0) {
		*why = sock_strerror(fd);
		return -1;
	}
	if (evloop_add(fd, POLLIN, slot_on_accept, s) != 0) {
		*why = "too many descriptors";
		close(fd);
		return -1;
	}
	carrier_init(&s->car, slot_names[iface == CARD_IFACE_CONTACTLESS], iface);
	s->listen_fd = fd;
	s->path = path;
	return 0;
}

void slot_drop_clients(const char *why)
{
	unsigned i;
	for (i = 0; i < 2; i++)
		carrier_detach(&slots[i].car, why);
}

void slot_close_all(void)
{
	unsigned i;
	slot_drop_clients("stopping");
	for (i = 0; i < 2; i++) {
		if (slots[i].listen_fd < 0)
			continue;
		evloop_del(slots[i].listen_fd);
		close(slots[i].listen_fd);
		unlink(slots[i].path);
		slots[i].listen_fd = -1;
	}
}

int slot_busy(enum card_iface iface)
{
	const struct slot *s = &slots[iface == CARD_IFACE_CONTACTLESS];

	return s->listen_fd >= 0 && s->car.fd >= 0;
}

void slot_set_idle_timeout(uint32_t seconds)
{
	idle_limit_ms = seconds * 1000u;
}

int slot_tick(void)
{
	int next = -1;
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct slot *s = &slots[i];
		uint32_t idle;

		if (s->listen_fd < 0 || s->car.fd < 0)
			continue;
		idle = host_tick_ms() - s->last_ms;
		if (idle >= idle_limit_ms) {
			carrier_detach(&s->car, "idle past --reader-idle-timeout");
			continue;
		}
		if (next < 0 || idle_limit_ms - idle < (uint32_t)next)
			next = (int)(idle_limit_ms - idle);
	}
	return next;
}
