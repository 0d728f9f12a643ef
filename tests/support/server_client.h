/* A blocking client of the server submission protocol (common/submit.h) for
 * tests, tools and the benchmark: connect, one frame out, one frame back. */
#ifndef SC_TESTS_SERVER_CLIENT_H
#define SC_TESTS_SERVER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "common/submit.h"

/* "unix:PATH", "tcp:HOST:PORT", or a path (Unix socket). fd or -1. */
int sclient_connect(const char *addr);
/* Writes all n bytes as they are (no framing); 0 or -1. */
int sclient_write_all(int fd, const uint8_t *p, size_t n);
/* Sends body as one frame; 0 or -1. */
int sclient_send(int fd, const uint8_t *body, size_t len);
/* Receives one frame body into buf (cap bytes); its length, 0 if the
 * server closed the connection, or -1. */
int sclient_recv(int fd, uint8_t *buf, size_t cap);
/* GET CHALLENGE for terminal_id: sclient_challenge_ask sends it and
 * sclient_challenge_take reads its answer, so that a client with several
 * connections can have many asked at once; sclient_challenge does both.
 * 0 or -1 (then *code holds a RESULT code if the server answered with one,
 * else -1). */
int sclient_challenge_ask(int fd, const char *terminal_id);
int sclient_challenge_take(int fd, uint8_t challenge[SC_CHALLENGE_LEN], int *code);
int sclient_challenge(int fd, const char *terminal_id, uint8_t challenge[SC_CHALLENGE_LEN],
		      int *code);
/* SUBMIT s; the reply body goes to reply (SC_RESULT_MSG_MAX bytes) and is
 * decoded into m. The result code, or -1 on a transport or codec failure. */
int sclient_submit(int fd, const struct sc_submit *s, uint8_t *reply, size_t *reply_len,
		   struct sc_result_msg *m);
/* Sends a raw body and decodes the RESULT; the code or -1. */
int sclient_raw(int fd, const uint8_t *body, size_t len, uint8_t *reply, size_t *reply_len,
		struct sc_result_msg *m);

#endif
