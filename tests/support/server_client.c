/* A blocking client of the server submission protocol
 * (tests/support/server_client.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/frame.h"
#include "hostlib/frameio.h"
#include "hostlib/sock.h"
#include "server_client.h"

int sclient_connect(const char *addr)
{
	int fd;

	if (strncmp(addr, "tcp:", 4) == 0) {
		struct addrinfo hints, *ai = NULL;
		char host[128];
		const char *colon = strrchr(addr + 4, ':');

		if (!colon || (size_t)(colon - addr - 4) >= sizeof(host))
			return -1;
		memcpy(host, addr + 4, (size_t)(colon - addr - 4));
		host[colon - addr - 4] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && sock_connect(fd, ai->ai_addr, ai->ai_addrlen, -1) != 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		return fd;
	}
	fd = sock_unix_connect(strncmp(addr, "unix:", 5) == 0 ? addr + 5 : addr, -1);
	return fd < 0 ? -1 : fd;
}

int sclient_write_all(int fd, const uint8_t *p, size_t n)
{
	return fio_write_all(fd, p, n, -1) == 0 ? 0 : -1;
}

int sclient_send(int fd, const uint8_t *body, size_t len)
{
	uint8_t frame[SC_FRAME_HDR + 4096];
	int n = sc_frame_encode(frame, sizeof(frame), body, len);

	return n > 0 ? sclient_write_all(fd, frame, (size_t)n) : -1;
}

int sclient_recv(int fd, uint8_t *buf, size_t cap)
{
	size_t len;
	int rc = fio_read_frame(fd, buf, cap, &len, -1, 0);

	if (rc == FIO_ERR_CLOSED)
		return 0;
	return rc == 0 ? (int)len : -1;
}

int sclient_challenge_ask(int fd, const char *terminal_id)
{
	uint8_t body[64];
	int n = sc_get_challenge_encode(body, sizeof(body), terminal_id);

	return n > 0 && sclient_send(fd, body, (size_t)n) == 0 ? 0 : -1;
}

int sclient_challenge_take(int fd, uint8_t challenge[SC_CHALLENGE_LEN], int *code)
{
	uint8_t reply[SC_RESULT_MSG_MAX];
	struct sc_result_msg m;
	uint32_t ttl;
	int n = sclient_recv(fd, reply, sizeof(reply));

	*code = -1;
	if (n <= 0)
		return -1;
	if (sc_challenge_decode(reply, (size_t)n, challenge, &ttl) == 0)
		return 0;
	if (sc_result_decode(&m, reply, (size_t)n) == 0)
		*code = m.code;
	return -1;
}

int sclient_challenge(int fd, const char *terminal_id, uint8_t challenge[SC_CHALLENGE_LEN],
		      int *code)
{
	*code = -1;
	if (sclient_challenge_ask(fd, terminal_id) != 0)
		return -1;
	return sclient_challenge_take(fd, challenge, code);
}

int sclient_raw(int fd, const uint8_t *body, size_t len, uint8_t *reply, size_t *reply_len,
		struct sc_result_msg *m)
{
	int n;

	if (sclient_send(fd, body, len) != 0)
		return -1;
	n = sclient_recv(fd, reply, SC_RESULT_MSG_MAX);
	if (n <= 0)
		return -1;
	*reply_len = (size_t)n;
	if (sc_result_decode(m, reply, (size_t)n) != 0)
		return -1;
	return m->code;
}

int sclient_submit(int fd, const struct sc_submit *s, uint8_t *reply, size_t *reply_len,
		   struct sc_result_msg *m)
{
	uint8_t body[SC_SUBMIT_MSG_MAX];
	int n = sc_submit_encode(body, sizeof(body), s);

	if (n <= 0)
		return -1;
	return sclient_raw(fd, body, (size_t)n, reply, reply_len, m);
}
