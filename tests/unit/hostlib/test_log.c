/* The one log (hostlib/log.h): lines as the tests of the programs grep
 * them, errno kept, fatal exits 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hostlib_test.h"
#include "hostlib/log.h"

/* Runs fn in a child with stderr into a pipe; returns what it wrote and
 * its exit status in *status. */
static void capture(void (*fn)(void), char *out, size_t cap, int *status)
{
	int p[2];
	pid_t pid;
	size_t have = 0;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (have < cap - 1 && (n = read(p[0], out + have, cap - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
}

static void lines(void)
{
	log_init("sigcard-test", 1, 0);
	errno = ENOENT;
	log_warn("open %s", "x");
	log_warnx("plain");
	log_info("up");
	log_debug("hidden");
	log_setverbose(1);
	log_debug("shown");
}

static void lines_as_the_programs_print_them(void **state)
{
	char out[512];
	int st;

	(void)state;
	capture(lines, out, sizeof out, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(out, "sigcard-test: open x: No such file or directory\n"
				 "sigcard-test: plain\n"
				 "sigcard-test: up\n"
				 "sigcard-test: shown\n");
}

static void errno_kept(void **state)
{
	(void)state;
	log_init("sigcard-test", 1, 1);
	errno = EACCES;
	log_warn("one");
	assert_int_equal(errno, EACCES);
	errno = EPIPE;
	log_warnx("two");
	log_info("three");
	log_debug("four");
	assert_int_equal(errno, EPIPE);
}

static void die_fatal(void)
{
	log_init("sigcard-test", 1, 0);
	errno = EBADF;
	fatal("cannot go on");
}

static void die_fatalx(void)
{
	log_init("sigcard-test", 1, 0);
	fatalx("broken invariant %d", 7);
}

static void fatal_logs_and_exits_1(void **state)
{
	char out[256];
	int st;

	(void)state;
	capture(die_fatal, out, sizeof out, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_string_equal(out, "sigcard-test: cannot go on: Bad file descriptor\n");
	capture(die_fatalx, out, sizeof out, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_string_equal(out, "sigcard-test: broken invariant 7\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_as_the_programs_print_them),
		cmocka_unit_test(errno_kept),
		cmocka_unit_test(fatal_logs_and_exits_1),
	};
	return RUN_TESTS("hostlib_log", tests, argc, argv);
}
