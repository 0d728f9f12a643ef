/* Socket and descriptor helpers shared by the carriers and the control
 * socket: whole writes with a deadline, Unix listening sockets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "card/hal.h"
#include "host.h"

int fdio_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

int fdio_write_all(int fd, const void *buf, size_t n, int timeout_ms)
{
	const uint8_t *p = buf;
	uint32_t start = hal_tick_ms();
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {fd, POLLOUT, 0};
			int left = timeout_ms - (int)(hal_tick_ms() - start);
			if (left <= 0 || poll(&pfd, 1, left) <= 0)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

static int fdio_unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int fdio_unix_listen(const char *path, const char **why)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd;
	if (fdio_unix_addr(&sa, path) != 0) {
		*why = "path too long for a Unix socket";
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*why = "exists and is not a socket";
			return -1;
		}
		/* A socket nobody answers on is left over from a dead run. */
		fd = fdio_unix_connect(path);
		if (fd >= 0) {
			close(fd);
			*why = "another program is listening there";
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0) {
		*why = strerror(errno);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

int fdio_unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;
	if (fdio_unix_addr(&sa, path) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}
