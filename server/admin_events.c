/* The back office's live charts (web/admin/admin.js) are drawn from the
 * counters the server keeps for /metrics already (metrics.c), read once a
 * second on the back office's thread: submissions answered in that second
 * by result, the mean signature-and-password check time of those verified
 * in it (verify_sum_ns / verify_count), and the mean commit time of the
 * writer's transactions in it (writer_busy_ns / batch_count). A ring keeps
 * the last SRV_ADMIN_SAMPLES seconds, which a page opened later starts
 * with. */
#include <stdlib.h>
#include <time.h>
#include <jansson.h>
#include "server.h"

static long mean_us(unsigned long sum_ns, unsigned long n)
{
	return n ? (long)(sum_ns / n / 1000u) : -1;
}

int srv_admin_sample(struct srv_admin_samples *m)
{
	struct srv_admin_sample *s = &m->ring[m->next];
	unsigned long r[SC_RES_COUNT], vc, vs, bc, busy;
	struct timespec ts;
	int primed = m->primed;

	for (int i = 0; i < (int)SC_RES_COUNT; i++)
		r[i] = atomic_load(&srv_metrics.results[i]);
	vc = atomic_load(&srv_metrics.verify_count);
	vs = atomic_load(&srv_metrics.verify_sum_ns);
	bc = atomic_load(&srv_metrics.batch_count);
	busy = atomic_load(&srv_metrics.writer_busy_ns);
	if (primed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s->t_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		for (int i = 0; i < (int)SC_RES_COUNT; i++)
			s->results[i] = r[i] - m->results[i];
		s->verify_us = mean_us(vs - m->verify_sum_ns, vc - m->verify_count);
		s->commit_us = mean_us(busy - m->busy_ns, bc - m->batch_count);
		m->next = (m->next + 1) % SRV_ADMIN_SAMPLES;
		if (m->count < SRV_ADMIN_SAMPLES)
			m->count++;
	}
	for (int i = 0; i < (int)SC_RES_COUNT; i++)
		m->results[i] = r[i];
	m->verify_count = vc;
	m->verify_sum_ns = vs;
	m->batch_count = bc;
	m->busy_ns = busy;
	m->primed = 1;
	return primed;
}

/* {"t": RFC 3339 ms, "results": {"OK": 1, ...} (non-zero ones),
 * "verify_us": n|null, "commit_us": n|null} */
static json_t *sample_json(const struct srv_admin_sample *s)
{
	json_t *by = json_object();

	for (int i = 0; by && i < (int)SC_RES_COUNT; i++)
		if (s->results[i])
			json_object_set_new(by, sc_result_name(i), json_integer((json_int_t)s->results[i]));
	return json_pack("{s:I,s:o,s:o,s:o}", "t_ms", (json_int_t)s->t_ms, "results", by,
			 "verify_us", s->verify_us < 0 ? json_null() : json_integer(s->verify_us),
			 "commit_us", s->commit_us < 0 ? json_null() : json_integer(s->commit_us));
}

char *srv_admin_samples_json(const struct srv_admin_samples *m, int last_only)
{
	json_t *a = json_array();
	size_t n = last_only ? (m->count > 0) : m->count;
	char *text;

	for (size_t k = 0; a && k < n; k++) {
		size_t i = (m->next + SRV_ADMIN_SAMPLES - n + k) % SRV_ADMIN_SAMPLES;

		json_array_append_new(a, sample_json(&m->ring[i]));
	}
	text = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}
