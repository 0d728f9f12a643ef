/* Unix sockets: one listen policy, one connect (hostlib/sock.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostlib/sock.h"

const char *sock_strerror(int err)
{
	switch (err) {
	case SOCK_ERR_SYSTEM: return strerror(errno);
	case SOCK_ERR_PATH_TOO_LONG: return "path too long for a Unix socket";
	case SOCK_ERR_IN_USE: return "another program is listening there";
	case SOCK_ERR_NOT_SOCKET: return "exists and is not a socket";
	case SOCK_ERR_TIMEOUT: return "no connection in time";
	default: return "unknown socket error";
	}
}

static int sock_unix_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof sa->sun_path)
		return SOCK_ERR_PATH_TOO_LONG;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* What is at path now: 0 free, or a negative sock_err. A socket nobody
 * answers on is unlinked here, so the path is free afterwards. */
static int sock_clear_path(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : SOCK_ERR_SYSTEM;
	if (!S_ISSOCK(st.st_mode))
		return SOCK_ERR_NOT_SOCKET;
	fd = sock_unix_connect(path, 0);
	if (fd >= 0) {
		close(fd);
		return SOCK_ERR_IN_USE;
	}
	/* A full backlog (EAGAIN) means someone is there; only a refusal
	 * proves the listener is gone. */
	if (fd == SOCK_ERR_TIMEOUT || (fd == SOCK_ERR_SYSTEM && errno == EAGAIN))
		return SOCK_ERR_IN_USE;
	if (fd != SOCK_ERR_SYSTEM || errno != ECONNREFUSED)
		return fd;
	if (unlink(path) != 0 && errno != ENOENT)
		return SOCK_ERR_SYSTEM;
	return 0;
}

int sock_unix_listen(const char *path, mode_t mode, int backlog)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc = sock_unix_addr(&sa, path);

	if (rc != 0)
		return rc;
	rc = sock_clear_path(path);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return SOCK_ERR_SYSTEM;
	/* Linux makes the socket file with the socket's own mode, less the
	 * umask: set it on the descriptor first, so there is no moment when
	 * the file is open to more than mode. */
	if (fchmod(fd, mode & 0777) != 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto fail;
	/* The umask may have taken bits mode asked for: give them back. */
	if (lstat(path, &st) != 0 ||
	    ((st.st_mode & 0777) != (mode & 0777) && chmod(path, mode & 0777) != 0) ||
	    listen(fd, backlog) != 0) {
		int e = errno;
		unlink(path);
		errno = e;
		goto fail;
	}
	return fd;
fail:
	rc = errno;
	close(fd);
	errno = rc;
	return SOCK_ERR_SYSTEM;
}

int sock_connect(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int flags, e = 0, r;
	socklen_t el = sizeof e;
	struct pollfd p = {fd, POLLOUT, 0};

	if (timeout_ms < 0) {
		while (connect(fd, sa, len) != 0)
			if (errno != EINTR)
				return SOCK_ERR_SYSTEM;
		return 0;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return SOCK_ERR_SYSTEM;
	if (connect(fd, sa, len) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			do
				r = poll(&p, 1, timeout_ms);
			while (r < 0 && errno == EINTR);
			if (r == 0) {
				fcntl(fd, F_SETFL, flags);
				return SOCK_ERR_TIMEOUT;
			}
			if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
				e = errno;
		}
	}
	if (e == 0 && fcntl(fd, F_SETFL, flags) != 0)
		e = errno;
	if (e != 0) {
		errno = e;
		return SOCK_ERR_SYSTEM;
	}
	return 0;
}

int sock_unix_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	int fd, rc = sock_unix_addr(&sa, path);

	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SOCK_ERR_SYSTEM;
	rc = sock_connect(fd, (struct sockaddr *)&sa, sizeof sa, timeout_ms);
	if (rc != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return rc;
	}
	return fd;
}
