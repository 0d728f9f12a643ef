/* Secrets read from files (hostlib/privfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/scheme.h"
#include "hostlib/privfile.h"

int priv_file_read(const char *path, char *out, size_t cap, const char **why)
{
	struct stat st;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*why = "readable or writable by group or others (chmod 600 it)";
		close(fd);
		return -1;
	}
	/* Another user's file could be swapped under us by them. */
	if (st.st_uid != geteuid()) {
		*why = "not owned by this program's user";
		close(fd);
		return -1;
	}
	while (len < cap - 1) {
		ssize_t n = read(fd, out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = strerror(errno);
			close(fd);
			sc_wipe(out, cap);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap - 1) {
		char extra;
		if (read(fd, &extra, 1) > 0) {
			*why = "too long";
			close(fd);
			sc_wipe(out, cap);
			return -1;
		}
	}
	close(fd);
	out[len] = '\0';
	return 0;
}

char *priv_trim(char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}
