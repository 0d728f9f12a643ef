/* Carrier frames (common/frame.h) over a descriptor, before a deadline:
 * the one reader and writer the card, the terminal and the test tools use,
 * so a dead or slow peer is an error in time and never a hang. */
#ifndef HOSTLIB_FRAMEIO_H
#define HOSTLIB_FRAMEIO_H

#include <stddef.h>
#include <stdint.h>

enum fio_err {
	FIO_ERR_SYSTEM = -1,     /* read, write or poll failed: see errno */
	FIO_ERR_TIMEOUT = -2,    /* the deadline passed */
	FIO_ERR_CLOSED = -3,     /* the peer closed or reset the connection */
	FIO_ERR_FRAME_SIZE = -4, /* the header announces more than the buffer holds */
	FIO_ERR_FRAME_EMPTY = -5,/* the header announces an empty body */
	FIO_ERR_TRAILING = -6,   /* with FIO_ALONE: bytes follow the frame */
};

/* fio_read_frame flag: the peer speaks only when spoken to, so bytes
 * waiting after the frame are an error (FIO_ERR_TRAILING). */
#define FIO_ALONE 1u

/* A short text for err; for FIO_ERR_SYSTEM, strerror(errno). */
const char *fio_strerror(int err);

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t fio_now_ms(void);

/* Reads one frame from fd into body[0..cap) within timeout_ms (< 0: no
 * deadline); *len gets the body length. fd may be blocking or not. Reads
 * no byte past the frame, and the length is checked against cap before any
 * body byte is read. Returns 0 or a negative fio_err. */
int fio_read_frame(int fd, uint8_t *body, size_t cap, size_t *len, int timeout_ms,
		   unsigned flags);

/* Writes all of buf[0..n) to fd (a socket, pipe or file, blocking or not)
 * within timeout_ms (< 0: no deadline), without SIGPIPE on sockets.
 * Returns 0 or a negative fio_err. */
int fio_write_all(int fd, const void *buf, size_t n, int timeout_ms);

/* Writes body as one frame (header, then body) within timeout_ms. Returns
 * 0, FIO_ERR_FRAME_EMPTY or FIO_ERR_FRAME_SIZE (len 0 or above
 * SC_FRAME_MAX_BODY), or another negative fio_err. */
int fio_write_frame(int fd, const uint8_t *body, size_t len, int timeout_ms);

#endif
