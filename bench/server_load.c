/* server_load: the throughput of sigcard-server, verified and committed.
 * It makes an issuer in a temporary folder, personalises N cards with the
 * card core in-process (tests/support/sim_card.h) and enrols them, starts
 * the real server (synchronous=FULL, Unix socket), prepares M signed
 * submissions (challenge from the server, SIGN TRANSACTION and PIN + OK on
 * the card), then sends them over N connections (one per card) and measures
 * transfers/s and latency. In the same run it measures the raw OpenSSL
 * P-256 verify rate of one core, for a second just before the load and a
 * second just after it, and divides by their mean: on a shared machine the
 * rate of a core drifts by a fifth within a minute, and the ratio should
 * compare the load with what a core did at the time.
 *
 * The load is driven by one thread over epoll, the N sockets non-blocking:
 * each card has exactly one submission in flight, and its next one leaves
 * only when the reply to the previous one came back, so the server sees
 * each card's counters in order. One thread rather than one per card so
 * that the load generator takes as little as possible of the CPU the
 * server is measured on (same machine); its cost is printed.
 *
 *   server_load [--server PATH] [--cards N] [--tx M] [--workers W] [--timeout S]
 *               [--seconds S] [--wal-max MIB] [--pkcs11 MODULE]
 *
 * With --pkcs11 (SoftHSM2's module) the issuer's keys are in a token the
 * run makes in its folder: init makes them there, each card's K_card comes
 * wrapped out of the token (the card core's unwrap, as personalisation),
 * and the server checks every JP inside the token.
 *
 * The load is sustained: rounds of M submissions are prepared and driven
 * until the driving alone took --seconds (default 10), the server running
 * throughout, so that its checkpoints and the WAL's bound are part of the
 * figure; the WAL's peak size, sampled while driving, is printed too.
 *
 * The last lines are: server_tps=... raw_verify_per_core=... ratio=...
 * (token_server_tps=... with --pkcs11) and wal_peak_bytes=...
 *
 * With --tls the load goes to the TCP listener over TLS 1.3 instead, as
 * terminals pay: the run enrols one terminal ("BENCH", whose id every
 * transaction names) with `sigcard-server terminal enrol`, and each card's
 * connection makes its handshake once, before the first round, and is
 * kept for every round, as a terminal keeps its connection. The ratio
 * line is then tls_server_tps=... (challenges are still asked on the Unix
 * socket, outside the figure).
 *
 * With --pg CONNINFO the ledger is that PostgreSQL database (empty: the
 * run makes its schema, accounts and cards there) and --instances N
 * servers serve it at once, each on a Unix socket of its own, the cards'
 * connections dealt among them in turn (card k to server k mod N); the
 * challenges all come from the first, as a challenge from one server is
 * spent at another on a shared ledger. The ratio line is then
 * pg_server_tps=... instances=N ... (bench/server_load.sh starts the
 * cluster). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "common/frame.h"
#include "common/submit.h"
#include "server/server.h"
#include "tests/support/server_client.h"
#include "tests/support/sim_card.h"

struct sub {
	uint8_t frame[SC_FRAME_HDR + SC_SUBMIT_MSG_MAX]; /* the SUBMIT, framed, as sent */
	size_t len;         /* bytes of frame */
	double latency;     /* seconds from its first byte out to its reply */
	int code;           /* the RESULT code; -1 until a valid RESULT came */
};

struct lane {               /* one card, one connection, one submission in flight */
	struct sub *subs;   /* the card's submissions, in counter order */
	int n;
	int next;           /* the one in flight: subs[next] */
	int fd;             /* -1 before the load and once the lane is over */
	SSL *ssl;           /* --tls: the lane's TLS, kept across rounds */
	int tls_fd;         /* its socket, -1 if none */
	int want_out;       /* EPOLLOUT registered: a frame is partly written */
	size_t sent;        /* bytes of subs[next].frame written */
	double t0;          /* when subs[next] started to go out */
	struct sc_frame_dec dec;
	uint8_t reply[SC_RESULT_MSG_MAX];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SSL_CTX *tls_ctx;    /* --tls: the terminal's context; NULL: the Unix socket */
static int tls_port;
#define INSTANCES_MAX 8
static pid_t server_pids[INSTANCES_MAX]; /* the daemons started for the run, stopped by die() */
static int ninstances = 1;  /* --instances: servers on the one ledger (--pg) */
static char socks[INSTANCES_MAX][512]; /* each one's Unix socket */
static char wal_path[600];  /* the ledger's WAL, sampled while driving */
static off_t wal_peak;
static double wal_sampled;  /* when it was last sampled */

static void wal_sample(void)
{
	struct stat st;

	wal_sampled = now();
	if (stat(wal_path, &st) == 0 && st.st_size > wal_peak)
		wal_peak = st.st_size;
}

static char run_dir[256]; /* the run's folder (the issuer's keys among it), once made */

/* Removes the run's folder unless SC_KEEP is set: at the end, and when
 * the run dies, so that no key stays behind in /tmp. */
static void run_dir_remove(void)
{
	char cmd[320];

	if (!run_dir[0] || getenv("SC_KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "server_load: cannot remove %s\n", run_dir);
}

/* The last lines of the first n servers' logs, on stderr: a run that
 * dies removes its folder, their logs with it. */
static void show_server_logs(const char *dir, int n)
{
	for (int inst = 0; inst < n; inst++) {
		char logp[300], lines[20][512];
		int count = 0;
		FILE *lf;

		snprintf(logp, sizeof(logp), inst ? "%s/server%d.log" : "%s/server.log", dir, inst);
		if (!(lf = fopen(logp, "r")))
			continue;
		while (fgets(lines[count % 20], sizeof(lines[0]), lf))
			count++;
		fclose(lf);
		for (int i = count > 20 ? count - 20 : 0; i < count; i++)
			fprintf(stderr, "server_load: server %d: %s", inst, lines[i % 20]);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "server_load: %s\n", what);
	for (int i = 0; i < ninstances; i++)
		if (server_pids[i] > 0) {
			kill(server_pids[i], SIGTERM);
			waitpid(server_pids[i], NULL, 0);
		}
	run_dir_remove();
	exit(1);
}

/* Verifies per second on this thread, for about `seconds`: the same
 * OpenSSL call the server makes, on a prepared key and signature. */
static double raw_verify_rate(double seconds)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t digest[32], sig[80];
	size_t siglen = sizeof(sig);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	double t0, t;
	long n = 0;

	SHA256((const uint8_t *)"sigcard", 7, digest);
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, sig, &siglen, digest, sizeof(digest)) != 1 ||
	    EVP_PKEY_verify_init(ctx) != 1)
		die("openssl setup failed");
	t0 = now();
	do {
		for (int i = 0; i < 100; i++)
			if (EVP_PKEY_verify(ctx, sig, siglen, digest, sizeof(digest)) != 1)
				die("verify failed");
		n += 100;
		t = now();
	} while (t - t0 < seconds);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return (double)n / (t - t0);
}

/* The load driver: a lane writes its submission, waits for the reply,
 * records its code and latency, then writes the next one. A lane whose
 * connection fails or whose peer breaks the framing is closed: its
 * submissions not answered keep code -1 and count as not OK. */

static void lane_close(struct lane *l)
{
	close(l->fd);       /* also takes it out of the epoll set */
	if (l->ssl) {
		SSL_free(l->ssl);
		l->ssl = NULL;
		l->tls_fd = -1;
	}
	l->fd = -1;
}

/* A TLS lane whose round is over keeps its connection for the next. */
static void lane_pause(struct lane *l, int ep)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, l->fd, NULL);
	l->fd = -1;
	l->want_out = 0;
}

/* send() or SSL_write(): bytes written, 0 if the socket is full, -1. */
static ssize_t lane_send(struct lane *l, const uint8_t *p, size_t n)
{
	if (l->ssl) {
		int w = SSL_write(l->ssl, p, (int)n);
		int e = w > 0 ? SSL_ERROR_NONE : SSL_get_error(l->ssl, w);

		return w > 0 ? w : e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
	}
	for (;;) {
		ssize_t w = send(l->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return w > 0 ? w : -1;
	}
}

/* read() or SSL_read(): bytes read, 0 if none yet, -1 when the connection ended. */
static ssize_t lane_recv(struct lane *l, uint8_t *p, size_t n)
{
	ssize_t r;

	if (l->ssl) {
		int k = SSL_read(l->ssl, p, (int)n);
		int e = k > 0 ? SSL_ERROR_NONE : SSL_get_error(l->ssl, k);

		return k > 0 ? k : e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
	}
	r = read(l->fd, p, n);
	if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return r > 0 ? r : -1;
}

/* Writes what is left of subs[next]; waits for EPOLLOUT if the socket is
 * full. 0, or -1 when the connection failed. */
static int lane_write(struct lane *l, int ep)
{
	struct sub *s = &l->subs[l->next];
	int want_out;

	while (l->sent < s->len) {
		ssize_t w = lane_send(l, s->frame + l->sent, s->len - l->sent);

		if (w == 0)
			break;
		if (w < 0)
			return -1;
		l->sent += (size_t)w;
	}
	want_out = l->sent < s->len;
	if (want_out != l->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0u),
					 .data.ptr = l};

		if (epoll_ctl(ep, EPOLL_CTL_MOD, l->fd, &ev) != 0)
			return -1;
		l->want_out = want_out;
	}
	return 0;
}

static int lane_start(struct lane *l, int ep)
{
	l->sent = 0;
	l->t0 = now();
	return lane_write(l, ep);
}

/* One read (level-triggered: what is left is reported again). A complete
 * RESULT closes subs[next] and starts the next. 0 while the lane goes on,
 * 1 when its last reply came, -1 when the connection failed or the server
 * sent what was not asked for. */
static int lane_read(struct lane *l, int ep)
{
	uint8_t in[SC_FRAME_HDR + SC_RESULT_MSG_MAX];
	ssize_t r = lane_recv(l, in, sizeof(in));
	size_t used = 0;

	if (r == 0)
		return 0;
	if (r < 0)
		return -1;
	while (used < (size_t)r) {
		struct sub *s = &l->subs[l->next];
		struct sc_result_msg m;
		size_t body_len;
		int k = sc_frame_dec_feed(&l->dec, in + used, (size_t)r - used, &body_len);

		if (k < 0)
			return -1;
		used += (size_t)k;
		if (body_len == 0)
			continue;
		/* a reply before the whole request went out, or a second
		 * one in the same read, was not asked for */
		if (l->sent < s->len || used < (size_t)r)
			return -1;
		s->latency = now() - l->t0;
		s->code = sc_result_decode(&m, l->reply, body_len) == 0 ? m.code : -1;
		if (++l->next == l->n)
			return 1;
		return lane_start(l, ep);
	}
	return 0;
}

/* Connects every lane to sock and drives them all until each lane is
 * over or `timeout` seconds have passed. Returns the number of lanes
 * that did not finish (failed or timed out). */
static int drive(struct lane *lanes, int nlanes, const char *sock, double timeout)
{
	struct epoll_event ev[64];
	double deadline = now() + timeout;
	int ep = epoll_create1(EPOLL_CLOEXEC), active = 0, unfinished = 0;

	if (ep < 0)
		die("epoll_create1 failed");
	for (int k = 0; k < nlanes; k++) {
		struct lane *l = &lanes[k];
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = l};
		int flags;

		l->fd = tls_ctx ? l->tls_fd : sclient_connect(k % ninstances ? socks[k % ninstances] : sock);
		if (l->fd < 0) {
			unfinished++;
			continue;
		}
		flags = fcntl(l->fd, F_GETFL);
		if (flags < 0 || fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &e) != 0 || lane_start(l, ep) != 0) {
			lane_close(l);
			unfinished++;
			continue;
		}
		active++;
	}
	while (active > 0) {
		double left = deadline - now();
		int n;

		if (left <= 0)
			break;
		if (now() - wal_sampled > 0.005)
			wal_sample();
		n = epoll_wait(ep, ev, (int)(sizeof(ev) / sizeof(ev[0])), (int)(left * 1e3) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait failed");
		for (int i = 0; i < n; i++) {
			struct lane *l = ev[i].data.ptr;
			int rc = 0;

			if (ev[i].events & EPOLLOUT)
				rc = lane_write(l, ep);
			/* on EPOLLHUP/EPOLLERR the read says what happened */
			if (rc == 0 && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				rc = lane_read(l, ep);
			if (rc == 1 && l->ssl)
				lane_pause(l, ep);
			else if (rc != 0)
				lane_close(l);
			if (rc != 0) {
				active--;
				unfinished += rc < 0;
			}
		}
	}
	if (active > 0) {
		fprintf(stderr, "server_load: the load timed out after %.0f s, %d cards not done\n",
			timeout, active);
		for (int k = 0; k < nlanes; k++)
			if (lanes[k].fd >= 0)
				lane_close(&lanes[k]);
		unfinished += active;
	}
	close(ep);
	return unfinished;
}

/* CPU seconds used so far, summed by thread name, of process pid (the
 * server: its event loop, sc-verify, sc-writer, sc-checkpoint), plus the
 * whole machine's idle time and the part of it spent waiting for the disk
 * (iowait: mostly the writer's fsyncs and checkpoints, which no thread's
 * CPU time shows): where the time of the load goes. */
#define STAGES 9
struct stage {
	char name[20];
	double cpu;
};

static int stage_add(struct stage *st, int n, const char *name, double cpu)
{
	int i;

	for (i = 0; i < n && strcmp(st[i].name, name) != 0; i++)
		;
	if (i == n) {
		if (n == STAGES)
			return n;
		snprintf(st[n].name, sizeof(st[n].name), "%s", name);
		st[n++].cpu = 0;
	}
	st[i].cpu += cpu;
	return n;
}

static int stages_read(pid_t pid, struct stage *st)
{
	double tick = (double)sysconf(_SC_CLK_TCK);
	char path[64], buf[1024];
	struct dirent *e;
	DIR *d;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char comm[20], *open, *close_p;
			unsigned long ut = 0, stime = 0;
			size_t len;

			if (e->d_name[0] == '.')
				continue;
			snprintf(buf, sizeof(buf), "%s/%.20s/stat", path, e->d_name);
			if (!(f = fopen(buf, "r")))
				continue;
			len = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[len] = '\0';
			open = strchr(buf, '(');
			close_p = strrchr(buf, ')');
			if (!open || !close_p || close_p - open - 1 >= (long)sizeof(comm))
				continue;
			snprintf(comm, sizeof(comm), "%.*s", (int)(close_p - open - 1), open + 1);
			/* after ")": state ppid pgrp session tty tpgid flags minflt
			 * cminflt majflt cmajflt utime stime */
			if (sscanf(close_p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				   &ut, &stime) == 2)
				n = stage_add(st, n, comm, (double)(ut + stime) / tick);
		}
		closedir(d);
	}
	if ((f = fopen("/proc/stat", "r")) != NULL) {
		unsigned long long user, nice, sys, idle, iowait;

		if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
			   &iowait) == 5) {
			n = stage_add(st, n, "idle (machine)", (double)idle / tick);
			n = stage_add(st, n, "iowait (machine)", (double)iowait / tick);
		}
		fclose(f);
	}
	return n;
}

/* The server's read system calls and bytes written to storage so far
 * (/proc/PID/io), all threads together: the reads are the sockets' (about
 * one a submission) and SQLite's (a page a connection did not have in its
 * cache, from the file or the WAL); the bytes are the WAL's and the
 * checkpoints'. Less sensitive than CPU time to a shared machine's load.
 * 0, or -1 if the file cannot be read (both left 0). */
static int io_read(pid_t pid, double *syscr, double *write_bytes)
{
	char path[64], key[32];
	unsigned long long v;
	FILE *f;

	*syscr = *write_bytes = 0;
	snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fscanf(f, "%31[^:]: %llu\n", key, &v) == 2) {
		if (strcmp(key, "syscr") == 0)
			*syscr = (double)v;
		else if (strcmp(key, "write_bytes") == 0)
			*write_bytes = (double)v;
	}
	fclose(f);
	return 0;
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define TX_MAX 1000000          /* prepared submissions are held in memory */

/* Challenges for every submission of a round: ch[] holds them card by
 * card, each card's in counter order. They are asked in the order the
 * load spends them, each card's first, then each card's second, and so
 * on (the lanes go on in step, one submission in flight each), as a
 * terminal asks its challenge just before the card pays: the server
 * keeps challenges in the order it issued them, and asked card by card
 * the rows a batch marks used lay a card's round apart, each on a page
 * of its own, a page write per payment that no shop's terminals make.
 * They are asked PREP_CONNS at a time, one on each of as many
 * connections, so that the server commits them in batches: asked one by
 * one, each was a commit and an fsync of its own, most of the
 * preparation's time. */
#define PREP_CONNS 128

static void prepare_challenges(struct lane *lanes, int ncards,
			       uint8_t (*ch)[SC_CHALLENGE_LEN], const char *sock)
{
	int fds[PREP_CONNS], slot[PREP_CONNS], nconn = 0;
	int *first = calloc((size_t)ncards, sizeof(*first)); /* card k's first in ch[] */
	char tid[SC_TERMINAL_ID_MAX + 1];
	int total = 0, code;

	if (!first)
		die("out of memory");
	for (int k = 0; k < ncards; k++) {
		first[k] = total;
		total += lanes[k].n;
	}
	while (nconn < PREP_CONNS && nconn < total) {
		if ((fds[nconn] = sclient_connect(sock)) < 0)
			die("cannot connect to the server to prepare");
		nconn++;
	}
	/* k and i walk (card, counter) in spending order: i-th of every card
	 * that has one, then i + 1. */
	for (int at = 0, k = 0, i = 0; at < total;) {
		int wave = 0;

		/* Each challenge is bound to its card's terminal id. */
		for (; wave < nconn && at + wave < total; wave++) {
			while (i >= lanes[k].n) {
				if (++k == ncards) {
					k = 0;
					i++;
				}
			}
			snprintf(tid, sizeof(tid), tls_ctx ? "BENCH" : "BENCH-%d", k);
			if (sclient_challenge_ask(fds[wave], tid) != 0)
				die("no challenge");
			slot[wave] = first[k] + i;
			if (++k == ncards) {
				k = 0;
				i++;
			}
		}
		for (int w = 0; w < wave; w++)
			if (sclient_challenge_take(fds[w], ch[slot[w]], &code) != 0)
				die("no challenge");
		at += wave;
	}
	for (int c = 0; c < nconn; c++)
		close(fds[c]);
	free(first);
}

/* A round's M signed submissions, card by card in counter order (each
 * card's counter goes on from the last round), each with a challenge from
 * the server on sock. */
static void prepare(struct lane *lanes, int ncards, int ntx, const char *sock)
{
	double t0 = now(), t1;
	uint8_t (*ch)[SC_CHALLENGE_LEN] = calloc((size_t)ntx, SC_CHALLENGE_LEN);
	int at = 0;

	if (!ch)
		die("out of memory");
	for (int k = 0; k < ncards; k++) {
		int n = ntx / ncards + (k < ntx % ncards);

		lanes[k].subs = calloc((size_t)n, sizeof(struct sub));
		lanes[k].next = 0;
		lanes[k].n = n;
		lanes[k].fd = -1;
		sc_frame_dec_init(&lanes[k].dec, lanes[k].reply, sizeof(lanes[k].reply));
		if (!lanes[k].subs)
			die("out of memory");
	}
	prepare_challenges(lanes, ncards, ch, sock);
	t1 = now();
	for (int k = 0; k < ncards; k++) {
		for (int i = 0; i < lanes[k].n; i++, at++) {
			struct sc_tx tx;
			uint8_t txbuf[SC_TX_MAX_LEN];
			uint8_t body[SC_SUBMIT_MSG_MAX];
			struct sc_submit s;
			int len;
			char jp[9];

			memset(&tx, 0, sizeof(tx));
			tx.version = SC_TX_VERSION;
			tx.scheme = (uint8_t)(SC_SCHEME_ENC + i % 3);
			tx.amount = 100;
			tx.currency = 978;
			snprintf(tx.payer, sizeof(tx.payer), "PAYER-%d", k);
			snprintf(tx.payee, sizeof(tx.payee), "SHOP");
			snprintf(tx.payee_name, sizeof(tx.payee_name), "Bench Shop");
			snprintf(tx.terminal_id, sizeof(tx.terminal_id), tls_ctx ? "BENCH" : "BENCH-%d",
				 k);
			tx.time = (uint64_t)time(NULL);
			memcpy(tx.challenge, ch[at], SC_CHALLENGE_LEN);
			len = sc_tx_encode(&tx, txbuf, sizeof(txbuf));
			memset(&s, 0, sizeof(s));
			if (len <= 0 ||
			    sim_card_sign(k, txbuf, (size_t)len, &s.atc, s.x, &s.x_len, s.sig,
					  &s.sig_len) != 0 ||
			    sim_card_confirm(k, "1234", jp) != 0)
				die("the card did not sign");
			memcpy(s.card_id, (uint8_t[8]){0xbe, 0xec, 0, 0, 0, 0, (uint8_t)(k >> 8), (uint8_t)k}, 8);
			memcpy(s.jp, jp, 8);
			s.tx = txbuf;
			s.tx_len = (size_t)len;
			len = sc_submit_encode(body, sizeof(body), &s);
			if (len > 0)
				len = sc_frame_encode(lanes[k].subs[i].frame,
						      sizeof(lanes[k].subs[i].frame), body, (size_t)len);
			if (len <= 0)
				die("encode failed");
			lanes[k].subs[i].len = (size_t)len;
			lanes[k].subs[i].code = -1;
		}
	}
	free(ch);
	fprintf(stderr, "server_load: %d submissions from %d cards prepared in %.1f s"
		" (challenges %.1f s, the cards' SIGN %.1f s)\n", ntx, ncards, now() - t0,
		t1 - t0, now() - t1);
}

/* --tls: the data folder's terminal CA and one terminal, BENCH, enrolled
 * by the daemon's own commands; a free port for the listener. */
static void tls_setup(const char *server, const char *dir, char *addr, size_t cap)
{
	char cmd[4096], path[600];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	snprintf(cmd, sizeof(cmd), "'%s' -D '%s' terminal-ca >/dev/null && '%s' -D '%s' terminal"
		 " enrol BENCH --out '%s/bench-tls' >/dev/null", server, dir, server, dir, dir);
	if (system(cmd) != 0)
		die("cannot enrol the bench's terminal");
	/* A port free now; the daemon binds it a moment later. */
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) != 0)
		die("no free TCP port");
	tls_port = ntohs(sa.sin_port);
	close(s);
	snprintf(addr, cap, "127.0.0.1:%d", tls_port);
	tls_ctx = SSL_CTX_new(TLS_client_method());
	snprintf(path, sizeof(path), "%s/bench-tls/ca.pem", dir);
	if (!tls_ctx || !SSL_CTX_set_min_proto_version(tls_ctx, TLS1_3_VERSION) ||
	    SSL_CTX_load_verify_locations(tls_ctx, path, NULL) != 1)
		die("cannot set up TLS");
	snprintf(path, sizeof(path), "%s/bench-tls/terminal.pem", dir);
	if (SSL_CTX_use_certificate_chain_file(tls_ctx, path) != 1)
		die("cannot set up TLS");
	snprintf(path, sizeof(path), "%s/bench-tls/terminal.key", dir);
	if (SSL_CTX_use_PrivateKey_file(tls_ctx, path, SSL_FILETYPE_PEM) != 1)
		die("cannot set up TLS");
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
}

/* A lane's TLS connection, made before the load and kept: connect and
 * handshake blocking, then non-blocking for the driver. */
static void tls_connect(struct lane *l)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tls_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, flags;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("cannot connect to the TLS listener");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	l->ssl = SSL_new(tls_ctx);
	if (!l->ssl || SSL_set_fd(l->ssl, fd) != 1 || !SSL_set1_host(l->ssl, "localhost") ||
	    SSL_connect(l->ssl) != 1)
		die("TLS handshake failed");
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		die("fcntl failed");
	l->tls_fd = fd;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: server_load [--server PATH] [--cards N] [--tx M] [--workers W] [--timeout S]\n"
"                   [--seconds S] [--wal-max MIB] [--pkcs11 MODULE] [--tls]\n"
"                   [--pg CONNINFO [--instances N]]\n"
"Prepares M submissions signed by N cards, drives a sigcard-server started for\n"
"the run with them over N connections (one submission in flight per card), in\n"
"rounds until the load ran --seconds, and prints its transfers/s against the\n"
"raw P-256 verify rate of one core, and the WAL's peak size.\n"
"\n"
"      --server PATH  the daemon to start (default: bin/sigcard-server of this\n"
"                     build, $SC_BUILD/bin/sigcard-server if SC_BUILD is set)\n"
"      --cards N      cards, one connection each, 1 to %d (default 1024)\n"
"      --tx M         submissions per round, N to %d (default 12800)\n"
"      --seconds S    rounds until the load ran S seconds, 0 to 86400 (default\n"
"                     10; 0: one round)\n"
"      --wal-max MIB  the server's WAL bound (default: the server's own)\n"
"      --workers W    the server's verify threads, 1 to 64 (default: the\n"
"                     server's own, one per CPU)\n"
"      --timeout S    stop a round's load after S seconds, 1 to 86400; what is not\n"
"                     answered by then counts as not OK (default 120)\n"
"      --pkcs11 MODULE  the issuer's keys in a SoftHSM2 token made for the run\n"
"                     (MODULE: its libsofthsm2.so), the JP checked inside it\n"
"      --tls          the load over TLS 1.3 on the TCP listener, one terminal\n"
"                     certificate, each card's connection made once and kept\n"
"                     for every round; the ratio line says tls_server_tps=\n"
"      --pg CONNINFO  the ledger in that PostgreSQL database, empty before the\n"
"                     run; the ratio line says pg_server_tps=... instances=N\n"
"      --instances N  with --pg: N servers on the ledger, 1 to %d (default 1),\n"
"                     the cards' connections dealt among them in turn\n"
"  -h, --help         this text\n"
"\n"
"The table goes to stdout, ending with server_tps=... raw_verify_per_core=...\n"
"ratio=... and wal_peak_bytes=...; progress, and per round the CPU time, the\n"
"server's read calls and bytes written per submission, go to stderr. Exit\n"
"status 0 when every submission was executed, 1 if not, 2 on a bad option.\n"
"The run's folder (under $TMPDIR, else /tmp: the issuer's keys, the ledger,\n"
"the servers' logs) is removed at the end, also when the run fails; with\n"
"SC_KEEP set in the environment it is kept.\n",
		SIM_CARD_MAX, TX_MAX, INSTANCES_MAX);
}

/* A whole-number option in [min, max], or exit 2 saying what is wanted:
 * no sign, no trailing characters, no overflow. */
static long number(const char *name, const char *text, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		goto bad;
	v = strtol(text, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	return v;
bad:
	fprintf(stderr, "server_load: --%s wants a whole number from %ld to %ld, not '%s'\n",
		name, min, max, text);
	exit(2);
}

/* A SoftHSM2 token of the run's own in dir (SOFTHSM2_CONF, which the
 * daemon inherits), named in cfg. */
static void token_make(struct srv_config *cfg, const char *dir, const char *module)
{
	char path[512], cmd[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tokens", dir);
	if (mkdir(path, 0700) != 0)
		die("cannot make the token folder");
	snprintf(cmd, sizeof(cmd), "%s/softhsm2.conf", dir);
	if (!(f = fopen(cmd, "w")))
		die("cannot write the SoftHSM2 configuration");
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
		path);
	fclose(f);
	setenv("SOFTHSM2_CONF", cmd, 1);
	snprintf(path, sizeof(path), "%s/token.pin", dir);
	if (!(f = fopen(path, "w")))
		die("cannot write the token PIN");
	fputs("31415926\n", f);
	fclose(f);
	if (chmod(path, 0600) != 0) /* a PIN file others may read is refused */
		die("cannot make the token PIN file private");
	if (system("softhsm2-util --init-token --free --label sigcard-bench --pin 31415926 "
		   "--so-pin 27182818 >/dev/null") != 0)
		die("softhsm2-util could not make the bench's token");
	snprintf(cfg->pkcs11_module, sizeof(cfg->pkcs11_module), "%s", module);
	snprintf(cfg->token_label, sizeof(cfg->token_label), "sigcard-bench");
	snprintf(cfg->token_pin_file, sizeof(cfg->token_pin_file), "%s", path);
}

/* A card's K_card: derived from the master key (files), or wrapped by
 * the token and unwrapped as the card does (the token's never leaves it
 * in the clear). 0 or -1. */
static int card_key(struct srv_keys *keys, const uint8_t master[SC_MASTER_KEY_LEN],
		    const uint8_t id[SC_CARD_ID_LEN], uint8_t kc[SC_KCARD_LEN])
{
	static const uint8_t tk[SC_TRANSPORT_KEY_LEN] = "SIGCARD-BENCH-TK";
	uint8_t wrapped[SC_KCARD_WRAPPED_LEN];

	if (!keys)
		return sc_kcard_derive(master, id, kc) == 0 ? 0 : -1;
	if (keys->ops->kcard_wrap(keys, id, tk, wrapped) != 0)
		return -1;
	return sc_kcard_unwrap(tk, sizeof(tk), wrapped, kc) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'}, {"cards", required_argument, NULL, 'c'},
		{"tx", required_argument, NULL, 't'}, {"workers", required_argument, NULL, 'w'},
		{"timeout", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
		{"seconds", required_argument, NULL, 'S'}, {"wal-max", required_argument, NULL, 'M'},
		{"pkcs11", required_argument, NULL, 'P'},
		{"tls", no_argument, NULL, 'L'}, {"pg", required_argument, NULL, 'G'},
		{"instances", required_argument, NULL, 'I'}, {NULL, 0, NULL, 0},
	};
	const char *build = getenv("SC_BUILD"), *module = NULL, *pg = NULL;
	struct srv_keys *keys = NULL;
	char server[1024], dir[256], sock[512], err[256], workers[16] = "", wal_max[16] = "";
	int ncards = 1024, ntx = 12800, c;
	double timeout = 120, seconds = 10;
	int rounds = 0;
	struct lane *lanes;
	struct srv_config cfg;
	uint8_t master[SC_MASTER_KEY_LEN];
	struct srv_db db;
	double raw, raw_before, raw_after, t0, elapsed, *lat;
	pid_t pid;
	int fd, ok = 0, other = 0, nlat = 0, tls = 0;
	char listen_addr[64] = "none";

	/* The daemon of the same build: BUILD/bench/server_load -> BUILD/bin/. */
	if (build && *build)
		snprintf(server, sizeof(server), "%s/bin/sigcard-server", build);
	else
		snprintf(server, sizeof(server), "%.*s/../bin/sigcard-server",
			 (int)(strrchr(argv[0], '/') ? strrchr(argv[0], '/') - argv[0] : 1),
			 strrchr(argv[0], '/') ? argv[0] : ".");
	/* A connection the server dropped is a failed lane, counted and
	 * reported (drive()), not a SIGPIPE that ends the run silently and
	 * leaves the server running. */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!optarg[0] || strlen(optarg) >= sizeof(server)) {
				fprintf(stderr, "server_load: --server wants a path of 1 to %zu bytes\n",
					sizeof(server) - 1);
				return 2;
			}
			snprintf(server, sizeof(server), "%s", optarg);
			break;
		case 'c': ncards = (int)number("cards", optarg, 1, SIM_CARD_MAX); break;
		case 't': ntx = (int)number("tx", optarg, 1, TX_MAX); break;
		case 'w':
			snprintf(workers, sizeof(workers), "%ld", number("workers", optarg, 1, 64));
			break;
		case 'M':
			snprintf(wal_max, sizeof(wal_max), "%ld", number("wal-max", optarg, 1, 1024));
			break;
		case 'T': timeout = (double)number("timeout", optarg, 1, 86400); break;
		case 'S': seconds = (double)number("seconds", optarg, 0, 86400); break;
		case 'P': module = optarg; break;
		case 'L': tls = 1; break;
		case 'G': pg = optarg; break;
		case 'I': ninstances = (int)number("instances", optarg, 1, INSTANCES_MAX); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;   /* getopt said what was wrong */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "server_load: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (ninstances > 1 && (!pg || tls)) {
		fprintf(stderr, "server_load: --instances wants --pg (several servers share a ledger"
			" only on PostgreSQL), and not --tls\n");
		return 2;
	}
	if (ntx < ncards) {
		fprintf(stderr, "server_load: --tx (%d) must be at least --cards (%d): each card "
			"sends at least one\n", ntx, ncards);
		return 2;
	}
	lanes = calloc((size_t)ncards, sizeof(*lanes));
	if (!lanes)
		die("out of memory");


	/* 2. an issuer, accounts, cards personalised by the card core */
	snprintf(dir, sizeof(dir), "%s/sc-bench.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(run_dir, sizeof(run_dir), "%s", dir);
	log_init("server_load", 1, 0);
	srv_config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	srv_config_paths(&cfg);
	snprintf(sock, sizeof(sock), "%s", cfg.unix_path);
	for (int i = 1; i < ninstances; i++)
		snprintf(socks[i], sizeof(socks[i]), "%s/submit%d.sock", dir, i);
	snprintf(wal_path, sizeof(wal_path), "%s-wal", cfg.db_path);
	if (module)
		token_make(&cfg, dir, module);
	if (srv_keys_create(&cfg, err, sizeof(err)) != 0)
		die(err);
	if (pg) { /* the schema, as `sigcard-server --db URL init` makes it */
		struct pg_conn *conn = srv_pg_connect(pg, err, sizeof(err));

		if (!conn || srv_pg_migrate(conn, SRV_SCHEMA_VERSION, 1, err, sizeof(err)) != 0)
			die(err);
		srv_pg_close(conn);
	}
	if ((!module && srv_master_key_load(cfg.master_key_path, master, err, sizeof(err)) != 0) ||
	    (module && !(keys = srv_keys_open(&cfg, NULL, SRV_KEYS_MASTER, err, sizeof(err)))) ||
	    srv_db_open(&db, pg ? pg : cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0 ||
	    srv_account_create(&db, "SHOP", 978, 0, err, sizeof(err)) != 0)
		die(err);
	for (int k = 0; k < ncards; k++) {
		uint8_t id[8] = {0xbe, 0xec, 0, 0, 0, 0, (uint8_t)(k >> 8), (uint8_t)k}, kc[32];
		struct sim_card_identity ident;
		char acct[24];

		snprintf(acct, sizeof(acct), "PAYER-%d", k);
		if (srv_account_create(&db, acct, 978, 1000000000, err, sizeof(err)) != 0 ||
		    card_key(keys, master, id, kc) != 0 ||
		    sim_card_new(id, kc, "1234", acct, &ident) != k ||
		    srv_card_prepare(&db, id, acct, err, sizeof(err)) != 0 ||
		    srv_card_enrol(&db, id, acct, ident.pubkey, err, sizeof(err)) != 0)
			die(err[0] ? err : "card setup failed");
		sc_wipe(kc, sizeof(kc));
	}
	srv_db_close(&db);
	srv_keys_close(keys);
	sc_wipe(master, sizeof(master));
	if (tls)
		tls_setup(server, dir, listen_addr, sizeof(listen_addr));

	/* 3. the real daemons: one, or --instances on the PostgreSQL ledger */
	for (int inst = 0; inst < ninstances; inst++) {
		pid = fork();
		if (pid == 0) {
			char logp[300];

			snprintf(logp, sizeof(logp), inst ? "%s/server%d.log" : "%s/server.log", dir, inst);
			/* stdout too: a caller reading ours (bench/server_load.sh's
			 * $(...)) must not wait on a server this run left behind. */
			if (!freopen(logp, "w", stderr) || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
				_exit(127);
			/* Room for every card's connection and the challenge batch's
			 * beside them: with --tls the cards' connections stay open while
			 * the next round's challenges are asked, and at the default
			 * --max-conns (1024) the server dropped 128 of them to make room. */
			char max_conns[16];
			char *args[32] = {server, "-D", dir, "-d", "--listen", listen_addr, "--http", "none",
					  "--challenge-ttl", "3600", "--max-conns", max_conns};
			int na = 12;

			snprintf(max_conns, sizeof(max_conns), "%d", ncards + 256);

			if (module) {
				args[na++] = "--pkcs11";
				args[na++] = cfg.pkcs11_module;
				args[na++] = "--token";
				args[na++] = cfg.token_label;
				args[na++] = "--pin-file";
				args[na++] = cfg.token_pin_file;
			}
			if (workers[0]) {
				args[na++] = "--workers";
				args[na++] = workers;
			}
			if (wal_max[0]) {
				args[na++] = "--wal-max";
				args[na++] = wal_max;
			}
			if (pg) {
				args[na++] = "--db";
				args[na++] = (char *)pg;
			}
			if (inst) {
				args[na++] = "--unix";
				args[na++] = socks[inst];
			}
			args[na] = NULL;
			execv(server, args);
			fprintf(stderr, "cannot run %s: %s\n", server, strerror(errno));
			fflush(stderr);
			_exit(127);
		}
		if (pid < 0)
			die("fork failed");
		server_pids[inst] = pid;
		for (int i = 0; i < 500 && (fd = sclient_connect(inst ? socks[inst] : sock)) < 0; i++)
			usleep(10000);
		if (fd < 0) {
			show_server_logs(dir, inst + 1);
			die("the server did not start (its log above)");
		}

		close(fd);
	}
	pid = server_pids[0];
	lat = NULL;
	elapsed = 0;
	/* 4. and 5. rounds: M signed submissions prepared, then the load: one
	 * connection per card, all driven by this thread; until the driving
	 * took --seconds. The raw rate is measured before the first and after
	 * the last, each alone on a core (the server is idle then). */
	raw_before = raw_verify_rate(1.0);
	do {
		struct stage before[STAGES], after[STAGES];
		int nb, na, broken;
		double gen, *more, reads, written, reads_after, written_after;

		prepare(lanes, ncards, ntx, sock);
		/* The TLS connections are made once the first round is
		 * prepared, not before: a peer that has not completed a
		 * request within --request-timeout (10 s) is dropped, and
		 * preparing a round takes about that long. From the first
		 * answer on only --idle-timeout applies. */
		for (int k = 0; tls && rounds == 0 && k < ncards; k++)
			tls_connect(&lanes[k]);
		nb = stages_read(pid, before);
		io_read(pid, &reads, &written);
		gen = self_cpu();
		t0 = now();
		broken = drive(lanes, ncards, sock, timeout);
		elapsed += now() - t0;
		wal_sample();
		if (broken)
			fprintf(stderr, "server_load: %d of %d connections failed or did not finish "
				"(their unanswered submissions count as not OK)\n", broken, ncards);
		/* No connection left: later rounds would take no time, and
		 * --seconds of load would never be reached. */
		if (broken == ncards) {
			show_server_logs(dir, ninstances);
			die("every connection failed (the servers' logs above)");
		}
		na = stages_read(pid, after);
		io_read(pid, &reads_after, &written_after);
		gen = self_cpu() - gen;
		fprintf(stderr, "server_load: round %d, CPU per submission during the load, us:",
			rounds + 1);
		for (int i = 0; i < na; i++) {
			double b = 0;

			for (int k = 0; k < nb; k++)
				if (strcmp(before[k].name, after[i].name) == 0)
					b = before[k].cpu;
			fprintf(stderr, " %s %.0f,", after[i].name, (after[i].cpu - b) * 1e6 / ntx);
		}
		fprintf(stderr, " load generator %.0f; the server's read calls %.1f, bytes written"
			" %.0f per submission\n", gen * 1e6 / ntx, (reads_after - reads) / ntx,
			(written_after - written) / ntx);
		more = realloc(lat, (size_t)(rounds + 1) * (size_t)ntx * sizeof(double));
		if (!more)
			die("out of memory");
		lat = more;
		for (int k = 0; k < ncards; k++) {
			for (int i = 0; i < lanes[k].n; i++) {
				if (lanes[k].subs[i].code == SC_RES_OK) {
					ok++;
					lat[nlat++] = lanes[k].subs[i].latency;
				} else {
					other++;
				}
			}
			free(lanes[k].subs);
			lanes[k].subs = NULL;
		}
		rounds++;
	} while (elapsed < seconds);
	raw_after = raw_verify_rate(1.0);
	for (int k = 0; k < ncards; k++)
		if (lanes[k].ssl) {
			lanes[k].fd = lanes[k].tls_fd;
			lane_close(&lanes[k]);
		}
	raw = (raw_before + raw_after) / 2;
	for (int i = 0; i < ninstances; i++) {
		kill(server_pids[i], SIGTERM);
		waitpid(server_pids[i], NULL, 0);
		server_pids[i] = 0;
	}
	free(lanes);
	qsort(lat, (size_t)nlat, sizeof(double), cmp_double);
	{
		double tps = (double)ok / elapsed;
		double p50 = nlat ? lat[nlat / 2] * 1e3 : 0, p99 = nlat ? lat[nlat * 99 / 100] * 1e3 : 0;
		char cmd[300];

		printf("%-34s %10d\n", "cards (card core, in-process)", ncards);
		printf("%-34s %10d\n", tls ? "connections (TLS, kept)" : "connections", ncards);
		printf("%-34s %10d\n", "rounds", rounds);
		printf("%-34s %10d\n", "submissions", ntx * rounds);
		printf("%-34s %10d\n", "executed (OK)", ok);
		printf("%-34s %10d\n", "not OK", other);
		printf("%-34s %10.2f\n", "elapsed s", elapsed);
		printf("%-34s %10.0f\n", "transfers/s (verified, committed)", tps);
		printf("%-34s %10.2f\n", "latency p50 ms", p50);
		printf("%-34s %10.2f\n", "latency p99 ms", p99);
		printf("%-34s %10.0f\n", "raw P-256 verify/s, before load", raw_before);
		printf("%-34s %10.0f\n", "raw P-256 verify/s, after load", raw_after);
		printf("%-34s %10.0f\n", "raw P-256 verify/s, one core", raw);
		printf("%-34s %10.1f\n", "WAL peak MiB", (double)wal_peak / 1048576.0);
		if (pg)
			printf("pg_server_tps=%.0f instances=%d raw_verify_per_core=%.0f ratio=%.2f\n",
			       tps, ninstances, raw, tps / raw);
		else
			printf("%s%sserver_tps=%.0f raw_verify_per_core=%.0f ratio=%.2f\n",
			       tls ? "tls_" : "", module ? "token_" : "", tps, raw, tps / raw);
		printf("wal_peak_bytes=%lld\n", (long long)wal_peak);
		/* where the writer's time went, from the daemon's own log */
		snprintf(cmd, sizeof(cmd), "%s/server.log", dir);
		{
			FILE *lf = fopen(cmd, "r");
			char line[512];

			while (lf && fgets(line, sizeof(line), lf))
				if (strstr(line, "writer:"))
					fprintf(stderr, "server_load: daemon %s", strstr(line, "writer:"));
			if (lf)
				fclose(lf);
		}
		run_dir_remove();
	}
	free(lat);
	return other == 0 ? 0 : 1;
}
