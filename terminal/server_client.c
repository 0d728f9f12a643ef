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
#include "hostlib/frameio.h"
#include "hostlib/sock.h"
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

int term_tls_opts_valid(const char *spec, const struct term_tls_opts *o, char *err, size_t cap)
{
	int tls = o->dir || o->server_ca || o->cert || o->key || o->server_name;

	if (strncmp(spec, "unix:", 5) == 0) {
		if (tls || o->insecure_plain_tcp)
			return term_errf(err, cap, TERM_EXIT_USAGE,
					 "--server %s: TLS options are for a HOST:PORT server"
					 " (the socket's file mode guards a unix: one)", spec);
		return 0;
	}
	if (tls && o->insecure_plain_tcp)
		return term_errf(err, cap, TERM_EXIT_USAGE,
				 "--insecure-plain-tcp and TLS options exclude each other");
	if (!tls && !o->insecure_plain_tcp)
		return term_errf(err, cap, TERM_EXIT_USAGE,
				 "--server %s: TCP needs --tls DIR (from 'sigcard-server terminal"
				 " enrol') or --server-ca, --cert and --key; --insecure-plain-tcp"
				 " for a plain one", spec);
	return 0;
}

int term_server_tls_opts(struct term_server *s, const struct term_tls_opts *o)
{
	int rc = term_tls_opts_valid(s->spec, o, s->err, sizeof s->err);

	if (rc != 0 || strncmp(s->spec, "unix:", 5) == 0 || o->insecure_plain_tcp)
		return rc;
	return term_tls_setup(s, o);
}

void term_server_free(struct term_server *s)
{
	term_server_close(s);
	term_tls_free(s);
}

void term_server_close(struct term_server *s)
{
	term_tls_close(s);
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

static int server_connect(struct term_server *s)
{
	if (s->fd >= 0)
		return 0;
	if (strncmp(s->spec, "unix:", 5) == 0) {
		int fd = sock_unix_connect(s->spec + 5, s->timeout_ms);
		if (fd < 0)
			return unreachable(s, "cannot connect", fd == SOCK_ERR_SYSTEM ? errno :
							      fd == SOCK_ERR_TIMEOUT ? ETIMEDOUT : EINVAL);
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
		int rc = sock_connect(fd, ai->ai_addr, ai->ai_addrlen, s->timeout_ms);
		e = rc == SOCK_ERR_TIMEOUT ? ETIMEDOUT : rc != 0 ? errno : 0;
		if (e == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			s->fd = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (s->fd < 0)
		return unreachable(s, "cannot connect", e);
	return s->tls_ctx ? term_tls_handshake(s, h) : 0;
}

int term_server_exchange(struct term_server *s, const uint8_t *req, size_t req_len,
			 uint8_t *resp, size_t cap, size_t *resp_len)
{
	int rc = server_connect(s);
	if (rc != 0)
		return rc;
	if (s->ssl)
		return term_tls_exchange(s, req, req_len, resp, cap, resp_len);
	/* One deadline for the whole exchange. The request goes from where it
	 * lies: a SUBMIT holds the joint password, and no copy is made. */
	int64_t deadline = fio_now_ms() + s->timeout_ms;
	rc = fio_write_frame(s->fd, req, req_len, s->timeout_ms);
	if (rc == FIO_ERR_FRAME_SIZE || rc == FIO_ERR_FRAME_EMPTY)
		return term_errf(s->err, sizeof s->err, TERM_EXIT_FAILURE,
				 "cannot frame a message: %s", fio_strerror(rc));
	if (rc != 0)
		return unreachable(s, "connection lost while sending",
				   rc == FIO_ERR_SYSTEM ? errno : rc == FIO_ERR_CLOSED ? EPIPE : ETIMEDOUT);
	int64_t left = deadline - fio_now_ms();
	rc = fio_read_frame(s->fd, resp, cap, resp_len, left > 0 ? (int)left : 0, FIO_ALONE);
	switch (rc) {
	case 0:
		return 0;
	case FIO_ERR_TIMEOUT:
		return unreachable(s, "no answer in time", 0);
	case FIO_ERR_CLOSED:
		return unreachable(s, "the server closed the connection", 0);
	case FIO_ERR_SYSTEM:
		return unreachable(s, "connection lost", errno);
	default:
		term_server_close(s);
		return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed answer (%s)", s->spec, fio_strerror(rc));
	}
}
