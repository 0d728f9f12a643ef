/* A tiny card for the carrier tests: a thread that listens on a Unix socket
 * and answers frames (2-byte big-endian length + body) through a callback.
 * It parses frames itself, independently of common/frame.c. */
#ifndef TEST_FRAME_PEER_H
#define TEST_FRAME_PEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum peer_action {
	PEER_REPLY = 1,     /* send out[0..out_len) as one frame */
	PEER_SILENT = 0,    /* send nothing (control codes) */
	PEER_HANG_UP = -1,  /* close the connection now */
	PEER_RAW = -2,      /* send out[0..out_len) as raw bytes, unframed */
};

struct frame_peer;
typedef enum peer_action (*peer_answer_fn)(struct frame_peer *p, const uint8_t *body,
					     size_t len, uint8_t *out, size_t *out_len);

#define PEER_LOG_MAX 32

struct frame_peer {
	char dir[64];
	char path[108];
	int listen_fd;
	int stop_pipe[2];
	pthread_t thread;
	peer_answer_fn answer;
	void *user;
	pthread_mutex_t lock;
	/* every body received, in order (first 600 bytes of each) */
	uint8_t log[PEER_LOG_MAX][600];
	size_t log_len[PEER_LOG_MAX];
	int nlog;
	int connections;
};

/* Starts the peer on a fresh socket in a fresh temporary folder. */
int frame_peer_start(struct frame_peer *p, peer_answer_fn answer, void *user);
void frame_peer_stop(struct frame_peer *p);
/* A copy of the n-th body received (length, or -1 if there is none). */
int frame_peer_logged(struct frame_peer *p, int n, uint8_t *out, size_t cap);
int frame_peer_count(struct frame_peer *p);

#endif
