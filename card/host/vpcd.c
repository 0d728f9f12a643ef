/* vpcd mode: the card dials pcscd's virtual reader driver (vsmartcard's
 * vpcd) over TCP and then serves its frames like any reader's. pcscd can
 * come and go: the card redials with a backoff of 100 ms doubling to 2 s. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "card/hal.h"
#include "host.h"

#define VPCD_BACKOFF_MIN_MS 100u
#define VPCD_BACKOFF_MAX_MS 2000u
#define VPCD_CONNECT_TIMEOUT_MS 3000u   /* a host that drops SYNs */

static struct carrier vpcd_car;
static char vpcd_host[256];
static char vpcd_port[8];
static int vpcd_on;             /* vpcd mode requested */
static int vpcd_connecting = -1; /* fd of a connect in progress */
static uint32_t vpcd_connect_since; /* tick the connect started */
static uint32_t vpcd_retry_at;  /* tick of the next dial */
static uint32_t vpcd_backoff = VPCD_BACKOFF_MIN_MS;
static int vpcd_quiet;          /* failures logged once until connected */

int vpcd_parse_addr(const char *s, char *host, size_t host_cap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	const char *p = colon != NULL ? colon + 1 : s;
	size_t hlen = colon != NULL ? (size_t)(colon - s) : 0;
	char *end;
	unsigned long v;
	if (*s == '\0') {   /* --vpcd alone: the defaults */
		snprintf(host, host_cap, "%s", VPCD_DEFAULT_HOST);
		*port = VPCD_DEFAULT_PORT;
		return 0;
	}
	if (colon == NULL && strspn(s, "0123456789") != strlen(s)) {
		p = NULL;   /* a host alone */
		hlen = strlen(s);
	}
	if (p != NULL) {
		if (*p == '\0')
			return -1;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || *end != '\0' || v == 0 || v > 65535 || *p == '-' || *p == '+')
			return -1;
		*port = (uint16_t)v;
	} else {
		*port = VPCD_DEFAULT_PORT;
	}
	if (hlen == 0) {
		snprintf(host, host_cap, "%s", VPCD_DEFAULT_HOST);
		return 0;
	}
	if (hlen >= host_cap)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return 0;
}

static void vpcd_schedule(void)
{
	vpcd_retry_at = host_tick_ms() + vpcd_backoff;
	vpcd_backoff = vpcd_backoff * 2u > VPCD_BACKOFF_MAX_MS ? VPCD_BACKOFF_MAX_MS
							      : vpcd_backoff * 2u;
}

static void vpcd_on_data(int fd, short revents, void *arg)
{
	const char *why = "hung up";
	(void)fd;
	(void)arg;
	if ((revents & POLLIN) != 0 && carrier_on_readable(&vpcd_car, &why) == 0)
		return;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0)
		vpcd_drop(why);
}

static void vpcd_fail(const char *what)
{
	if (!vpcd_quiet)
		log_info("vpcd: %s:%s: %s; retrying", vpcd_host, vpcd_port, what);
	vpcd_quiet = 1;
	vpcd_schedule();
}

static void vpcd_on_connected(int fd, short revents, void *arg)
{
	int err = 0, one = 1;
	socklen_t len = sizeof err;
	(void)revents;
	(void)arg;
	evloop_del(fd);
	vpcd_connecting = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		close(fd);
		vpcd_fail(strerror(err != 0 ? err : errno));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (evloop_add(fd, POLLIN, vpcd_on_data, NULL) != 0) {
		close(fd);
		vpcd_fail("too many descriptors");
		return;
	}
	carrier_attach(&vpcd_car, fd);
	vpcd_car.quickack = 1;
	vpcd_backoff = VPCD_BACKOFF_MIN_MS;
	vpcd_quiet = 0;
	log_info("vpcd: connected to %s:%s", vpcd_host, vpcd_port);
}

static void vpcd_dial(void)
{
	struct addrinfo hints, *ai = NULL;
	int fd, rc;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(vpcd_host, vpcd_port, &hints, &ai);
	if (rc != 0) {
		vpcd_fail(gai_strerror(rc));
		return;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		vpcd_fail(strerror(errno));
		return;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc != 0 && errno != EINPROGRESS) {
		int saved = errno;
		close(fd);
		vpcd_fail(strerror(saved));
		return;
	}
	if (evloop_add(fd, POLLOUT, vpcd_on_connected, NULL) != 0) {
		close(fd);
		vpcd_fail("too many descriptors");
		return;
	}
	vpcd_connecting = fd;
	vpcd_connect_since = host_tick_ms();
}

int vpcd_start(const char *host, uint16_t port, enum card_iface iface, const char **why)
{
	if (strlen(host) >= sizeof vpcd_host) {
		*why = "host name too long";
		return -1;
	}
	snprintf(vpcd_host, sizeof vpcd_host, "%s", host);
	snprintf(vpcd_port, sizeof vpcd_port, "%u", (unsigned)port);
	carrier_init(&vpcd_car, "vpcd", iface);
	vpcd_on = 1;
	vpcd_retry_at = host_tick_ms();
	return 0;
}

int vpcd_tick(void)
{
	int32_t left;
	if (vpcd_on && vpcd_connecting >= 0 &&
	    (uint32_t)(host_tick_ms() - vpcd_connect_since) >= VPCD_CONNECT_TIMEOUT_MS) {
		evloop_del(vpcd_connecting);
		close(vpcd_connecting);
		vpcd_connecting = -1;
		vpcd_fail("connect timed out");
	}
	if (vpcd_connecting >= 0)
		return (int)(VPCD_CONNECT_TIMEOUT_MS -
			     (uint32_t)(host_tick_ms() - vpcd_connect_since));
	if (!vpcd_on || vpcd_car.fd >= 0)
		return -1;
	left = (int32_t)(vpcd_retry_at - host_tick_ms());
	if (left > 0)
		return (int)left;
	vpcd_dial();
	return vpcd_connecting >= 0 ? -1 : (int)vpcd_backoff;
}

void vpcd_drop(const char *why)
{
	if (vpcd_car.fd < 0)
		return;
	carrier_detach(&vpcd_car, why);
	if (vpcd_on)
		vpcd_schedule();
}

void vpcd_stop(void)
{
	vpcd_on = 0;
	carrier_detach(&vpcd_car, "stopping");
	if (vpcd_connecting >= 0) {
		evloop_del(vpcd_connecting);
		close(vpcd_connecting);
		vpcd_connecting = -1;
	}
}
