/* The daemon's single-threaded event loop: file descriptors with a callback
 * each, on one libevent base that the card's web page (web.c, evhttp) shares,
 * so a browser is served in the same turn of the loop as a reader and never
 * from another thread. Callbacks may add or remove descriptors (their own
 * included): libevent drops the pending callback of an event freed before
 * it ran. */
#include <string.h>

#include <event2/event.h>

#include "host.h"

struct ev_entry {
	int fd;              /* -1: free slot */
	short events;        /* POLLIN/POLLOUT wanted; 0 = parked */
	evloop_cb cb;
	void *arg;
	struct event *ev;    /* owned; NULL while parked */
};

static struct ev_entry ev_table[EVLOOP_MAX];
static struct event_base *ev_base;
static struct event *ev_timer;   /* ends one evloop_once at its timeout */
static int ev_ready;

static void ev_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int ev_init(void)
{
	int i;
	if (ev_ready)
		return 0;
	ev_base = event_base_new();
	if (ev_base == NULL)
		return -1;
	ev_timer = evtimer_new(ev_base, ev_on_timer, NULL);
	if (ev_timer == NULL) {
		event_base_free(ev_base);
		ev_base = NULL;
		return -1;
	}
	for (i = 0; i < EVLOOP_MAX; i++)
		ev_table[i].fd = -1;
	ev_ready = 1;
	return 0;
}

struct event_base *evloop_base(void)
{
	return ev_init() == 0 ? ev_base : NULL;
}

void evloop_after_fork(void)
{
	if (ev_ready && event_reinit(ev_base) != 0)
		log_warnx("evloop: cannot set the event loop up again after the fork");
}

static struct ev_entry *ev_find(int fd)
{
	int i;
	if (ev_init() != 0)
		return NULL;
	for (i = 0; i < EVLOOP_MAX; i++)
		if (ev_table[i].fd == fd)
			return &ev_table[i];
	return NULL;
}

static void ev_dispatch(evutil_socket_t fd, short what, void *arg)
{
	struct ev_entry *e = arg;
	short revents = 0;
	if ((what & EV_READ) != 0)
		revents |= POLLIN;
	if ((what & EV_WRITE) != 0)
		revents |= POLLOUT;
	e->cb((int)fd, revents, e->arg);
}

/* (Re)arms e's event for e->events: 0, or -1 if libevent refused. */
static int ev_arm(struct ev_entry *e)
{
	short what = EV_PERSIST;
	if (e->ev != NULL) {
		event_free(e->ev);
		e->ev = NULL;
	}
	if (e->events == 0)
		return 0;
	if ((e->events & POLLIN) != 0)
		what |= EV_READ;
	if ((e->events & POLLOUT) != 0)
		what |= EV_WRITE;
	e->ev = event_new(ev_base, e->fd, what, ev_dispatch, e);
	if (e->ev == NULL || event_add(e->ev, NULL) != 0) {
		if (e->ev != NULL)
			event_free(e->ev);
		e->ev = NULL;
		return -1;
	}
	return 0;
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
	e->ev = NULL;
	if (ev_arm(e) != 0) {
		e->fd = -1;
		return -1;
	}
	return 0;
}

void evloop_set_events(int fd, short events)
{
	struct ev_entry *e = fd >= 0 ? ev_find(fd) : NULL;
	if (e == NULL || e->events == events)
		return;
	e->events = events;
	if (ev_arm(e) != 0)
		log_warnx("evloop: cannot watch descriptor %d", fd);
}

void evloop_del(int fd)
{
	struct ev_entry *e = fd >= 0 ? ev_find(fd) : NULL;
	if (e == NULL)
		return;
	if (e->ev != NULL)
		event_free(e->ev);
	e->ev = NULL;
	e->fd = -1;
}

int evloop_once(int timeout_ms)
{
	struct timeval tv;
	if (ev_init() != 0)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	/* The timer is always pending, so EVLOOP_ONCE returns after the first
	 * round of callbacks or at the timeout, whichever comes first. A
	 * signal only ends the round at the timeout (libevent retries the
	 * wait), which is at most RUN_POLL_MS away. */
	if (evtimer_add(ev_timer, &tv) != 0)
		return -1;
	if (event_base_loop(ev_base, EVLOOP_ONCE) < 0)
		return -1;
	evtimer_del(ev_timer);
	return 0;
}
