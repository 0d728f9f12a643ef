/* File descriptors: the soft limit raised to the hard one at start, and
 * the connection limits sized to fit in it, so that --max-conns can be
 * reached and the ledger, listeners and log still get descriptors when
 * every connection slot is taken. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "server.h"

/* Descriptors kept for everything but peers: the ledger (a connection per
 * thread, its WAL and shm), the lock and pid files, listeners, the event
 * loops' own, the log. */
#define SRV_FD_RESERVE 64

int srv_fd_limit_fit(struct srv_config *cfg)
{
	struct rlimit rl;
	rlim_t want;
	long budget;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	/* The hard limit may be unlimited; the kernel's nr_open caps it
	 * anyway, so ask for no more than the connections need. */
	want = (rlim_t)cfg->max_conns + (rlim_t)cfg->http_max_conns + SRV_FD_RESERVE;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || want < rl.rlim_cur)
		want = rl.rlim_cur;
	if (want != rl.rlim_cur) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("cannot raise the open-file limit to %llu",
				 (unsigned long long)want);
		else
			log_info("open-file limit raised to %llu", (unsigned long long)want);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	budget = rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur - SRV_FD_RESERVE;
	if (budget < 2) {
		log_warnx("the open-file limit (%llu) leaves no room for connections;"
			  " raise it (ulimit -n, LimitNOFILE=)", (unsigned long long)rl.rlim_cur);
		return -1;
	}
	if ((long)cfg->max_conns + cfg->http_max_conns > budget) {
		long http = cfg->http_max_conns < budget / 4 ? cfg->http_max_conns : budget / 4;

		if (http < 1)
			http = 1;
		log_warnx("the open-file limit (%llu) holds only %ld connections: --max-conns %d"
			  " lowered to %ld, --http-max-conns %d to %ld (raise the hard limit:"
			  " ulimit -Hn, LimitNOFILE=)", (unsigned long long)rl.rlim_cur, budget,
			  cfg->max_conns, budget - http, cfg->http_max_conns, http);
		cfg->http_max_conns = (int)http;
		cfg->max_conns = (int)(budget - http);
	}
	return 0;
}

int srv_fd_accept_failed(struct srv_ratelog *rl, const char *what)
{
	int e = errno;
	unsigned long missed;
	int rest = e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;

	if (srv_ratelog_due(rl, &missed))
		log_warnx("%s accept: %s;%s (%lu more like it not logged)", what, strerror(e),
			  rest ? " not accepting for " SRV_ACCEPT_BACKOFF_TEXT " or until a"
				 " connection closes" : "", missed);
	return rest;
}
