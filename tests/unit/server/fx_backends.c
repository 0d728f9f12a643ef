/* A server suite run on both ledgers (server_fixture.h's fx_run): issue 14
 * wants the same tests against SQLite and PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "pg_cluster.h"
#include "server_fixture.h"

/* tests[0..n-1] named "name [backend]", in place (free with names_free). */
static int names_set(struct CMUnitTest *tests, const struct CMUnitTest *from, size_t n,
		     const char *backend)
{
	for (size_t i = 0; i < n; i++) {
		char name[160];

		tests[i] = from[i];
		snprintf(name, sizeof(name), "%s [%s]", from[i].name, backend);
		if (!(tests[i].name = strdup(name)))
			return -1;
	}
	return 0;
}

static void names_free(struct CMUnitTest *tests, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)tests[i].name);
}

void fx_filter(const char *name)
{
	static char pattern[256]; /* cmocka keeps the pointer */
	size_t n = strlen(name);

	snprintf(pattern, sizeof(pattern), n && name[n - 1] == ']' ? "%s" : "%s [*]", name);
	cmocka_set_test_filter(pattern);
}

/* The PostgreSQL half when no cluster runs: one TAP line per test, the
 * reason on each (scripts/run-tests.sh prints a skip's reason), skipped
 * if PostgreSQL cannot run here, failed if it is there and would not
 * start. The failures counted. */
static int pg_half_absent(const struct CMUnitTest *tests, size_t n, int rc, const char *why)
{
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++)
		printf("%s %zu - %s # %s%s\n", rc > 0 ? "ok" : "not ok", i + 1, tests[i].name,
		       rc > 0 ? "SKIP " : "", why);
	fflush(stdout);
	return rc > 0 ? 0 : (int)n;
}

/* The PostgreSQL half, in this process: a cluster of its own, stopped
 * however the process ends. The failures counted. */
static int pg_half(const char *group, const struct CMUnitTest *both, size_t n_both)
{
	struct CMUnitTest *tests = calloc(n_both ? n_both : 1, sizeof(*tests));
	char name[160], why[512] = "";
	int failed, rc;

	fx_backend = FX_POSTGRESQL;
	if (!tests || names_set(tests, both, n_both, "postgresql") != 0) {
		fprintf(stderr, "fx_run: out of memory\n");
		return 1;
	}
	atexit(pgc_stop);
	rc = pgc_start(why, sizeof(why));
	if (rc != 0) {
		fprintf(stderr, "PostgreSQL half of %s: %s\n", group, why);
		failed = pg_half_absent(tests, n_both, rc, why);
	} else {
		snprintf(name, sizeof(name), "%s on PostgreSQL", group);
		failed = _cmocka_run_group_tests(name, tests, n_both, NULL, NULL);
	}
	pgc_stop();
	names_free(tests, n_both);
	free(tests);
	return failed;
}

/* This program again, its own arguments (the test filter), with
 * SC_FX_HALF=postgresql: its exit status (fx_run's count of failures), or
 * 1 if it could not run or died (scripts/run-tests.sh then also finds its
 * TAP plan short). */
static int pg_half_in_child(void)
{
	static char cmdline[4096];
	char *argv[32];
	size_t len = 0;
	ssize_t n;
	int fd = open("/proc/self/cmdline", O_RDONLY), argc = 0, status;
	pid_t pid;

	if (fd < 0)
		return 1;
	while ((n = read(fd, cmdline + len, sizeof(cmdline) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	cmdline[len] = '\0';
	for (size_t i = 0; i < len && argc < 31; i += strlen(cmdline + i) + 1)
		argv[argc++] = cmdline + i;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		setenv("SC_FX_HALF", "postgresql", 1);
		execv("/proc/self/exe", argv);
		perror("fx_run: exec");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int fx_run(const char *group, const struct CMUnitTest *both, size_t n_both,
	   const struct CMUnitTest *sqlite_only, size_t n_sqlite_only)
{
	const char *half = getenv("SC_FX_HALF");
	size_t n = n_both + n_sqlite_only;
	struct CMUnitTest *tests;
	char name[160];
	int failed;

	if (half && !strcmp(half, "postgresql"))
		return pg_half(group, both, n_both);
	tests = calloc(n ? n : 1, sizeof(*tests));
	if (!tests || names_set(tests, both, n_both, "sqlite") != 0 ||
	    names_set(tests + n_both, sqlite_only, n_sqlite_only, "sqlite") != 0) {
		fprintf(stderr, "fx_run: out of memory\n");
		return 1;
	}
	fx_backend = FX_SQLITE;
	snprintf(name, sizeof(name), "%s on SQLite", group);
	failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	names_free(tests, n);
	free(tests);
	return failed + pg_half_in_child();
}
