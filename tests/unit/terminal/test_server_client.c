/* The server transport: one frame out, one back, over unix: and TCP, with
 * every way a server can fail turned into "server unreachable". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame_peer.h"
#include "terminal/terminal.h"

static int hang_ups;

/* Echoes each body with its first byte | 0x80; a body starting 0xEE makes
 * it hang up, once per test, without answering. */
static enum peer_action echo_server(struct frame_peer *p, const uint8_t *b, size_t len,
				    uint8_t *out, size_t *n)
{
	(void)p;
	if (b[0] == 0xEE && hang_ups-- > 0)
		return PEER_HANG_UP;
	memcpy(out, b, len);
	out[0] |= 0x80;
	*n = len;
	return PEER_REPLY;
}

static enum peer_action mute_server(struct frame_peer *p, const uint8_t *b, size_t len,
				    uint8_t *out, size_t *n)
{
	(void)p, (void)b, (void)len, (void)out, (void)n;
	return PEER_SILENT;
}

/* A TCP socket bound to a free port of 127.0.0.1, which goes to *port. */
static int bind_loopback(unsigned *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Starts a peer answering through server and points s at its socket. */
static void unix_server_start(struct frame_peer *p, struct term_server *s, peer_answer_fn server,
			      int timeout_ms)
{
	char spec[200];
	assert_int_equal(frame_peer_start(p, server, NULL), 0);
	snprintf(spec, sizeof spec, "unix:%s", p->path);
	assert_int_equal(term_server_init(s, spec, timeout_ms), 0);
}

static void unix_exchange_and_reconnect(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_server s;
	uint8_t resp[64];
	size_t n;
	unix_server_start(&p, &s, echo_server, 2000);
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\x01" "abc", 4, resp, sizeof resp,
					      &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(resp, "\x81" "abc", 4);
	/* the server drops the connection mid-request: unreachable, and the
	 * next exchange connects again */
	hang_ups = 1;
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\xEE", 1, resp, sizeof resp,
					      &n), -TERM_EXIT_SERVER_UNREACHABLE);
	assert_non_null(strstr(s.err, "closed the connection"));
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\xEE", 1, resp, sizeof resp,
					      &n), 0);
	assert_int_equal(resp[0], 0xEE);
	term_server_close(&s);
	frame_peer_stop(&p);
	assert_int_equal(p.connections, 2);
}

static void no_server(void **state)
{
	(void)state;
	struct term_server s;
	uint8_t resp[16];
	size_t n;
	assert_int_equal(term_server_init(&s, "unix:/nonexistent/sigcard.sock", 500), 0);
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\x01", 1, resp, sizeof resp,
					      &n), -TERM_EXIT_SERVER_UNREACHABLE);
	assert_non_null(strstr(s.err, "cannot connect"));

	/* a TCP port nobody listens on: bind one, note it, close it */
	unsigned port;
	int fd = bind_loopback(&port);
	char spec[64];
	snprintf(spec, sizeof spec, "127.0.0.1:%u", port);
	close(fd);
	assert_int_equal(term_server_init(&s, spec, 500), 0);
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\x01", 1, resp, sizeof resp,
					      &n), -TERM_EXIT_SERVER_UNREACHABLE);
	assert_non_null(strstr(s.err, "Connection refused"));
	assert_int_equal(term_server_init(&s, "no-such-host.invalid:7000", 500), 0);
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\x01", 1, resp, sizeof resp,
					      &n), -TERM_EXIT_SERVER_UNREACHABLE);
}

static void silent_server_times_out(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_server s;
	uint8_t resp[16];
	size_t n;
	unix_server_start(&p, &s, mute_server, 200);
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\x01", 1, resp, sizeof resp,
					      &n), -TERM_EXIT_SERVER_UNREACHABLE);
	assert_non_null(strstr(s.err, "no answer in time"));
	term_server_close(&s);
	frame_peer_stop(&p);
}

static void tcp_exchange(void **state)
{
	(void)state;
	/* a one-shot TCP peer in this thread: accept after the client sent */
	unsigned port;
	int lfd = bind_loopback(&port);
	assert_int_equal(listen(lfd, 1), 0);
	char spec[64];
	snprintf(spec, sizeof spec, "localhost:%u", port);
	struct term_server s;
	assert_int_equal(term_server_init(&s, spec, 300), 0);
	/* no answer: times out, but the request did arrive, framed */
	uint8_t resp[16];
	size_t n;
	assert_int_equal(term_server_exchange(&s, (const uint8_t *)"\x01\x02", 2, resp, sizeof resp,
					      &n), -TERM_EXIT_SERVER_UNREACHABLE);
	int cfd = accept(lfd, NULL, NULL);
	uint8_t got[8];
	assert_int_equal(read(cfd, got, sizeof got), 4);
	assert_memory_equal(got, "\x00\x02\x01\x02", 4);
	close(cfd);
	close(lfd);
}

static void bad_specs(void **state)
{
	(void)state;
	struct term_server s;
	assert_int_equal(term_server_init(&s, "localhost", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_server_init(&s, "unix:", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_server_init(&s, "host:99999", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_server_init(&s, ":7000", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_server_init(&s, "[::1]:7000", 100), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unix_exchange_and_reconnect),
		cmocka_unit_test(no_server),
		cmocka_unit_test(silent_server_times_out),
		cmocka_unit_test(tcp_exchange),
		cmocka_unit_test(bad_specs),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal server client", tests, NULL, NULL);
}
