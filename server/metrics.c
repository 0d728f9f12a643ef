/* Counters for the Prometheus /metrics page. Threads bump atomics; the
 * HTTP thread reads them, so no lock is held on the submission path. */
#include <stdio.h>
#include "server.h"

struct srv_metrics srv_metrics;

/* Upper bounds of the verify latency buckets, microseconds. */
static const unsigned long verify_le_us[SRV_VERIFY_BUCKETS] = {
	50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000,
};
/* Upper bounds of the commit batch size buckets, submissions. */
static const unsigned long batch_le[SRV_BATCH_BUCKETS] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

void srv_metrics_verify(uint64_t ns)
{
	for (int i = 0; i < SRV_VERIFY_BUCKETS; i++) {
		if (ns <= verify_le_us[i] * 1000u) {
			atomic_fetch_add(&srv_metrics.verify_le[i], 1);
			break;
		}
	}
	atomic_fetch_add(&srv_metrics.verify_count, 1);
	atomic_fetch_add(&srv_metrics.verify_sum_ns, ns);
}

void srv_metrics_batch(unsigned n)
{
	for (int i = 0; i < SRV_BATCH_BUCKETS; i++) {
		if (n <= batch_le[i]) {
			atomic_fetch_add(&srv_metrics.batch_le[i], 1);
			break;
		}
	}
	atomic_fetch_add(&srv_metrics.batch_count, 1);
	atomic_fetch_add(&srv_metrics.batch_sum, n);
}

struct out {
	char *p;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
	if (o->len > o->cap)
		o->len = o->cap;
}

size_t srv_metrics_render(char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	unsigned long cum = 0;

	put(&o, "# HELP sigcard_submissions_total Submissions answered, by result.\n"
		"# TYPE sigcard_submissions_total counter\n");
	for (int i = 0; i < (int)SC_RES_COUNT; i++)
		put(&o, "sigcard_submissions_total{result=\"%s\"} %lu\n", sc_result_name(i),
		    atomic_load(&srv_metrics.results[i]));
	put(&o, "# HELP sigcard_challenges_total Challenges issued.\n"
		"# TYPE sigcard_challenges_total counter\n"
		"sigcard_challenges_total %lu\n", atomic_load(&srv_metrics.challenges));
	put(&o, "# HELP sigcard_verify_seconds Signature and password check time per submission.\n"
		"# TYPE sigcard_verify_seconds histogram\n");
	for (int i = 0; i < SRV_VERIFY_BUCKETS; i++) {
		cum += atomic_load(&srv_metrics.verify_le[i]);
		put(&o, "sigcard_verify_seconds_bucket{le=\"%g\"} %lu\n", (double)verify_le_us[i] / 1e6, cum);
	}
	put(&o, "sigcard_verify_seconds_bucket{le=\"+Inf\"} %lu\n"
		"sigcard_verify_seconds_sum %.9f\nsigcard_verify_seconds_count %lu\n",
	    atomic_load(&srv_metrics.verify_count), (double)atomic_load(&srv_metrics.verify_sum_ns) / 1e9,
	    atomic_load(&srv_metrics.verify_count));
	put(&o, "# HELP sigcard_commit_batch_size Submissions committed per transaction.\n"
		"# TYPE sigcard_commit_batch_size histogram\n");
	cum = 0;
	for (int i = 0; i < SRV_BATCH_BUCKETS; i++) {
		cum += atomic_load(&srv_metrics.batch_le[i]);
		put(&o, "sigcard_commit_batch_size_bucket{le=\"%lu\"} %lu\n", batch_le[i], cum);
	}
	put(&o, "sigcard_commit_batch_size_bucket{le=\"+Inf\"} %lu\n"
		"sigcard_commit_batch_size_sum %lu\nsigcard_commit_batch_size_count %lu\n",
	    atomic_load(&srv_metrics.batch_count), atomic_load(&srv_metrics.batch_sum),
	    atomic_load(&srv_metrics.batch_count));
	put(&o, "# HELP sigcard_writer_busy_seconds_total Time the writer spent in transactions.\n"
		"# TYPE sigcard_writer_busy_seconds_total counter\n"
		"sigcard_writer_busy_seconds_total %.6f\n",
	    (double)atomic_load(&srv_metrics.writer_busy_ns) / 1e9);
	put(&o, "# HELP sigcard_queue_depth Requests waiting, by stage.\n"
		"# TYPE sigcard_queue_depth gauge\n"
		"sigcard_queue_depth{queue=\"verify\"} %ld\n"
		"sigcard_queue_depth{queue=\"writer\"} %ld\n",
	    atomic_load(&srv_metrics.verify_queue), atomic_load(&srv_metrics.writer_queue));
	put(&o, "# HELP sigcard_connections Open submission connections.\n"
		"# TYPE sigcard_connections gauge\nsigcard_connections %ld\n"
		"# HELP sigcard_in_flight Requests being processed.\n"
		"# TYPE sigcard_in_flight gauge\nsigcard_in_flight %ld\n"
		"# HELP sigcard_peers_dropped_total Peers dropped for bad frames, limits or timeouts.\n"
		"# TYPE sigcard_peers_dropped_total counter\nsigcard_peers_dropped_total %lu\n",
	    atomic_load(&srv_metrics.connections), atomic_load(&srv_metrics.in_flight),
	    atomic_load(&srv_metrics.peers_dropped));
	return o.len;
}
