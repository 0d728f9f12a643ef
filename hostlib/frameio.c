/* Carrier frames over a descriptor before a deadline (hostlib/frameio.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/frame.h"
#include "hostlib/frameio.h"

const char *fio_strerror(int err)
{
	switch (err) {
	case FIO_ERR_SYSTEM: return strerror(errno);
	case FIO_ERR_TIMEOUT: return "no complete frame in time";
	case FIO_ERR_CLOSED: return "the peer closed the connection";
	case FIO_ERR_FRAME_SIZE: return "a frame longer than allowed";
	case FIO_ERR_FRAME_EMPTY: return "a frame with an empty body";
	case FIO_ERR_TRAILING: return "bytes after the frame";
	default: return "unknown frame error";
	}
}

int64_t fio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline (< 0: none) passes.
 * Returns 0 ready, or a negative fio_err. */
static int fio_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {fd, events, 0};
		int left = -1, r;

		if (deadline >= 0) {
			int64_t d = deadline - fio_now_ms();
			if (d <= 0)
				return FIO_ERR_TIMEOUT;
			left = d > 0x7fffffff ? 0x7fffffff : (int)d;
		}
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return FIO_ERR_SYSTEM;
	}
}

/* Reads up to want bytes into p once fd is readable. Returns the count
 * (> 0) or a negative fio_err. */
static int fio_read_some(int fd, uint8_t *p, size_t want, int64_t deadline)
{
	for (;;) {
		int rc = fio_wait(fd, POLLIN, deadline);
		ssize_t n;

		if (rc != 0)
			return rc;
		n = read(fd, p, want);
		if (n > 0)
			return (int)n;
		if (n == 0 || errno == ECONNRESET || errno == EPIPE)
			return FIO_ERR_CLOSED;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return FIO_ERR_SYSTEM;
	}
}

int fio_read_frame(int fd, uint8_t *body, size_t cap, size_t *len, int timeout_ms,
		   unsigned flags)
{
	struct sc_frame_dec dec;
	int64_t deadline = timeout_ms < 0 ? -1 : fio_now_ms() + timeout_ms;
	uint8_t hdr[SC_FRAME_HDR], b;
	size_t have = 0, got;
	int n;

	*len = 0;
	/* The header through the decoder, so the format and its checks have
	 * one home; then the body straight into the caller's buffer. Never a
	 * byte more than the frame: what follows belongs to the next read. */
	sc_frame_dec_init(&dec, body, cap);
	while (have < sizeof hdr) {
		n = fio_read_some(fd, hdr + have, sizeof hdr - have, deadline);
		if (n < 0)
			return n;
		have += (size_t)n;
	}
	n = sc_frame_dec_feed(&dec, hdr, sizeof hdr, &got);
	if (n < 0)
		return n == SC_ERR_FRAME_SIZE ? FIO_ERR_FRAME_SIZE : FIO_ERR_FRAME_EMPTY;
	for (have = 0; have < dec.want; have += (size_t)n) {
		n = fio_read_some(fd, body + have, dec.want - have, deadline);
		if (n < 0)
			return n;
	}
	*len = dec.want;
	if ((flags & FIO_ALONE) && recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		return FIO_ERR_TRAILING;
	return 0;
}

/* fio_write_all against an absolute deadline (< 0: none). MSG_DONTWAIT:
 * a blocking socket must not block past the deadline either. */
static int fio_write_until(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc;

		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return FIO_ERR_CLOSED;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return FIO_ERR_SYSTEM;
		rc = fio_wait(fd, POLLOUT, deadline);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int fio_write_all(int fd, const void *buf, size_t n, int timeout_ms)
{
	return fio_write_until(fd, buf, n, timeout_ms < 0 ? -1 : fio_now_ms() + timeout_ms);
}

int fio_write_frame(int fd, const uint8_t *body, size_t len, int timeout_ms)
{
	uint8_t hdr[SC_FRAME_HDR];
	int64_t deadline = timeout_ms < 0 ? -1 : fio_now_ms() + timeout_ms;
	int rc = sc_frame_header(hdr, len);

	if (rc != 0)
		return rc == SC_ERR_FRAME_SIZE ? FIO_ERR_FRAME_SIZE : FIO_ERR_FRAME_EMPTY;
	/* The body goes from where it is: no copy of it (it may hold the
	 * joint password) is made here. */
	rc = fio_write_until(fd, hdr, sizeof hdr, deadline);
	return rc != 0 ? rc : fio_write_until(fd, body, len, deadline);
}
