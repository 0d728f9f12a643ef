/* Writing a file so that a reader, a crash or a power cut sees the old
 * content or the new, never half; and never through something that is not
 * a regular file (as root, writing "to /dev/null" must not replace the
 * device). Every path a host program writes goes through here. */
#ifndef HOSTLIB_ATOMICFILE_H
#define HOSTLIB_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

enum af_err {
	AF_ERR_SYSTEM = -1,        /* a system call failed: see errno */
	AF_ERR_NOT_REGULAR = -2,   /* the path is a device, fifo, folder or symlink */
	AF_ERR_EXISTS = -3,        /* AF_NOREPLACE and something is already there */
	AF_ERR_PATH_TOO_LONG = -4,
};

/* af_open/af_write_file flag: never replace an existing file; the path
 * must be free when af_commit moves the new file there. */
#define AF_NOREPLACE 1u

/* A file being written: owned by the caller from af_open until af_commit
 * or af_abort, whichever comes first (each closes fd). */
struct af_file {
	int fd;              /* the temporary file, open for reading and writing */
	unsigned flags;
	char path[4096];     /* where it goes */
	char tmp[4096];      /* the temporary, ".NAME.tmp.PID" beside path */
};

/* A short text for err; for AF_ERR_SYSTEM, strerror(errno). */
const char *af_strerror(int err);

/* Starts a new content for path: refuses a path that exists and is not a
 * regular file (lstat: a symlink is refused too), or with AF_NOREPLACE any
 * that exists; then creates the temporary beside it, exclusively, with
 * mode (umask applied). Returns 0 or a negative af_err (nothing is left
 * behind then). */
int af_open(struct af_file *f, const char *path, mode_t mode, unsigned flags);

/* fsyncs the temporary, checks path again as af_open did, moves the
 * temporary there (rename; with AF_NOREPLACE a link, which fails if the
 * path was taken meanwhile) and fsyncs the folder. On failure the
 * temporary is removed. Returns 0 or a negative af_err. */
int af_commit(struct af_file *f);

/* Removes the temporary; the path is untouched. Keeps errno. */
void af_abort(struct af_file *f);

/* Whether af_open would accept path now: 0, or AF_ERR_NOT_REGULAR,
 * AF_ERR_EXISTS (with AF_NOREPLACE), AF_ERR_SYSTEM. For checking an
 * output path before work that cannot be undone. */
int af_check(const char *path, unsigned flags);

/* af_open + write of buf[0..n) + af_commit. */
int af_write_file(const char *path, mode_t mode, unsigned flags, const void *buf, size_t n);

/* Removes temporaries for path that a program killed while writing it left
 * behind: ".NAME.tmp.PID" (this library's) and "NAME.new.PID" (the name
 * earlier sigcard-card versions gave a card image being made) whose PID is not a live process. Each removed one is
 * first overwritten with zeros, since it may hold a key. Returns how many
 * were removed, or a negative af_err if the folder cannot be read. */
int af_remove_stale(const char *path);

#endif
