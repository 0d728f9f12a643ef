/* Support shared by the hostlib/ unit tests: cmocka in the right order and
 * a fresh temporary folder per test. */
#ifndef SC_HOSTLIB_TEST_H
#define SC_HOSTLIB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A new empty folder under $TMPDIR (or /tmp); its path in dir. */
void tmp_dir_make(char dir[256]);
/* Removes the folder and everything in it (one level deep). */
void tmp_dir_remove(const char *dir);

/* Makes a fifo named "fifo" in dir; its path in path. */
void tmp_fifo(const char *dir, char path[300]);
/* Fails the test unless path is (still) a fifo. */
void assert_fifo(const char *path);

/* Runs the group after applying argv[1] as a test-name filter. */
#define RUN_TESTS(name, tests, argc, argv)                                  \
	((argc) > 1 ? cmocka_set_test_filter((argv)[1]) : (void)0,          \
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif
