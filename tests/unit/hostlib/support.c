/* Temporary folders and fifos for the hostlib/ tests (hostlib_test.h). */
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hostlib_test.h"

void tmp_dir_make(char dir[256])
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, 256, "%s/hostlib.XXXXXX", t && t[0] ? t : "/tmp");
	assert_non_null(mkdtemp(dir));
}

void tmp_dir_path(char dir[256], const char *name, char path[300])
{
	tmp_dir_make(dir);
	assert_true(snprintf(path, 300, "%s/%s", dir, name) < 300);
}

void tmp_dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int tmp_dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

void tmp_fifo(const char *dir, char path[300])
{
	snprintf(path, 300, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
}

void assert_fifo(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

void assert_fifo_refused_and_kept(int (*open_at)(const char *path), int err)
{
	char dir[256], path[300];

	tmp_dir_make(dir);
	tmp_fifo(dir, path);
	assert_int_equal(open_at(path), err);
	assert_fifo(path);
	assert_int_equal(tmp_dir_count(dir), 1);
	tmp_dir_remove(dir);
}
