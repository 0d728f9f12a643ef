/* Rate-limited logging: a condition that can recur thousands of times a
 * second (accept() out of descriptors, a flood of refused peers) is logged
 * at most once per SRV_RATELOG_S seconds, with the count of the ones left
 * out, so the log cannot become the next exhausted resource. */
#include <time.h>
#include "server.h"

int srv_ratelog_due(struct srv_ratelog *r, unsigned long *missed)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (r->logged && ms - r->last_ms < SRV_RATELOG_S * 1000) {
		r->missed++;
		return 0;
	}
	*missed = r->missed;
	r->missed = 0;
	r->last_ms = ms;
	r->logged = 1;
	return 1;
}
