/* Counters for the Prometheus /metrics page. Threads bump atomics; the
 * HTTP thread reads them, so no lock is held on the submission path. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "server.h"
#include "server/tls.h"

struct srv_metrics srv_metrics;

static pthread_mutex_t health_mu = PTHREAD_MUTEX_INITIALIZER;
static char health_reason[160];       /* why the last commit failed; "" when it went through */
static unsigned long health_repeats;  /* failed commits since the first of this run of them */
static double started_at;             /* Unix time of srv_metrics_start */

void srv_metrics_start(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	started_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Logs the first failure of a run and the recovery, not every failed
 * commit in between: a full disk would otherwise flood the log. */
void srv_health_fault(const char *reason)
{
	pthread_mutex_lock(&health_mu);
	if (reason) {
		if (!health_reason[0])
			log_warnx("the ledger cannot commit: %s; answering RETRY_LATER until it can"
				  " (further failures are counted, not logged)", reason);
		snprintf(health_reason, sizeof(health_reason), "the ledger cannot commit: %s",
			 reason);
		health_repeats++;
	} else if (health_reason[0]) {
		log_info("the ledger commits again, after %lu failed commits", health_repeats);
		health_reason[0] = '\0';
		health_repeats = 0;
	}
	pthread_mutex_unlock(&health_mu);
}

int srv_health_failing(char *reason, size_t cap)
{
	int failing;

	pthread_mutex_lock(&health_mu);
	failing = health_reason[0] != '\0';
	snprintf(reason, cap, "%s", health_reason);
	pthread_mutex_unlock(&health_mu);
	return failing;
}

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

/* The standard process_* metrics and the build, from the kernel's view. */
static void render_process(struct out *o)
{
	struct rusage ru;
	struct rlimit rl;
	long pages = 0, rss = 0, fds = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	if (d) {
		while ((e = readdir(d)) != NULL)
			fds += e->d_name[0] != '.';
		fds--; /* the one opendir holds */
		closedir(d);
	}
	getrusage(RUSAGE_SELF, &ru);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		rl.rlim_cur = 0;
	put(o, "# HELP sigcard_build_info The running build.\n"
	       "# TYPE sigcard_build_info gauge\nsigcard_build_info{version=\"%s\"} 1\n",
	    SC_VERSION);
	put(o, "# HELP process_cpu_seconds_total User and system CPU time.\n"
	       "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n",
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	put(o, "# HELP process_resident_memory_bytes Resident memory.\n"
	       "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
	    rss * sysconf(_SC_PAGESIZE));
	put(o, "# HELP process_open_fds Open file descriptors.\n"
	       "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n", fds);
	put(o, "# HELP process_max_fds The file descriptor limit.\n"
	       "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
	    (unsigned long long)rl.rlim_cur);
	put(o, "# HELP process_start_time_seconds When the server started, Unix time.\n"
	       "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
	    started_at);
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
	put(&o, "# HELP sigcard_challenges_refused_total Challenge requests refused, by result.\n"
		"# TYPE sigcard_challenges_refused_total counter\n");
	for (int i = 0; i < (int)SC_RES_COUNT; i++)
		if (i != SC_RES_OK)
			put(&o, "sigcard_challenges_refused_total{result=\"%s\"} %lu\n",
			    sc_result_name(i), atomic_load(&srv_metrics.challenges_refused[i]));
	put(&o, "# HELP sigcard_prechecks_total Authorisation pre-checks answered, by verdict"
		" (OK or the code a SUBMIT would get) or error.\n"
		"# TYPE sigcard_prechecks_total counter\n");
	for (int i = 0; i < (int)SC_RES_COUNT; i++)
		put(&o, "sigcard_prechecks_total{result=\"%s\"} %lu\n", sc_result_name(i),
		    atomic_load(&srv_metrics.prechecks[i]));
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
	put(&o, "# HELP sigcard_ledger_timeouts_total PostgreSQL statements ended by lock_timeout"
		" or statement_timeout.\n"
		"# TYPE sigcard_ledger_timeouts_total counter\n"
		"sigcard_ledger_timeouts_total{timeout=\"lock\"} %lu\n"
		"sigcard_ledger_timeouts_total{timeout=\"statement\"} %lu\n",
	    atomic_load(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_LOCK]),
	    atomic_load(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_STATEMENT]));
	put(&o, "# HELP sigcard_wal_resets_total RESTART checkpoints keeping the WAL bounded.\n"
		"# TYPE sigcard_wal_resets_total counter\nsigcard_wal_resets_total %lu\n",
	    atomic_load(&srv_metrics.wal_resets));
	put(&o, "# HELP sigcard_audit_unrecorded_total Unauthenticated requests beyond the"
		" audit sample (counted only).\n"
		"# TYPE sigcard_audit_unrecorded_total counter\nsigcard_audit_unrecorded_total %lu\n",
	    atomic_load(&srv_metrics.audit_unrecorded));
	put(&o, "# HELP sigcard_tls_handshakes_total TLS peers admitted with a terminal certificate.\n"
		"# TYPE sigcard_tls_handshakes_total counter\nsigcard_tls_handshakes_total %lu\n",
	    atomic_load(&srv_metrics.tls_handshakes));
	put(&o, "# HELP sigcard_tls_refused_total TLS handshakes refused, by reason (nothing of"
		" them reaches the ledger).\n# TYPE sigcard_tls_refused_total counter\n");
	for (int i = 0; i < SRV_TLS_REFUSALS; i++)
		put(&o, "sigcard_tls_refused_total{reason=\"%s\"} %lu\n", srv_tls_refusal_name(i),
		    atomic_load(&srv_metrics.tls_refused[i]));
	render_process(&o);
	return o.len;
}
