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
/* A new empty folder, as tmp_dir_make, and the path of name in it. */
void tmp_dir_path(char dir[256], const char *name, char path[300]);
/* Removes the folder and everything in it (one level deep). */
void tmp_dir_remove(const char *dir);

/* The entries in dir other than . and .. */
int tmp_dir_count(const char *dir);

/* Makes a fifo named "fifo" in dir; its path in path. */
void tmp_fifo(const char *dir, char path[300]);
/* Fails the test unless path is (still) a fifo. */
void assert_fifo(const char *path);
/* A fifo in a new folder, which open_at(its path) must refuse with err and
 * leave as it was, with nothing beside it: a program given a path where
 * someone put a fifo neither blocks on it, nor replaces it, nor leaves a
 * file of its own. */
void assert_fifo_refused_and_kept(int (*open_at)(const char *path), int err);

/* Runs the group after applying argv[1] as a test-name filter. */
#define RUN_TESTS(name, tests, argc, argv)                                  \
	((argc) > 1 ? cmocka_set_test_filter((argv)[1]) : (void)0,          \
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif
