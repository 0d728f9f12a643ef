/* The one log (hostlib/log.h): lines as the tests of the programs grep
 * them, errno kept, fatal exits 1, a batch's lines held to one write and
 * kept in order. */
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

/* Runs fn as capture does and checks its exit status and whole output. */
static void expect_output(void (*fn)(void), int status, const char *want)
{
	char out[512];
	int st;

	capture(fn, out, sizeof out, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == status);
	assert_string_equal(out, want);
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
	(void)state;
	expect_output(lines, 0, "sigcard-test: open x: No such file or directory\n"
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
	(void)state;
	expect_output(die_fatal, 1, "sigcard-test: cannot go on: Bad file descriptor\n");
	expect_output(die_fatalx, 1, "sigcard-test: broken invariant 7\n");
}

static void mark(const char *s)
{
	assert_true(write(2, s, strlen(s)) == (ssize_t)strlen(s));
}

/* MARKs go straight to the pipe: a line before one was written before it. */
static void batched(void)
{
	struct log_batch b;

	log_init("sigcard-test", 1, 0);
	log_batch_begin(&b);
	log_info("a");
	log_info("b");
	mark("MARK1\n");
	log_warnx("warn"); /* what waits, then the warning */
	log_info("c");
	mark("MARK2\n");
	log_batch_end(&b);
	log_info("d"); /* after the batch: as it comes */
	mark("MARK3\n");
}

static void batch_holds_lines_until_its_end_in_order(void **state)
{
	(void)state;
	expect_output(batched, 0, "MARK1\n"
				  "sigcard-test: a\n"
				  "sigcard-test: b\n"
				  "sigcard-test: warn\n"
				  "MARK2\n"
				  "sigcard-test: c\n"
				  "sigcard-test: d\n"
				  "MARK3\n");
}

#define MANY_LINES 400 /* about 13 KiB: more than a batch's buffer */

static void batched_many(void)
{
	struct log_batch b;

	log_init("sigcard-test", 1, 0);
	log_batch_begin(&b);
	for (int i = 0; i < MANY_LINES; i++)
		log_info("line %04d of the batch", i);
	log_batch_end(&b);
}

static void die_in_batch(void)
{
	struct log_batch b;

	log_init("sigcard-test", 1, 0);
	log_batch_begin(&b);
	log_info("held");
	fatalx("gone");
}

static void full_batch_and_fatal_lose_nothing(void **state)
{
	static char out[MANY_LINES * 40 + 1];
	char want[64], *at = out;
	int st;

	(void)state;
	capture(batched_many, out, sizeof out, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < MANY_LINES; i++) {
		snprintf(want, sizeof want, "sigcard-test: line %04d of the batch\n", i);
		assert_memory_equal(at, want, strlen(want));
		at += strlen(want);
	}
	assert_int_equal(*at, '\0');
	expect_output(die_in_batch, 1, "sigcard-test: held\nsigcard-test: gone\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_as_the_programs_print_them),
		cmocka_unit_test(errno_kept),
		cmocka_unit_test(fatal_logs_and_exits_1),
		cmocka_unit_test(batch_holds_lines_until_its_end_in_order),
		cmocka_unit_test(full_batch_and_fatal_lose_nothing),
	};
	return RUN_TESTS("hostlib_log", tests, argc, argv);
}
