/* Becoming a daemon without hiding a failed start: the process forks
 * before it does anything, the child sets everything up (lock, ledger
 * checks, every socket bound) with stderr still the operator's, and the
 * parent exits 0 only when the child says it serves; otherwise it exits
 * with the child's status, the reason already on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "server.h"

int srv_detach_begin(char *err, size_t errlen)
{
	int p[2], status = 0;
	pid_t child;
	char ready = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "cannot become a daemon: pipe: %s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		snprintf(err, errlen, "cannot become a daemon: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		close(p[0]);
		setsid(); /* cannot fail: a fresh child leads no process group */
		return p[1];
	}
	close(p[1]);
	do
		n = read(p[0], &ready, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && ready == 'R')
		exit(0);
	/* The child stopped before it served: its reason is on stderr. */
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
}

int srv_detach_finish(int ready_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || chdir("/") != 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(null, STDOUT_FILENO) < 0) {
		log_warn("cannot become a daemon");
		if (null >= 0)
			close(null);
		return -1;
	}
	/* From here on nobody reads our stderr: the log goes to syslog. */
	log_setforeground(0);
	dup2(null, STDERR_FILENO);
	close(null);
	if (write(ready_fd, "R", 1) != 1)
		log_warn("cannot tell the starting command we serve");
	close(ready_fd);
	return 0;
}
