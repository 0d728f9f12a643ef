/* The one listen policy and connect (hostlib/sock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "hostlib_test.h"
#include "hostlib/sock.h"

static void listen_then_connect(void **state)
{
	char dir[256], path[300];
	int l, c, a;

	(void)state;
	tmp_dir_path(dir, "s.sock", path);
	l = sock_unix_listen(path, 0600, 4);
	assert_true(l >= 0);
	c = sock_unix_connect(path, 1000);
	assert_true(c >= 0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(write(c, "x", 1), 1);
	char b = 0;
	assert_int_equal(read(a, &b, 1), 1);
	assert_int_equal(b, 'x');
	close(a);
	close(c);
	close(l);
	tmp_dir_remove(dir);
}

static void live_listener_refused(void **state)
{
	char dir[256], path[300];
	struct stat before, after;
	int l, l2;

	(void)state;
	tmp_dir_path(dir, "s.sock", path);
	l = sock_unix_listen(path, 0600, 4);
	assert_true(l >= 0);
	assert_int_equal(lstat(path, &before), 0);
	l2 = sock_unix_listen(path, 0600, 4);
	assert_int_equal(l2, SOCK_ERR_IN_USE);
	/* The live one's socket file is still the same one. */
	assert_int_equal(lstat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_true(sock_unix_connect(path, 1000) >= 0);
	close(l);
	tmp_dir_remove(dir);
}

static void regular_file_refused_and_kept(void **state)
{
	char dir[256], path[300];
	struct stat st;
	int fd;

	(void)state;
	tmp_dir_path(dir, "notes.txt", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(sock_unix_listen(path, 0600, 4), SOCK_ERR_NOT_SOCKET);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
	tmp_dir_remove(dir);
}

static int listen_at(const char *path)
{
	return sock_unix_listen(path, 0600, 4);
}

static void fifo_refused_and_kept(void **state)
{
	(void)state;
	assert_fifo_refused_and_kept(listen_at, SOCK_ERR_NOT_SOCKET);
}

static void stale_socket_reused(void **state)
{
	char dir[256], path[300];
	struct sockaddr_un sa;
	int s, l;

	(void)state;
	tmp_dir_path(dir, "s.sock", path);
	/* A socket file whose program died: bound, never listening, closed. */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof sa.sun_path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	close(s);
	l = sock_unix_listen(path, 0600, 4);
	assert_true(l >= 0);
	assert_true(sock_unix_connect(path, 1000) >= 0);
	close(l);
	tmp_dir_remove(dir);
}

/* The mode asked for is the socket file's, whatever the umask, and it was
 * set before bind: with umask 0 a bind without it would give 0777. */
static void mode_set_on_the_socket_file(void **state)
{
	char dir[256], path[300];
	struct stat st;
	mode_t old;
	int l;

	(void)state;
	tmp_dir_path(dir, "s.sock", path);
	old = umask(0);
	l = sock_unix_listen(path, 0600, 4);
	umask(old);
	assert_true(l >= 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	close(l);
	unlink(path);
	/* A wider mode than the umask allows is given back after bind. */
	old = umask(077);
	l = sock_unix_listen(path, 0660, 4);
	umask(old);
	assert_true(l >= 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	close(l);
	tmp_dir_remove(dir);
}

static void connect_errors_are_named(void **state)
{
	char dir[256], path[300], longp[200];

	(void)state;
	tmp_dir_path(dir, "none.sock", path);
	assert_int_equal(sock_unix_connect(path, 100), SOCK_ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	assert_int_equal(sock_unix_connect(longp, 100), SOCK_ERR_PATH_TOO_LONG);
	assert_int_equal(sock_unix_listen(longp, 0600, 4), SOCK_ERR_PATH_TOO_LONG);
	assert_string_equal(sock_strerror(SOCK_ERR_IN_USE), "another program is listening there");
	tmp_dir_remove(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen_then_connect),
		cmocka_unit_test(live_listener_refused),
		cmocka_unit_test(regular_file_refused_and_kept),
		cmocka_unit_test(fifo_refused_and_kept),
		cmocka_unit_test(stale_socket_reused),
		cmocka_unit_test(mode_set_on_the_socket_file),
		cmocka_unit_test(connect_errors_are_named),
	};
	return RUN_TESTS("hostlib_sock", tests, argc, argv);
}
