/* Atomic, regular-file-only writes (hostlib/atomicfile.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostlib/atomicfile.h"

const char *af_strerror(int err)
{
	switch (err) {
	case AF_ERR_SYSTEM: return strerror(errno);
	case AF_ERR_NOT_REGULAR: return "exists and is not a regular file: not replaced";
	case AF_ERR_EXISTS: return "already exists";
	case AF_ERR_PATH_TOO_LONG: return "path too long";
	default: return "unknown file error";
	}
}

/* Splits path into its folder ("." if none) and its last name. */
static int af_split(const char *path, char *dir, size_t dcap, const char **name)
{
	const char *slash = strrchr(path, '/');
	size_t dl;

	if (slash == NULL) {
		*name = path;
		return snprintf(dir, dcap, ".") < (int)dcap ? 0 : AF_ERR_PATH_TOO_LONG;
	}
	*name = slash + 1;
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (dl >= dcap)
		return AF_ERR_PATH_TOO_LONG;
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	return 0;
}

int af_check(const char *path, unsigned flags)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : AF_ERR_SYSTEM;
	if (!S_ISREG(st.st_mode))
		return AF_ERR_NOT_REGULAR;
	return (flags & AF_NOREPLACE) ? AF_ERR_EXISTS : 0;
}

int af_open(struct af_file *f, const char *path, mode_t mode, unsigned flags)
{
	char dir[4096];
	const char *name;
	int rc;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->flags = flags;
	rc = af_split(path, dir, sizeof dir, &name);
	if (rc != 0)
		return rc;
	if (name[0] == '\0')
		return AF_ERR_NOT_REGULAR; /* "dir/": a folder */
	if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path ||
	    snprintf(f->tmp, sizeof f->tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid()) >=
		    (int)sizeof f->tmp)
		return AF_ERR_PATH_TOO_LONG;
	rc = af_check(path, flags);
	if (rc != 0) {
		f->tmp[0] = '\0';
		return rc;
	}
	/* A temporary of ours from an earlier attempt in this process that
	 * failed to clean up is ours to replace. */
	unlink(f->tmp);
	f->fd = open(f->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (f->fd < 0) {
		f->tmp[0] = '\0';
		return AF_ERR_SYSTEM;
	}
	return 0;
}

void af_abort(struct af_file *f)
{
	int saved = errno;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp[0] != '\0')
		unlink(f->tmp);
	f->tmp[0] = '\0';
	errno = saved;
}

static int af_fsync_dir(const char *path)
{
	char dir[4096];
	const char *name;
	int fd, rc = af_split(path, dir, sizeof dir, &name);

	if (rc != 0)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return AF_ERR_SYSTEM;
	rc = fsync(fd) == 0 ? 0 : AF_ERR_SYSTEM;
	close(fd);
	return rc;
}

int af_commit(struct af_file *f)
{
	int rc;

	if (f->fd < 0 || f->tmp[0] == '\0') {
		errno = EBADF;
		return AF_ERR_SYSTEM;
	}
	rc = fsync(f->fd) == 0 ? 0 : AF_ERR_SYSTEM;
	if (rc == 0) {
		int fd = f->fd;
		f->fd = -1;
		rc = close(fd) == 0 ? 0 : AF_ERR_SYSTEM;
	}
	/* Again: the path may have changed since af_open. rename() would
	 * replace a device node or a symlink without a word. */
	if (rc == 0)
		rc = af_check(f->path, f->flags);
	if (rc == 0 && (f->flags & AF_NOREPLACE)) {
		if (link(f->tmp, f->path) != 0)
			rc = errno == EEXIST ? AF_ERR_EXISTS : AF_ERR_SYSTEM;
	} else if (rc == 0 && rename(f->tmp, f->path) != 0) {
		rc = AF_ERR_SYSTEM;
	}
	if (rc == 0 && (f->flags & AF_NOREPLACE))
		unlink(f->tmp);
	if (rc == 0)
		f->tmp[0] = '\0';
	if (rc == 0)
		rc = af_fsync_dir(f->path);
	if (rc != 0)
		af_abort(f);
	return rc;
}

int af_write_file(const char *path, mode_t mode, unsigned flags, const void *buf, size_t n)
{
	struct af_file f;
	const char *p = buf;
	int rc = af_open(&f, path, mode, flags);

	while (rc == 0 && n > 0) {
		ssize_t w = write(f.fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			af_abort(&f);
			return AF_ERR_SYSTEM;
		}
		p += w;
		n -= (size_t)w;
	}
	return rc != 0 ? rc : af_commit(&f);
}

/* Is pid a live process (EPERM: alive, someone else's)? */
static int af_pid_alive(long pid)
{
	return pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* If entry is prefix followed by a pid only, that pid; else 0. */
static long af_stale_pid(const char *entry, const char *prefix)
{
	size_t pl = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(entry, prefix, pl) != 0 || entry[pl] < '1' || entry[pl] > '9')
		return 0;
	errno = 0;
	pid = strtol(entry + pl, &end, 10);
	return errno == 0 && *end == '\0' && pid > 0 ? pid : 0;
}

/* Overwrites a temporary with zeros, then removes it. */
static int af_shred(int dfd, const char *entry)
{
	static const char zero[4096];
	struct stat st;
	int fd = openat(dfd, entry, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			off_t off;
			for (off = 0; off < st.st_size; off += (off_t)sizeof zero) {
				size_t n = st.st_size - off < (off_t)sizeof zero ?
						   (size_t)(st.st_size - off) : sizeof zero;
				if (pwrite(fd, zero, n, off) < 0)
					break;
			}
			fsync(fd);
		}
		close(fd);
	}
	return unlinkat(dfd, entry, 0);
}

int af_remove_stale(const char *path)
{
	char dir[4096], ours[512], legacy[512];
	const char *name;
	struct dirent *e;
	DIR *d;
	int rc = af_split(path, dir, sizeof dir, &name), n = 0;

	if (rc != 0)
		return rc;
	if (snprintf(ours, sizeof ours, ".%s.tmp.", name) >= (int)sizeof ours ||
	    snprintf(legacy, sizeof legacy, "%s.new.", name) >= (int)sizeof legacy)
		return AF_ERR_PATH_TOO_LONG;
	d = opendir(dir);
	if (d == NULL)
		return AF_ERR_SYSTEM;
	while ((e = readdir(d)) != NULL) {
		long pid = af_stale_pid(e->d_name, ours);
		if (pid == 0)
			pid = af_stale_pid(e->d_name, legacy);
		if (pid != 0 && !af_pid_alive(pid) && af_shred(dirfd(d), e->d_name) == 0)
			n++;
	}
	closedir(d);
	return n;
}
