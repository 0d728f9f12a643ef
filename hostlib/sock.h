/* Unix sockets for the three host programs: one listen policy and one way
 * to connect, so a card slot, a control socket, the server's submission
 * socket and the terminal daemon's socket all behave the same. */
#ifndef HOSTLIB_SOCK_H
#define HOSTLIB_SOCK_H

#include <sys/socket.h>
#include <sys/types.h>

enum sock_err {
	SOCK_ERR_SYSTEM = -1,        /* a system call failed: see errno */
	SOCK_ERR_PATH_TOO_LONG = -2, /* longer than sun_path holds */
	SOCK_ERR_IN_USE = -3,        /* a live program listens at the path */
	SOCK_ERR_NOT_SOCKET = -4,    /* something other than a socket is there */
	SOCK_ERR_TIMEOUT = -5,       /* no connection before the deadline */
};

/* A short text for err; for SOCK_ERR_SYSTEM, strerror(errno). */
const char *sock_strerror(int err);

/* Listens on a Unix stream socket at path, with the policy every program
 * follows: a socket nobody answers on (left by a dead run) is replaced; a
 * live listener is refused (SOCK_ERR_IN_USE); anything that is not a socket
 * is refused and left alone (SOCK_ERR_NOT_SOCKET). The socket file gets
 * mode before bind creates it, so it is never reachable more widely. The
 * descriptor is non-blocking and close-on-exec. Returns it, or a negative
 * sock_err. */
int sock_unix_listen(const char *path, mode_t mode, int backlog);

/* Connects fd to sa within timeout_ms (< 0: no deadline); fd keeps its
 * blocking mode. Returns 0 or a negative sock_err (SOCK_ERR_SYSTEM with
 * errno, SOCK_ERR_TIMEOUT). */
int sock_connect(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms);

/* A blocking, close-on-exec stream connection to the Unix socket at path,
 * made within timeout_ms (< 0: no deadline). Returns the descriptor or a
 * negative sock_err; errno says why for SOCK_ERR_SYSTEM (ENOENT: nothing
 * there, ECONNREFUSED: nobody listening). */
int sock_unix_connect(const char *path, int timeout_ms);

#endif
