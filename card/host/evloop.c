/* A small single-threaded poll() loop: file descriptors with a callback
 * each. Callbacks may add or remove descriptors (their own included). */
#include <errno.h>
#include <string.h>

#include "host.h"

struct ev_entry {
	int fd;              /* -1: free slot */
	short events;
	evloop_cb cb;
	void *arg;
};

static struct ev_entry ev_table[EVLOOP_MAX];
static int ev_ready;

static void ev_init(void)
{
	int i;
	if (ev_ready)
		return;
	for (i = 0; i < EVLOOP_MAX; i++)
		ev_table[i].fd = -1;
	ev_ready = 1;
}

static struct ev_entry *ev_find(int fd)
{
	int i;
	ev_init();
	for (i = 0; i < EVLOOP_MAX; i++)
		if (ev_table[i].fd == fd)
			return &ev_table[i];
	return NULL;
}

int evloop_add(int fd, short events, evloop_cb cb, void *arg)
{
	struct ev_entry *e = ev_find(-1);
	if (fd < 0 || e == NULL)
		return -1;
	e->fd = fd;
	e->events = events;
	e->cb = cb;
	e->arg = arg;
	return 0;
}

void evloop_set_events(int fd, short events)
{
	struct ev_entry *e = ev_find(fd);
	if (fd >= 0 && e != NULL)
		e->events = events;
}

void evloop_del(int fd)
{
	struct ev_entry *e = fd >= 0 ? ev_find(fd) : NULL;
	if (e != NULL)
		e->fd = -1;
}

int evloop_once(int timeout_ms)
{
	struct pollfd pfd[EVLOOP_MAX];
	struct ev_entry snap[EVLOOP_MAX];
	nfds_t n = 0;
	int i, rc;
	ev_init();
	for (i = 0; i < EVLOOP_MAX; i++) {
		if (ev_table[i].fd < 0)
			continue;
		snap[n] = ev_table[i];
		pfd[n].fd = ev_table[i].fd;
		pfd[n].events = ev_table[i].events;
		pfd[n].revents = 0;
		n++;
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < (int)n; i++) {
		struct ev_entry *e;
		if (pfd[i].revents == 0)
			continue;
		/* Skip an fd that an earlier callback of this round removed
		 * (or removed and reused for something else). */
		e = ev_find(pfd[i].fd);
		if (e == NULL || e->cb != snap[i].cb || e->arg != snap[i].arg)
			continue;
		e->cb(pfd[i].fd, pfd[i].revents, e->arg);
	}
	return 0;
}
