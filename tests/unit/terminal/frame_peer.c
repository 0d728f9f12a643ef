/* The carrier tests' card: see frame_peer.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame_peer.h"

static int read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void serve(struct frame_peer *p, int fd)
{
	static uint8_t body[70000], out[70000];
	for (;;) {
		uint8_t hdr[2];
		if (read_full(fd, hdr, 2) != 0)
			return;
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		if (len == 0 || read_full(fd, body, len) != 0)
			return;
		pthread_mutex_lock(&p->lock);
		if (p->nlog < PEER_LOG_MAX) {
			size_t keep = len < sizeof p->log[0] ? len : sizeof p->log[0];
			memcpy(p->log[p->nlog], body, keep);
			p->log_len[p->nlog++] = len;
		}
		pthread_mutex_unlock(&p->lock);
		size_t out_len = 0;
		enum peer_action a = p->answer(p, body, len, out, &out_len);
		if (a == PEER_HANG_UP)
			return;
		if (a == PEER_REPLY) {
			uint8_t h[2] = {(uint8_t)(out_len >> 8), (uint8_t)out_len};
			if (write(fd, h, 2) != 2 || write(fd, out, out_len) != (ssize_t)out_len)
				return;
		} else if (a == PEER_RAW) {
			if (write(fd, out, out_len) != (ssize_t)out_len)
				return;
		}
	}
}

static void *peer_main(void *arg)
{
	struct frame_peer *p = arg;
	for (;;) {
		struct pollfd fds[2] = {{p->listen_fd, POLLIN, 0}, {p->stop_pipe[0], POLLIN, 0}};
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!fds[0].revents)
			continue;
		int fd = accept(p->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&p->lock);
		p->connections++;
		pthread_mutex_unlock(&p->lock);
		serve(p, fd);
		close(fd);
	}
	return NULL;
}

int frame_peer_start(struct frame_peer *p, peer_answer_fn answer, void *user)
{
	memset(p, 0, sizeof *p);
	snprintf(p->dir, sizeof p->dir, "/tmp/sc-term-peer.XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return -1;
	snprintf(p->path, sizeof p->path, "%s/slot", p->dir);
	p->answer = answer;
	p->user = user;
	pthread_mutex_init(&p->lock, NULL);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, p->path);
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(p->listen_fd, 4) != 0 || pipe(p->stop_pipe) != 0)
		return -1;
	return pthread_create(&p->thread, NULL, peer_main, p) == 0 ? 0 : -1;
}

void frame_peer_stop(struct frame_peer *p)
{
	if (write(p->stop_pipe[1], "x", 1) != 1)
		abort();
	pthread_join(p->thread, NULL);
	close(p->listen_fd);
	close(p->stop_pipe[0]);
	close(p->stop_pipe[1]);
	unlink(p->path);
	rmdir(p->dir);
	pthread_mutex_destroy(&p->lock);
}

int frame_peer_logged(struct frame_peer *p, int n, uint8_t *out, size_t cap)
{
	int rc = -1;
	pthread_mutex_lock(&p->lock);
	if (n < p->nlog) {
		size_t len = p->log_len[n] < cap ? p->log_len[n] : cap;
		memcpy(out, p->log[n], len);
		rc = (int)p->log_len[n];
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int frame_peer_count(struct frame_peer *p)
{
	pthread_mutex_lock(&p->lock);
	int n = p->nlog;
	pthread_mutex_unlock(&p->lock);
	return n;
}
