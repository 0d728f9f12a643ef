/* The terminal's side of the submission protocol's transport: one frame
 * (common/frame.h) out, one frame back, over a Unix socket or TCP, with a
 * deadline on everything, so a dead server is an error and never a hang. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

int term_server_init(struct term_server *s, const char *spec, int timeout_ms)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	if (spec == NULL || strlen(spec) >= sizeof s->spec || !term_server_spec_valid(spec))
		return term_errf(s->err, sizeof s->err, TERM_EXIT_USAGE,
				 "'%s': expected unix:PATH or HOST:PORT", spec ? spec : "");
	memcpy(s->spec, spec, strlen(spec) + 1);
	return 0;
}

void term_server_close(struct term_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int unreachable(struct term_server *s, const char *what, int e)
{
	term_server_close(s);
	return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
			 "server %s: %s%s%s", s->spec, what, e ? ": " : "", e ? strerror(e) : "");
}

/* connect() with the client's deadline: non-blocking, then poll. */
static int connect_deadline(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return errno;
	int e = 0;
	if (connect(fd, sa, len) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd p = {fd, POLLOUT, 0};
			int r;
			do
				r = poll(&p, 1, timeout_ms);
			while (r < 0 && errno == EINTR);
			socklen_t el = sizeof e;
			if (r == 0)
				e = ETIMEDOUT;
			else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
				e = errno;
		}
	}
	if (e == 0 && fcntl(fd, F_SETFL, flags) != 0)
		e = errno;
	return e;
}

static int server_connect(struct term_server *s)
{
	if (s->fd >= 0)
		return 0;
	if (strncmp(s->spec, "unix:", 5) == 0) {
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, s->spec + 5, strlen(s->spec + 5) + 1);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return unreachable(s, "socket", errno);
		int e = connect_deadline(fd, (struct sockaddr *)&sa, sizeof sa, s->timeout_ms);
		if (e != 0) {
			close(fd);
			return unreachable(s, "cannot connect", e);
		}
		s->fd = fd;
		return 0;
	}
	char host[256];
	const char *colon = strrchr(s->spec, ':');
	size_t hl = (size_t)(colon - s->spec);
	memcpy(host, s->spec, hl);
	host[hl] = '\0';
	/* [::1]:7000 */
	char *h = host;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int g = getaddrinfo(h, colon + 1, &hints, &res);
	if (g != 0)
		return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: %s", s->spec, gai_strerror(g));
	int e = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		e = connect_deadline(fd, ai->ai_addr, ai->ai_addrlen, s->timeout_ms);
		if (e == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			s->fd = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return s->fd >= 0 ? 0 : unreachable(s, "cannot connect", e);
}

static int send_all(struct term_server *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return unreachable(s, "connection lost while sending", errno);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int term_server_exchange(struct term_server *s, const uint8_t *req, size_t req_len,
			 uint8_t *resp, size_t cap, size_t *resp_len)
{
	uint8_t *frame = malloc(SC_FRAME_HDR + SC_FRAME_MAX_BODY);
	if (frame == NULL)
		return term_errf(s->err, sizeof s->err, TERM_EXIT_FAILURE, "out of memory");
	int rc = server_connect(s);
	if (rc == 0) {
		int n = sc_frame_encode(frame, SC_FRAME_HDR + SC_FRAME_MAX_BODY, req, req_len);
		rc = n < 0 ? term_errf(s->err, sizeof s->err, TERM_EXIT_FAILURE,
				       "cannot frame a message: %s", sc_strerror(n))
			   : send_all(s, frame, (size_t)n);
		if (n > 0)
			sc_wipe(frame, (size_t)n); /* a SUBMIT holds the joint password */
	}
	free(frame);
	if (rc != 0)
		return rc;

	struct sc_frame_dec dec;
	uint8_t chunk[4096];
	int64_t deadline = term_now_ms() + s->timeout_ms;
	sc_frame_dec_init(&dec, resp, cap);
	*resp_len = 0;
	for (;;) {
		int64_t left = deadline - term_now_ms();
		if (left <= 0)
			return unreachable(s, "no answer in time", 0);
		struct pollfd p = {s->fd, POLLIN, 0};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t got = recv(s->fd, chunk, sizeof chunk, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0)
			return unreachable(s, "the server closed the connection", 0);
		if (got < 0)
			return unreachable(s, "connection lost", errno);
		size_t body = 0;
		int used = sc_frame_dec_feed(&dec, chunk, (size_t)got, &body);
		if (used < 0 || (body > 0 && (size_t)used != (size_t)got)) {
			term_server_close(s);
			return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
					 "server %s: a malformed answer (%s)", s->spec,
					 used < 0 ? sc_strerror(used) : "bytes after the frame");
		}
		if (body > 0) {
			*resp_len = body;
			return 0;
		}
	}
}
