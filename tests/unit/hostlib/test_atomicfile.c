/* Atomic, regular-file-only writes (hostlib/atomicfile.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hostlib_test.h"
#include "hostlib/atomicfile.h"

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static void writes_and_replaces_a_regular_file(void **state)
{
	char dir[256], path[300], buf[64];
	struct stat st;

	(void)state;
	tmp_dir_path(dir, "out.json", path);
	assert_int_equal(af_write_file(path, 0600, 0, "one\n", 4), 0);
	assert_int_equal(af_write_file(path, 0600, 0, "two\n", 4), 0);
	read_file(path, buf, sizeof buf);
	assert_string_equal(buf, "two\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tmp_dir_count(dir), 1); /* no temporary left */
	tmp_dir_remove(dir);
}

static void noreplace_refuses_an_existing_file(void **state)
{
	char dir[256], path[300], buf[64];

	(void)state;
	tmp_dir_path(dir, "card.flash", path);
	assert_int_equal(af_write_file(path, 0600, AF_NOREPLACE, "old", 3), 0);
	assert_int_equal(af_write_file(path, 0600, AF_NOREPLACE, "new", 3), AF_ERR_EXISTS);
	read_file(path, buf, sizeof buf);
	assert_string_equal(buf, "old");
	assert_int_equal(tmp_dir_count(dir), 1);
	tmp_dir_remove(dir);
}

static int write_x(const char *path)
{
	return af_write_file(path, 0600, 0, "x", 1);
}

static void fifo_refused_and_kept(void **state)
{
	(void)state;
	assert_fifo_refused_and_kept(write_x, AF_ERR_NOT_REGULAR);
}

static void symlink_refused_and_its_target_kept(void **state)
{
	char dir[256], target[300], link_path[300], buf[64];
	struct stat st;

	(void)state;
	tmp_dir_path(dir, "target", target);
	snprintf(link_path, sizeof link_path, "%s/link", dir);
	assert_int_equal(af_write_file(target, 0600, 0, "keep", 4), 0);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(af_write_file(link_path, 0600, 0, "x", 1), AF_ERR_NOT_REGULAR);
	assert_int_equal(lstat(link_path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	read_file(target, buf, sizeof buf);
	assert_string_equal(buf, "keep");
	tmp_dir_remove(dir);
}

static void folder_refused(void **state)
{
	char dir[256], sub[300];

	(void)state;
	tmp_dir_path(dir, "sub", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(af_write_file(sub, 0600, 0, "x", 1), AF_ERR_NOT_REGULAR);
	assert_int_equal(rmdir(sub), 0);
	tmp_dir_remove(dir);
}

/* As root: a character device like /dev/null, made in the temporary
 * folder, is refused and stays a device. */
static void char_device_refused_and_kept(void **state)
{
	char dir[256], path[300];
	struct stat st;

	(void)state;
	if (geteuid() != 0) {
		skip(); /* mknod of a device needs root */
		return;
	}
	tmp_dir_path(dir, "null", path);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) {
		tmp_dir_remove(dir);
		skip(); /* not allowed here (a container without CAP_MKNOD) */
		return;
	}
	assert_int_equal(af_write_file(path, 0600, 0, "x", 1), AF_ERR_NOT_REGULAR);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	tmp_dir_remove(dir);
}

/* The target turned into something else between open and commit. */
static void commit_checks_again(void **state)
{
	char dir[256], path[300];
	struct af_file f;

	(void)state;
	tmp_dir_path(dir, "fifo", path);
	assert_int_equal(af_open(&f, path, 0600, 0), 0);
	assert_int_equal(write(f.fd, "x", 1), 1);
	tmp_fifo(dir, path);
	assert_int_equal(af_commit(&f), AF_ERR_NOT_REGULAR);
	assert_fifo(path);
	assert_int_equal(tmp_dir_count(dir), 1);
	tmp_dir_remove(dir);
}

static void abort_leaves_nothing(void **state)
{
	char dir[256], path[300];
	struct af_file f;

	(void)state;
	tmp_dir_path(dir, "out", path);
	assert_int_equal(af_open(&f, path, 0600, 0), 0);
	assert_int_equal(write(f.fd, "secret", 6), 6);
	af_abort(&f);
	assert_int_equal(tmp_dir_count(dir), 0);
	tmp_dir_remove(dir);
}

/* A pid that was alive and is not any more. */
static long dead_pid(void)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return (long)p;
}

static void stale_temporaries_removed(void **state)
{
	char dir[256], path[300], t[400];
	struct stat st;
	long dead = dead_pid();

	(void)state;
	tmp_dir_path(dir, "card.flash", path);
	snprintf(t, sizeof t, "%s/.card.flash.tmp.%ld", dir, dead);
	assert_int_equal(af_write_file(t, 0600, 0, "k", 1), 0);
	snprintf(t, sizeof t, "%s/card.flash.new.%ld", dir, dead);
	assert_int_equal(af_write_file(t, 0600, 0, "k", 1), 0);
	/* A live writer's (ours) and other names stay. */
	snprintf(t, sizeof t, "%s/.card.flash.tmp.%ld", dir, (long)getpid());
	assert_int_equal(af_write_file(t, 0600, 0, "k", 1), 0);
	snprintf(t, sizeof t, "%s/card.flash.new.x%ld", dir, dead);
	assert_int_equal(af_write_file(t, 0600, 0, "k", 1), 0);
	assert_int_equal(af_remove_stale(path), 2);
	assert_int_equal(tmp_dir_count(dir), 2);
	snprintf(t, sizeof t, "%s/.card.flash.tmp.%ld", dir, (long)getpid());
	assert_int_equal(stat(t, &st), 0);
	tmp_dir_remove(dir);
}

static void errors_are_named(void **state)
{
	(void)state;
	assert_string_equal(af_strerror(AF_ERR_NOT_REGULAR),
			    "exists and is not a regular file: not replaced");
	assert_string_equal(af_strerror(AF_ERR_EXISTS), "already exists");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_and_replaces_a_regular_file),
		cmocka_unit_test(noreplace_refuses_an_existing_file),
		cmocka_unit_test(fifo_refused_and_kept),
		cmocka_unit_test(symlink_refused_and_its_target_kept),
		cmocka_unit_test(folder_refused),
		cmocka_unit_test(char_device_refused_and_kept),
		cmocka_unit_test(commit_checks_again),
		cmocka_unit_test(abort_leaves_nothing),
		cmocka_unit_test(stale_temporaries_removed),
		cmocka_unit_test(errors_are_named),
	};
	return RUN_TESTS("hostlib_atomicfile", tests, argc, argv);
}
