/* The running server: the event loop (network), verify threads (crypto;
 * the ledger only for keys not cached), one writer thread (every decision
 * that reads state, group commit, the batch's seal) and the HTTP thread,
 * the queues between them, and a drain on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/thread.h>
#include "common/hex.h"
#include "hostlib/atomicfile.h"
#include "server.h"

static struct event_base *run_base;
static struct event *stop_ev;
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;

int srv_queue_init(struct srv_queue *q)
{
	memset(q, 0, sizeof(*q));
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		return -1;
	}
	return 0;
}

void srv_queue_push(struct srv_queue *q, struct srv_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->depth++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

struct srv_job *srv_queue_pop(struct srv_queue *q, int max)
{
	struct srv_job *first, *last;
	int n = 1;

	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	first = q->head;
	if (first) {
		last = first;
		while (n < max && last->next) {
			last = last->next;
			n++;
		}
		q->head = last->next;
		if (!q->head)
			q->tail = NULL;
		last->next = NULL;
		q->depth -= n;
	}
	pthread_mutex_unlock(&q->mu);
	return first;
}

void srv_queue_close(struct srv_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void queue_destroy(struct srv_queue *q)
{
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

int srv_store_open(struct srv_store *st, struct srv_db *db)
{
	if (db->pg)
		return srv_store_pg(st, db);
	srv_store_sqlite(st, db);
	return 0;
}

void srv_store_close(struct srv_store *st, const struct srv_db *db)
{
	if (db->pg)
		srv_store_pg_free(st);
}

static void *verify_main(void *arg)
{
	struct srv *s = arg;
	struct srv_db db = {0};
	struct srv_store store;
	struct srv_job *j;
	char err[256] = "out of memory";
	struct srv_keycache *kc = malloc(sizeof(*kc));
	int ok = kc && srv_db_open(&db, s->cfg.db_path, 1, SRV_SCHEMA_VERSION, err, sizeof(err)) == 0;

	if (srv_store_open(&store, &db) != 0)
		ok = 0;

	if (!ok) {
		log_warnx("verify thread: %s", err);
		srv_health_fault("a verify thread cannot read the ledger");
	}
	if (kc)
		srv_keycache_init(kc, &s->key_generation);
	while ((j = srv_queue_pop(&s->verify_q, 1)) != NULL) {
		atomic_fetch_sub(&srv_metrics.verify_queue, 1);
		if (j->kind == JOB_PRECHECK) {
			/* Read-only, answered here: it never reaches the writer. */
			if (ok)
				srv_precheck_answer(s, &store, j);
			else
				srv_job_reply_error(j, SC_RES_RETRY_LATER, "the ledger cannot be read");
			j->next = NULL;
			srv_net_complete(s->net, j);
			continue;
		}
		if (ok)
			srv_job_check(s, &db, kc, j);
		else
			srv_job_reply_error(j, SC_RES_RETRY_LATER, "the ledger cannot be read");
		atomic_fetch_add(&srv_metrics.writer_queue, 1);
		srv_queue_push(&s->writer_q, j);
	}
	srv_store_close(&store, &db);
	if (ok)
		srv_db_close(&db);
	if (kc) {
		srv_keycache_free(kc);
		free(kc);
	}
	return NULL;
}

/* One line per submission for the operator: what was decided, for which
 * card, counter and amount, and how long the peer waited. Never the
 * password, signature or raw bytes. Written on the event loop as the reply
 * goes out, not by the writer: its thread is the one every commit waits
 * for, and a line costs it a write(2) and the formatting. */
void srv_log_submission(const struct srv_job *j)
{
	struct timespec now;
	double ms;
	char card[2 * SC_CARD_ID_LEN + 1];
	const char *sep = j->detail[0] ? ": " : "";

	if ((j->kind != JOB_SUBMIT && j->kind != JOB_REJECT) || j->code < 0 ||
	    (unsigned)j->code >= SC_RES_COUNT)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec - j->received_ns) / 1e6;
	if (j->kind == JOB_REJECT || j->code == SC_RES_MALFORMED || !j->sub.tx) {
		log_info("submission %s from %s, %.1f ms%s%s", sc_result_name(j->code), j->peer,
			 ms, sep, j->detail);
		return;
	}
	sc_hex_encode(card, j->sub.card_id, SC_CARD_ID_LEN);
	log_info("submission %s card %s atc %u amount %llu %03u from %s to %s, %.1f ms%s%s",
		 sc_result_name(j->code), card, j->sub.atc, (unsigned long long)j->tx.amount,
		 j->tx.currency, j->tx.payer, j->tx.payee, ms, j->code == SC_RES_OK ? "" : sep,
		 j->code == SC_RES_OK ? "" : j->detail);
}

static void *writer_main(void *arg)
{
	struct srv *s = arg;
	struct srv_db db;
	struct srv_store store;
	struct srv_batch batch;
	struct srv_wal wal = {0};
	struct srv_job *jobs;
	char err[256];
	int64_t last_purge = srv_now_ms(), cache_kib;
	int ok = srv_db_open(&db, s->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) == 0;

	if (!ok)
		log_warnx("writer thread: %s", err);
	if (srv_store_open(&store, &db) != 0 || srv_batch_init(&batch, (size_t)s->cfg.batch_max) != 0) {
		log_warnx("writer thread: out of memory");
		ok = 0;
	}
	if (ok && !db.pg) {
		/* The counter continues from the ledger (on PostgreSQL each
		 * batch reserves its counters: store_pg.c). Checkpoints are the
		 * checkpoint thread's, off the commit path; the writer resets
		 * the WAL between batches when it is over its bound (wal.c). */
		sqlite3_stmt *st = srv_stmt(&db, ST_COUNTER_GET);

		ok = st && sqlite3_step(st) == SQLITE_ROW;
		if (ok)
			s->receipt_counter = sqlite3_column_int64(st, 0);
		if (st)
			sqlite3_reset(st);
		if (!ok)
			log_warnx("writer thread: cannot read the receipt counter");
		else if (srv_wal_bound_init(&wal, &db, (int64_t)s->cfg.wal_max_mib << 20) != 0 ||
			 (cache_kib = srv_db_cache(&db, s->cfg.cache_mib)) < 0) {
			log_warnx("writer thread: cannot set up the ledger's connection: %s",
				  sqlite3_errmsg(db.db));
			ok = 0;
		} else {
			log_info("ledger writer: page cache %lld MiB, WAL bound %d MiB",
				 (long long)(cache_kib >> 10), s->cfg.wal_max_mib);
		}
	}
	/* One transaction per batch of whatever queued up while the last one
	 * was syncing: the fsync cost is shared, and no reply leaves before
	 * the COMMIT that holds its effects. */
	while ((jobs = srv_queue_pop(&s->writer_q, s->cfg.batch_max)) != NULL) {

		struct timespec t0, t1;

		for (struct srv_job *j = jobs; j; j = j->next)
			atomic_fetch_sub(&srv_metrics.writer_queue, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ok)
			srv_batch_commit(s, &store, &batch, jobs);
		else
			srv_batch_fail(jobs);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		atomic_fetch_add(&srv_metrics.writer_busy_ns,
				 (unsigned long)((t1.tv_sec - t0.tv_sec) * 1000000000L +
						 (t1.tv_nsec - t0.tv_nsec)));
		for (struct srv_job *j = jobs; j; j = j->next) {
			if (j->kind == JOB_CHALLENGE && j->code > 0 &&
			    (unsigned)j->code < SC_RES_COUNT)
				atomic_fetch_add(&srv_metrics.challenges_refused[j->code], 1);
			if ((j->kind == JOB_SUBMIT || j->kind == JOB_REJECT) && j->code >= 0 &&
			    (unsigned)j->code < SC_RES_COUNT)
				atomic_fetch_add(&srv_metrics.results[j->code], 1);
		}
		/* The batch's replies in one hand-off: one wake-up of the loop
		 * rather than one per job. */
		srv_net_complete(s->net, jobs);
		if (ok && !db.pg)
			srv_wal_bound_check(&wal, &db);
		if (ok && srv_now_ms() - last_purge > 60000) {
			last_purge = srv_now_ms();
			srv_challenges_purge(&db, last_purge);
		}
	}
	srv_store_close(&store, &db);
	srv_db_close(&db);
	srv_batch_free(&batch);
	log_info("writer: %lu batches, %lu submissions, busy %.3f s",
		 atomic_load(&srv_metrics.batch_count), atomic_load(&srv_metrics.batch_sum),
		 (double)atomic_load(&srv_metrics.writer_busy_ns) / 1e9);
	return NULL;
}

/* Moves WAL pages into the database file every 200 ms from its own
 * connection, so the writer's commits do not wait for checkpoints. PASSIVE:
 * it never blocks the writer or a reader. */
static void *checkpoint_main(void *arg)
{
	struct srv *s = arg;
	struct srv_db db;
	char err[256];

	if (srv_db_open(&db, s->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0) {
		log_warnx("checkpoint thread: %s", err);
		return NULL;
	}
	while (!atomic_load(&s->checkpoint_stop)) {
		sqlite3_wal_checkpoint_v2(db.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		usleep(200000);
	}
	sqlite3_wal_checkpoint_v2(db.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	srv_db_close(&db);
	return NULL;
}

struct drain_state {
	struct srv *s;
	struct event *timer;
	int ticks;
};

static void drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct drain_state *d = arg;
	struct timeval tv = {0, 20000};

	(void)fd;
	(void)what;
	/* Give in-flight requests up to 30 s to reach their COMMIT and reply. */
	if (srv_net_idle(d->s->net) || ++d->ticks > 1500) {
		event_base_loopexit(run_base, NULL);
		return;
	}
	evtimer_add(d->timer, &tv);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct drain_state *d = arg;

	(void)fd;
	(void)what;
	if (atomic_exchange(&d->s->stopping, 1))
		return;
	log_info("stopping: draining requests in flight");
	srv_net_drain(d->s->net);
	drain_tick(-1, 0, d);
}

void srv_stop(void)
{
	pthread_mutex_lock(&run_mu);
	if (stop_ev)
		event_active(stop_ev, 0, 0);
	pthread_mutex_unlock(&run_mu);
}

static int load_keys(struct srv *s)
{
	char err[512], hex[2 * SC_KEY_ID_LEN + 1];
	size_t n;

	if (srv_ring_load(&s->ring, &s->cfg, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	/* The ring's last key seals until the next start: `key rotate` on a
	 * running server takes effect when it is restarted. */
	n = s->ring.list.n - 1;
	s->keys = srv_keys_open(&s->cfg, &s->ring, SRV_KEYS_MASTER | SRV_KEYS_RECEIPT, err,
				sizeof(err));
	if (!s->keys) {
		log_warnx("%s", err);
		return -1;
	}
	if (s->cfg.pkcs11_module[0])
		log_info("the issuer's keys are in token '%s' (K_card derivation v2)",
			 s->cfg.token_label);
	memcpy(s->receipt_pub, s->ring.list.e[n].pub, SC_PUBKEY_LEN);
	memcpy(s->receipt_key_id, s->ring.id[n], SC_KEY_ID_LEN);
	sc_hex_encode(hex, s->receipt_key_id, SC_KEY_ID_LEN);
	log_info("receipt key %s seals (%zu key%s in the ring)", hex, s->ring.list.n,
		 s->ring.list.n == 1 ? "" : "s");
	return 0;
}

/* A daemon works from "/": relative paths are made absolute first. */
static int absolute(char *path, size_t cap)
{
	char cwd[SRV_PATH_MAX], tmp[SRV_PATH_MAX];

	if (!path[0] || path[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)) ||
	    snprintf(tmp, sizeof(tmp), "%s/%s", cwd, path) >= (int)sizeof(tmp) ||
	    strlen(tmp) >= cap)
		return -1;
	memcpy(path, tmp, strlen(tmp) + 1);
	return 0;
}

static void on_hup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_info("SIGHUP ignored: there is no configuration to reload and no log file to"
		 " reopen (restart to change settings)");
}

/* The ledger as the daemon may serve it: made by init (never created
 * here), migrated to this build's schema, pages whole, books balanced. */
static int ledger_ready(const char *path, int check_time)
{
	struct srv_db db;
	struct timespec t0, t1;
	char err[768];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (srv_db_is_pg(path)) {
		/* PostgreSQL keeps its own pages whole; the books' totals. */
		if (srv_db_open(&db, path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			return -1;
		}
		rc = srv_ledger_check_totals(&db, err, sizeof(err));
		srv_db_close(&db);
		if (rc != 0)
			log_warnx("the ledger's books do not balance: %s", err);
		return rc;
	}
	if (srv_ledger_present(path, err, sizeof(err)) != 0 ||
	    srv_db_open(&db, path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	rc = srv_ledger_verify(&db, path, check_time, err, sizeof(err));
	srv_db_close(&db);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != 0)
		log_warnx("%s", err);
	else
		log_info("ledger checked in %.1f s", (double)(t1.tv_sec - t0.tv_sec) +
			 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return rc < 0 ? -1 : 0;
}

static int write_pidfile(const char *path)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	int w = af_write_file(path, 0644, 0, pid, (size_t)n);

	if (w != 0) {
		log_warnx("cannot write %s: %s", path, af_strerror(w));
		return -1;
	}
	return 0;
}

/* Everything that can fail at start happens before the process detaches
 * (or, in the foreground, before "serving"): the lock, the ledger checks,
 * every socket bound. A failure is on stderr with a non-zero exit. */
int srv_run(const struct srv_config *cfg)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct drain_state drain = {0};
	struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL;
	char err[768];
	int rc = 1, started = 0, pid_written = 0, lock_fd = -1, ready_fd = -1, checkpoints = 0;
	/* Several servers may share a PostgreSQL ledger (docs/SCALING.md):
	 * no lock file, no WAL to checkpoint. */
	int is_pg = srv_db_is_pg(cfg->db_path);

	if (!s)
		return 1;
	s->cfg = *cfg;
	srv_metrics_start();
	/* Until detached, what goes wrong goes to the operator's stderr. */
	log_setforeground(1);
	log_setstamp(1);
	/* A terminal hanging up must not stop the server (nor kill it
	 * before the event loop handles the signal). */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (!s->cfg.foreground) {
		if ((!is_pg && absolute(s->cfg.db_path, sizeof(s->cfg.db_path)) != 0) ||
		    absolute(s->cfg.unix_path, sizeof(s->cfg.unix_path)) != 0 ||
		    absolute(s->cfg.pidfile, sizeof(s->cfg.pidfile)) != 0) {
			log_warnx("a path is too long once made absolute");
			goto out;
		}
		if ((ready_fd = srv_detach_begin(err, sizeof(err))) < 0) {
			log_warnx("%s", err);
			goto out;
		}
	}
	if (!is_pg && (lock_fd = srv_lock_take(s->cfg.db_path, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		goto out;
	}
	if (lock_fd >= 0 && srv_lock_note_pid(lock_fd) != 0)
		log_warn("cannot write the pid into the ledger's lock file");
	if (load_keys(s) != 0 || ledger_ready(s->cfg.db_path, s->cfg.check_time) != 0)
		goto out;
	/* Before the sockets, so that whoever waits for a socket finds the pid
	 * file; a failed start removes it. */
	if (s->cfg.pidfile[0]) {
		if (write_pidfile(s->cfg.pidfile) != 0)
			goto out;
		pid_written = 1;
	}
	if (srv_fd_limit_fit(&s->cfg) != 0)
		goto out;
	if (evthread_use_pthreads() != 0 || !(run_base = event_base_new())) {
		log_warnx("cannot set up the event loop");
		goto out;
	}
	if (srv_queue_init(&s->verify_q) != 0 || srv_queue_init(&s->writer_q) != 0)
		goto out;
	s->net = srv_net_start(s, run_base, err, sizeof(err));
	if (!s->net) {
		log_warnx("%s", err);
		goto out;
	}
	if (s->cfg.http_addr[0] && !(s->http = srv_http_start(s, err, sizeof(err)))) {
		log_warnx("%s", err);
		goto out;
	}
	if (s->cfg.admin_http_addr[0] &&
	    !(s->admin_http = srv_admin_http_start(s, err, sizeof(err)))) {
		log_warnx("%s", err);
		goto out;
	}
	if (ready_fd >= 0) {
		if (srv_detach_finish(ready_fd) != 0)
			goto out;
		ready_fd = -1;
	}
	s->verify_threads = calloc((size_t)s->cfg.workers, sizeof(pthread_t));
	if (!s->verify_threads)
		goto out;
	for (int i = 0; i < s->cfg.workers; i++) {
		pthread_create(&s->verify_threads[i], NULL, verify_main, s);
		pthread_setname_np(s->verify_threads[i], "sc-verify");
	}
	pthread_create(&s->writer_thread, NULL, writer_main, s);
	pthread_setname_np(s->writer_thread, "sc-writer");
	if (!is_pg) {
		pthread_create(&s->checkpoint_thread, NULL, checkpoint_main, s);
		pthread_setname_np(s->checkpoint_thread, "sc-checkpoint");
		checkpoints = 1;
	}
	started = 1;

	drain.s = s;
	drain.timer = evtimer_new(run_base, drain_tick, &drain);
	pthread_mutex_lock(&run_mu);
	stop_ev = event_new(run_base, -1, 0, on_stop, &drain);
	pthread_mutex_unlock(&run_mu);
	sigterm = evsignal_new(run_base, SIGTERM, on_stop, &drain);
	sigint = evsignal_new(run_base, SIGINT, on_stop, &drain);
	sighup = evsignal_new(run_base, SIGHUP, on_hup, NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_add(sighup, NULL);
	log_info("serving: submissions on %s%s%s%s, HTTP on %s, %d verify threads",
		 s->cfg.tcp_addr[0] ? s->cfg.tcp_addr : "-",
		 !s->cfg.tcp_addr[0] ? "" : s->cfg.insecure_plain_tcp ? " (PLAIN TCP)" : " (TLS)",
		 s->cfg.unix_path[0] ? " and " : "",
		 s->cfg.unix_path, s->cfg.http_addr[0] ? s->cfg.http_addr : "-", s->cfg.workers);
	event_base_dispatch(run_base);
	rc = 0;
out:
	if (started) {
		srv_queue_close(&s->verify_q);
		for (int i = 0; i < s->cfg.workers; i++)
			pthread_join(s->verify_threads[i], NULL);
		srv_queue_close(&s->writer_q);
		pthread_join(s->writer_thread, NULL);
		atomic_store(&s->checkpoint_stop, 1);
		if (checkpoints)
			pthread_join(s->checkpoint_thread, NULL);
		queue_destroy(&s->verify_q);
		queue_destroy(&s->writer_q);
	}
	if (s->http)
		srv_http_stop(s->http);
	if (s->admin_http)
		srv_admin_http_stop(s->admin_http);
	pthread_mutex_lock(&run_mu);
	if (stop_ev)
		event_free(stop_ev);
	stop_ev = NULL;
	pthread_mutex_unlock(&run_mu);
	if (drain.timer)
		event_free(drain.timer);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	if (sighup)
		event_free(sighup);
	if (s->net)
		srv_net_free(s->net);
	if (run_base)
		event_base_free(run_base);
	run_base = NULL;
	free(s->verify_threads);
	srv_keys_close(s->keys);
	srv_ring_free(&s->ring);
	if (pid_written)
		unlink(s->cfg.pidfile);
	if (lock_fd >= 0)
		close(lock_fd); /* after the last connection to the ledger closed */
	free(s);
	if (rc == 0)
		log_info("stopped cleanly");
	return rc;
}
