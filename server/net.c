/* Submission peers on the event loop: TCP and Unix listeners, frame
 * reassembly with a size limit, one request in flight per peer (its input
 * waits meanwhile), replies handed back from the other threads. A slow or
 * malformed peer costs only its own connection: its pending output is
 * bounded (reading stops past SRV_OUTPUT_HWM), it has --request-timeout
 * seconds to complete its first request and each frame it starts (between
 * requests it is idle, under --idle-timeout), a full server drops its least
 * recently active idle peer to make room, and the listeners back off while
 * the process is out of file descriptors instead of spinning on accept(). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "common/frame.h"
#include "hostlib/sock.h"
#include "server.h"
#include "server/tls.h"

/* Output a peer may leave unread before the server stops reading from it;
 * reading resumes once the output is back under half of it. */
#define SRV_OUTPUT_HWM (64u * 1024u)

struct srv_conn {
	struct srv_net *net;
	struct bufferevent *bev;    /* NULL once the peer is gone */
	uint64_t serial;
	char peer[64];
	int busy;                   /* a request of this peer is in flight */
	int closing;                /* free once the output is flushed */
	int throttled;              /* reading off: too much output unread */
	int served;                 /* has completed a request */
	int tls;                    /* came to the TLS listener */
	int handshaken;             /* its TLS handshake is complete */
	char terminal[SC_TERMINAL_ID_MAX + 1]; /* its certificate's terminal id */
	struct event *deadline;     /* fires if a request is not complete in time */
	struct srv_conn *prev, *next; /* most recently active first */
};

struct srv_net {
	struct srv *s;
	struct event_base *base;
	struct evconnlistener *tcp, *unx;
	struct srv_tls *tls;        /* on tcp, unless --insecure-plain-tcp */
	struct event *done_ev;      /* wakes the loop for finished jobs */
	pthread_mutex_t mu;
	struct srv_job *done_head, *done_tail;
	struct srv_conn *conns, *oldest; /* by last activity, newest first */
	long nconns, in_flight;
	int draining;
	int accept_paused;          /* listeners off after EMFILE and the like */
	struct event *accept_ev;    /* turns them back on */
	struct srv_ratelog accept_log;
	uint64_t serial;
};

/* The receipt key list (GET RECEIPT KEYS), public and fixed since the
 * start like the receipt key: answered at once, nothing to queue. */
static void answer_receipt_keys(struct bufferevent *bev, const struct srv_ring *ring)
{
	uint8_t frame[SC_FRAME_HDR + SC_RECEIPT_KEYS_MSG_MAX];
	int fn = sc_frame_encode(frame, sizeof(frame), ring->msg, ring->msg_len);

	if (fn > 0)
		bufferevent_write(bev, frame, (size_t)fn);
}

static void conn_read(struct bufferevent *bev, void *arg);
static void accept_resume(struct srv_net *n);

static void list_unlink(struct srv_conn *c)
{
	struct srv_net *n = c->net;

	if (c->prev)
		c->prev->next = c->next;
	else
		n->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		n->oldest = c->prev;
	c->prev = c->next = NULL;
}

static void list_push(struct srv_conn *c)
{
	struct srv_net *n = c->net;

	c->prev = NULL;
	c->next = n->conns;
	if (n->conns)
		n->conns->prev = c;
	else
		n->oldest = c;
	n->conns = c;
}

/* The peer has until --request-timeout from now to complete a request. */
static void deadline_arm(struct srv_conn *c)
{
	struct timeval tv = {c->net->s->cfg.request_timeout, 0};

	evtimer_add(c->deadline, &tv);
}

/* The request deadline binds a peer that has not completed a request yet
 * (it runs from accept) and one part-way through a frame (from when the
 * loop first saw its bytes). A peer that has been answered and sent nothing
 * since is idle: a terminal keeps its connection while the holder confirms
 * on the card, which takes longer than any request should. --idle-timeout
 * and the full server's dropping of its least recently active idle peer
 * bound it instead. pending: the unparsed input bytes. */
static void deadline_update(struct srv_conn *c, size_t pending)
{
	if (!c->served)
		return; /* the deadline from accept runs on */
	if (pending == 0)
		evtimer_del(c->deadline);
	else if (!evtimer_pending(c->deadline, NULL))
		deadline_arm(c);
}

static void conn_free(struct srv_conn *c)
{
	struct srv_net *n = c->net;

	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->deadline)
		event_free(c->deadline);
	c->deadline = NULL;
	if (c->busy)
		return; /* the job still points here: freed when it returns */
	list_unlink(c);
	n->nconns--;
	atomic_fetch_sub(&srv_metrics.connections, 1);
	free(c);
	if (n->accept_paused)
		accept_resume(n); /* a descriptor is free again */
}

static void conn_drop(struct srv_conn *c, const char *why)
{
	atomic_fetch_add(&srv_metrics.peers_dropped, 1);
	log_debug("peer %s dropped: %s", c->peer, why);
	conn_free(c);
}

static void conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct srv_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->tls && !c->handshaken) {
		atomic_fetch_add(&srv_metrics.tls_refused[SRV_TLS_TIMEOUT], 1);
		conn_drop(c, "TLS handshake not done within --request-timeout");
	} else if (!c->busy && !c->closing) {
		conn_drop(c, c->served ? "a frame not completed within --request-timeout"
				       : "no request within --request-timeout");
	}
}

/* Below the low mark again: read what the peer sent meanwhile. */
static void conn_unthrottle(struct srv_conn *c)
{
	c->throttled = 0;
	bufferevent_enable(c->bev, EV_READ);
	conn_read(c->bev, c);
}

static void conn_write_done(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;

	(void)bev;
	if (c->closing)
		conn_free(c);
	else if (c->throttled)
		conn_unthrottle(c);
}

/* A TLS peer's handshake ended: admitted with its certificate's terminal
 * id, or refused, counted by reason, before any frame of it was read. */
static void conn_handshake(struct srv_conn *c, short what)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	int reason;

	if (what & BEV_EVENT_CONNECTED) {
		if (srv_tls_peer_id(ssl, c->terminal) == 0) {
			c->handshaken = 1;
			atomic_fetch_add(&srv_metrics.tls_handshakes, 1);
			log_debug("peer %s is terminal %s", c->peer, c->terminal);
		} else {
			atomic_fetch_add(&srv_metrics.tls_refused[SRV_TLS_BAD_CHAIN], 1);
			conn_drop(c, "TLS refused: the certificate's CN is no terminal id");
		}
		return;
	}
	reason = srv_tls_refused(ssl, bufferevent_get_openssl_error(c->bev));
	while (bufferevent_get_openssl_error(c->bev))
		;
	atomic_fetch_add(&srv_metrics.peers_dropped, 1);
	log_debug("peer %s dropped: TLS handshake refused (%s)", c->peer,
		  srv_tls_refusal_name(reason));
	conn_free(c);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct srv_conn *c = arg;

	(void)bev;
	if (c->tls && !c->handshaken) {
		if (what & BEV_EVENT_TIMEOUT) {
			atomic_fetch_add(&srv_metrics.tls_refused[SRV_TLS_TIMEOUT], 1);
			conn_drop(c, "TLS handshake not done within --idle-timeout");
		} else {
			conn_handshake(c, what);
		}
		return;
	}
	if (c->tls)
		while (bufferevent_get_openssl_error(bev))
			; /* the thread's error queue stays clean */
	if (what & (BEV_EVENT_TIMEOUT | BEV_EVENT_ERROR)) {
		atomic_fetch_add(&srv_metrics.peers_dropped, 1);
		log_debug("peer %s dropped: %s", c->peer,
			  what & BEV_EVENT_TIMEOUT ? "idle timeout" : "socket error");
	}
	conn_free(c);
}

static struct srv_job *job_new(struct srv_conn *c, enum srv_job_kind kind)
{
	struct srv_job *j = calloc(1, sizeof(*j));
	struct timespec now;

	if (!j)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	j->received_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	j->kind = kind;
	j->conn = c;
	j->conn_serial = c->serial;
	j->code = -1;
	snprintf(j->peer, sizeof(j->peer), "%s", c->peer);
	memcpy(j->peer_terminal, c->terminal, sizeof(j->peer_terminal));
	return j;
}

/* Hands j to its first stage. The peer's next frames wait in its input
 * buffer until the reply (conn_read parses nothing while busy); reading
 * stays enabled, since switching it off and on costs two epoll_ctl calls
 * per request, and the buffer's high watermark bounds what a peer can
 * send ahead. */
static void dispatch(struct srv_conn *c, struct srv_job *j)
{
	struct srv *s = c->net->s;

	c->busy = 1;
	c->served = 1;
	evtimer_del(c->deadline);
	/* The least recently active peer is the first to go when full. */
	list_unlink(c);
	list_push(c);
	c->net->in_flight++;
	atomic_fetch_add(&srv_metrics.in_flight, 1);
	/* A pre-check only reads: a verify thread answers it (precheck.c). */
	if (j->kind == JOB_SUBMIT || j->kind == JOB_PRECHECK) {
		atomic_fetch_add(&srv_metrics.verify_queue, 1);
		srv_queue_push(&s->verify_q, j);
	} else {
		atomic_fetch_add(&srv_metrics.writer_queue, 1);
		srv_queue_push(&s->writer_q, j);
	}
}

/* A frame the peer should not have sent: answer MALFORMED (recorded in the
 * audit log like any submission) and drop the peer, whose stream may no
 * longer be in step. */
static void reject(struct srv_conn *c, const uint8_t *raw, size_t len, const char *why)
{
	struct srv_job *j = job_new(c, JOB_REJECT);

	atomic_fetch_add(&srv_metrics.peers_dropped, 1);
	log_debug("peer %s: %s", c->peer, why);
	if (!j) {
		conn_free(c);
		return;
	}
	if (len > sizeof(j->body))
		len = sizeof(j->body);
	memcpy(j->body, raw, len);
	j->body_len = len;
	j->close_after = 1;
	srv_job_reply_error(j, SC_RES_MALFORMED, why);
	dispatch(c, j);
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct srv_net *n = c->net;

	while (!c->busy && !c->closing) {
		uint8_t hdr[SC_FRAME_HDR];
		size_t have = evbuffer_get_length(in), len;
		struct srv_job *j;
		uint8_t type = 0;

		if (evbuffer_get_length(bufferevent_get_output(bev)) > SRV_OUTPUT_HWM) {
			/* The peer does not read its replies: neither do we, until
			 * the write callback finds the output drained. Not reading
			 * is our doing: no request deadline meanwhile, the write
			 * timeout (--idle-timeout) bounds it. */
			c->throttled = 1;
			bufferevent_disable(bev, EV_READ);
			deadline_update(c, 0);
			return;
		}
		if (have < SC_FRAME_HDR) {
			deadline_update(c, have);
			return;
		}
		evbuffer_copyout(in, hdr, SC_FRAME_HDR);
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (len == 0 || len > n->s->cfg.max_frame) {
			reject(c, hdr, sizeof(hdr), len ? "frame longer than --max-frame"
						       : "empty frame");
			return;
		}
		if (have < SC_FRAME_HDR + len) {
			deadline_update(c, have);
			return;
		}
		evbuffer_drain(in, SC_FRAME_HDR);
		evbuffer_copyout(in, &type, 1);
		if (type == SC_MSG_GET_RECEIPT_KEY && len == 1) {
			/* Public and constant: answered here, nothing to queue. */
			uint8_t body[1 + SC_PUBKEY_LEN], frame[SC_FRAME_HDR + sizeof(body)];
			int bn = sc_receipt_key_encode(body, sizeof(body), n->s->receipt_pub);
			int fn = bn > 0 ? sc_frame_encode(frame, sizeof(frame), body, (size_t)bn) : -1;

			evbuffer_drain(in, len);
			if (fn > 0)
				bufferevent_write(bev, frame, (size_t)fn);
			c->served = 1;
			continue;
		}
		if (type == SC_MSG_GET_RECEIPT_KEYS && len == 1) {
			evbuffer_drain(in, len);
			answer_receipt_keys(bev, &n->s->ring);
			continue;
		}
		j = job_new(c, type == SC_MSG_GET_CHALLENGE ? JOB_CHALLENGE :
			       type == SC_MSG_SUBMIT ? JOB_SUBMIT :
			       type == SC_MSG_GET_ISSUER_SCRIPT ? JOB_SCRIPT_GET :
			       type == SC_MSG_SCRIPT_REPORT ? JOB_SCRIPT_REPORT :
			       type == SC_MSG_PRECHECK ? JOB_PRECHECK : JOB_REJECT);
		if (!j) {
			conn_free(c);
			return;
		}
		evbuffer_remove(in, j->body, len);
		j->body_len = len;
		if (j->kind == JOB_REJECT)
			srv_job_reply_error(j, SC_RES_MALFORMED, "unknown message type");
		dispatch(c, j);
	}
}

static void conn_new(struct srv_net *n, evutil_socket_t fd, const char *peer, int tls)
{
	struct srv *s = n->s;
	struct timeval idle = {s->cfg.idle_timeout, 0};
	struct srv_conn *c;

	if (!n->draining && n->nconns >= s->cfg.max_conns) {
		/* Full: the least recently active idle peer makes room, so
		 * that idle connections cannot keep payments out. */
		struct srv_conn *old = n->oldest;

		while (old && (old->busy || old->closing))
			old = old->prev;
		if (old)
			conn_drop(old, "room for a new peer (--max-conns)");
	}
	if (n->draining || n->nconns >= s->cfg.max_conns) {
		atomic_fetch_add(&srv_metrics.peers_dropped, 1);
		log_debug("peer %s refused: %s", peer, n->draining ? "draining" : "--max-conns");
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->net = n;
	c->tls = tls;
	if (tls) {
		/* The handshake runs under the same slot, request deadline and
		 * idle timeout as any peer's first request. */
		SSL *ssl = srv_tls_peer_new(n->tls);

		/* Failing (out of memory), libevent may have freed ssl: it is
		 * left rather than freed twice; the socket closes below. */
		c->bev = ssl ? bufferevent_openssl_socket_new(n->base, fd, ssl,
							      BUFFEREVENT_SSL_ACCEPTING,
							      BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (c->bev)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else {
		c->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	c->deadline = evtimer_new(n->base, conn_deadline, c);
	if (!c->bev || !c->deadline) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->deadline)
			event_free(c->deadline);
		free(c);
		return;
	}
	c->serial = ++n->serial;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	list_push(c);
	n->nconns++;
	atomic_fetch_add(&srv_metrics.connections, 1);
	bufferevent_setcb(c->bev, conn_read, conn_write_done, conn_event, c);
	/* Bounds how long a silent peer holds a slot, and an input buffer. */
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_setwatermark(c->bev, EV_READ, 0, SC_FRAME_HDR + SRV_FRAME_CAP);
	/* The write callback runs once the output is under the low mark. */
	bufferevent_setwatermark(c->bev, EV_WRITE, SRV_OUTPUT_HWM / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	deadline_arm(c); /* until its first request is complete */
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	char peer[64] = "unix";

	(void)salen;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(peer, sizeof(peer), "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		char ip[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(peer, sizeof(peer), "[%s]:%u", ip, ntohs(in6->sin6_port));
	}
	conn_new(arg, fd, peer, l == ((struct srv_net *)arg)->tcp && ((struct srv_net *)arg)->tls);
}

static void listeners_enable(struct srv_net *n, int on)
{
	if (n->tcp)
		(on ? evconnlistener_enable : evconnlistener_disable)(n->tcp);
	if (n->unx)
		(on ? evconnlistener_enable : evconnlistener_disable)(n->unx);
}

static void accept_resume(struct srv_net *n)
{
	n->accept_paused = 0;
	evtimer_del(n->accept_ev);
	if (!n->draining)
		listeners_enable(n, 1);
}

static void on_accept_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_resume(arg);
}

/* accept() failed: out of descriptors, the listeners rest until a
 * connection closes or the timer ends (srv_fd_accept_failed). */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct srv_net *n = arg;
	struct timeval tv = {0, SRV_ACCEPT_BACKOFF_MS * 1000};

	(void)l;
	if (srv_fd_accept_failed(&n->accept_log, "submission")) {
		n->accept_paused = 1;
		listeners_enable(n, 0);
		evtimer_add(n->accept_ev, &tv);
	}
}

/* A reply almost always fits the socket's buffer: written at once, it
 * needs no write event (two epoll_ctl calls); what does not fit, or
 * anything behind earlier output, goes through the bufferevent. */
static void reply_write(struct srv_conn *c, const uint8_t *frame, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	ssize_t w = 0;

	if (evbuffer_get_length(out) == 0 && !c->tls) {
		w = send(bufferevent_getfd(c->bev), frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0)
			w = 0; /* EAGAIN, or an error the bufferevent reports */
	}
	if ((size_t)w < len)
		bufferevent_write(c->bev, frame + w, len - (size_t)w);
}

/* Writes the finished jobs' replies; runs on the loop. Their log lines
 * (srv_log_submission) go first, together: one write(2) per batch rather
 * than one per submission on the loop every reply waits for, and still
 * each line before its reply, so a peer holding its reply finds it. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct srv_net *n = arg;
	struct srv_job *j, *next;
	struct log_batch lines;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&n->mu);
	j = n->done_head;
	n->done_head = n->done_tail = NULL;
	pthread_mutex_unlock(&n->mu);
	log_batch_begin(&lines);
	for (next = j; next; next = next->next)
		srv_log_submission(next);
	log_batch_end(&lines);
	for (; j; j = next) {
		struct srv_conn *c = j->conn;
		uint8_t frame[SC_FRAME_HDR + sizeof(j->reply)];
		int len;

		next = j->next;
		n->in_flight--;
		atomic_fetch_sub(&srv_metrics.in_flight, 1);
		c->busy = 0;
		if (!c->bev) {
			conn_free(c); /* the peer left while we worked */
			free(j);
			continue;
		}
		len = sc_frame_encode(frame, sizeof(frame), j->reply, j->reply_len);
		if (len > 0)
			reply_write(c, frame, (size_t)len);
		if (len <= 0 || j->close_after || n->draining) {
			c->closing = 1;
			bufferevent_disable(c->bev, EV_READ);
			if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
				conn_free(c);
		} else {
			conn_read(c->bev, c); /* frames that arrived meanwhile */
		}
		free(j);
	}
}

void srv_net_complete(struct srv_net *n, struct srv_job *jobs)
{
	struct srv_job *last = jobs;

	if (!jobs)
		return;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&n->mu);
	if (n->done_tail)
		n->done_tail->next = jobs;
	else
		n->done_head = jobs;
	n->done_tail = last;
	pthread_mutex_unlock(&n->mu);
	event_active(n->done_ev, 0, 0);
}

static struct evconnlistener *listen_tcp(struct srv_net *n, const char *addr, char *err,
					 size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct evconnlistener *l;
	char host[128], port[16];
	int p;

	if (srv_split_addr(addr, host, sizeof(host), &p) != 0) {
		snprintf(err, errlen, "'%s' is not HOST:PORT", addr);
		return NULL;
	}
	snprintf(port, sizeof(port), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
		snprintf(err, errlen, "cannot resolve %s", addr);
		return NULL;
	}
	l = evconnlistener_new_bind(n->base, on_accept, n,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
				    512, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (!l)
		snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
	return l;
}

static struct evconnlistener *listen_unix(struct srv_net *n, const char *path, char *err,
					  size_t errlen)
{
	struct evconnlistener *l;
	/* Mode 0660: the server's group may submit too. */
	int fd = sock_unix_listen(path, 0660, 512);

	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, sock_strerror(fd));
		return NULL;
	}
	l = evconnlistener_new(n->base, on_accept, n, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!l) {
		snprintf(err, errlen, "cannot listen on %s", path);
		close(fd);
		unlink(path);
	}
	return l;
}

struct srv_net *srv_net_start(struct srv *s, struct event_base *base, char *err, size_t errlen)
{
	struct srv_net *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->s = s;
	n->base = base;
	pthread_mutex_init(&n->mu, NULL);
	n->done_ev = event_new(base, -1, 0, on_done, n);
	n->accept_ev = evtimer_new(base, on_accept_timer, n);
	if (!n->done_ev || !n->accept_ev)
		goto fail;
	if (s->cfg.tcp_addr[0] && !s->cfg.insecure_plain_tcp &&
	    !(n->tls = srv_tls_new(s->cfg.data_dir, err, errlen)))
		goto fail;
	if (s->cfg.tcp_addr[0] && !(n->tcp = listen_tcp(n, s->cfg.tcp_addr, err, errlen)))
		goto fail;
	if (s->cfg.tcp_addr[0] && s->cfg.insecure_plain_tcp)
		log_warnx("WARNING: --insecure-plain-tcp: submissions on %s in the clear, from"
			  " any peer, with no terminal certificate", s->cfg.tcp_addr);
	if (s->cfg.unix_path[0] && !(n->unx = listen_unix(n, s->cfg.unix_path, err, errlen)))
		goto fail;
	if (n->tcp)
		evconnlistener_set_error_cb(n->tcp, on_accept_error);
	if (n->unx)
		evconnlistener_set_error_cb(n->unx, on_accept_error);
	return n;
fail:
	srv_net_free(n);
	return NULL;
}

void srv_net_drain(struct srv_net *n)
{
	struct srv_conn *c, *next;

	n->draining = 1;
	listeners_enable(n, 0);
	/* Idle peers go now; busy ones once their reply is out. */
	for (c = n->conns; c; c = next) {
		next = c->next;
		if (!c->busy && !c->closing)
			conn_free(c);
	}
}

int srv_net_idle(struct srv_net *n)
{
	return n->in_flight == 0 && n->nconns == 0;
}

void srv_net_free(struct srv_net *n)
{
	struct srv_job *j, *next;

	if (!n)
		return;
	while (n->conns) {
		n->conns->busy = 0;
		conn_free(n->conns);
	}
	for (j = n->done_head; j; j = next) {
		next = j->next;
		free(j);
	}
	if (n->tcp)
		evconnlistener_free(n->tcp);
	srv_tls_free(n->tls);
	if (n->unx) {
		evconnlistener_free(n->unx);
		unlink(n->s->cfg.unix_path);
	}
	if (n->done_ev)
		event_free(n->done_ev);
	if (n->accept_ev)
		event_free(n->accept_ev);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
