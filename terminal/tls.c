/* The terminal's TLS to sigcard-server's TCP listener: TLS 1.3 with the
 * terminal's certificate (what `sigcard-server terminal enrol` made),
 * trusting only the issuer's CA it pins and only the server name it is
 * given. Runs on the connected socket with one deadline, like every other
 * wait of the terminal; a refused handshake is TERM_EXIT_TLS, named. The
 * server checks a terminal's certificate after TLS 1.3's handshake is
 * over on this side, so its refusal (an alert) may only arrive with the
 * first answer: that is TERM_EXIT_TLS too. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/frame.h"
#include "hostlib/frameio.h"
#include "terminal/terminal.h"

/* Which file of a TLS folder (enrol's --out) an option stands for. */
static const char *in_dir(char *buf, size_t cap, const char *dir, const char *file,
			  const char *name)
{
	if (file != NULL || dir == NULL)
		return file;
	snprintf(buf, cap, "%s/%s", dir, name);
	return buf;
}

static int readable(const char *path, const char *opt, char *err, size_t cap)
{
	if (path != NULL && access(path, R_OK) == 0)
		return 0;
	return term_errf(err, cap, TERM_EXIT_USAGE, "%s '%s': %s", opt, path ? path : "",
			 path ? strerror(errno) : "not given");
}

/* Where admitted_cb finds the flag to set. */
static int admitted_idx = -1;

static int admitted_cb(SSL *ssl, SSL_SESSION *sess)
{
	int *admitted = SSL_get_ex_data(ssl, admitted_idx);

	(void)sess;
	if (admitted != NULL)
		*admitted = 1;
	return 0; /* not kept: the caller frees it */
}

int term_tls_setup(struct term_server *s, const struct term_tls_opts *o)
{
	char ca_buf[TERM_SPEC_MAX + 16], cert_buf[TERM_SPEC_MAX + 16], key_buf[TERM_SPEC_MAX + 16];
	const char *ca = in_dir(ca_buf, sizeof ca_buf, o->dir, o->server_ca, "ca.pem");
	const char *cert = in_dir(cert_buf, sizeof cert_buf, o->dir, o->cert, "terminal.pem");
	const char *key = in_dir(key_buf, sizeof key_buf, o->dir, o->key, "terminal.key");
	int rc;

	if ((rc = readable(ca, "--server-ca", s->err, sizeof s->err)) != 0 ||
	    (rc = readable(cert, "--cert", s->err, sizeof s->err)) != 0 ||
	    (rc = readable(key, "--key", s->err, sizeof s->err)) != 0)
		return rc;
	if (o->server_name != NULL) {
		if (strlen(o->server_name) >= sizeof s->tls_name)
			return term_errf(s->err, sizeof s->err, TERM_EXIT_USAGE,
					 "--server-name: too long");
		snprintf(s->tls_name, sizeof s->tls_name, "%s", o->server_name);
	}
	/* OpenSSL writes to the socket with write(): a server that closed
	 * must be an EPIPE to report, not a SIGPIPE that kills the terminal. */
	signal(SIGPIPE, SIG_IGN);
	s->tls_ctx = SSL_CTX_new(TLS_client_method());
	if (s->tls_ctx == NULL || !SSL_CTX_set_min_proto_version(s->tls_ctx, TLS1_3_VERSION) ||
	    SSL_CTX_load_verify_locations(s->tls_ctx, ca, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(s->tls_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->tls_ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(s->tls_ctx) != 1) {
		rc = term_errf(s->err, sizeof s->err, TERM_EXIT_USAGE,
			       "TLS files %s, %s, %s: %s", ca, cert, key,
			       ERR_reason_error_string(ERR_peek_last_error()));
		ERR_clear_error();
		term_tls_free(s);
		return rc;
	}
	SSL_CTX_set_verify(s->tls_ctx, SSL_VERIFY_PEER, NULL);
	/* The server's session ticket is its word that it took this
	 * terminal's certificate: the callback notes it (the session is not
	 * kept, and the server would not resume it anyway). */
	SSL_CTX_set_session_cache_mode(s->tls_ctx, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(s->tls_ctx, admitted_cb);
	return 0;
}

void term_tls_free(struct term_server *s)
{
	term_tls_close(s);
	SSL_CTX_free(s->tls_ctx);
	s->tls_ctx = NULL;
}

void term_tls_close(struct term_server *s)
{
	SSL_free(s->ssl);
	s->ssl = NULL;
}

/* A TLS failure, named: what OpenSSL says, and for a server certificate
 * that did not verify, why. */
static int refused(struct term_server *s, const char *when)
{
	unsigned long e = ERR_peek_last_error();
	long v = s->ssl ? SSL_get_verify_result(s->ssl) : X509_V_OK;
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	int rc;

	rc = term_errf(s->err, sizeof s->err, TERM_EXIT_TLS, "server %s: TLS %s: %s%s%s",
		       s->spec, when, why ? why : "the connection ended",
		       v != X509_V_OK ? ": " : "",
		       v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
	ERR_clear_error();
	term_server_close(s);
	return rc;
}

/* After an SSL call returned rc <= 0: waits for what it wants before the
 * deadline and returns 1 to call again, or the error (negative class). */
static int again(struct term_server *s, int rc, int64_t deadline, const char *when)
{
	int e = SSL_get_error(s->ssl, rc);
	struct pollfd p = {s->fd, 0, 0};

	if (e == SSL_ERROR_WANT_READ)
		p.events = POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		p.events = POLLOUT;
	else if (e == SSL_ERROR_SSL)
		return refused(s, when);
	else {
		int saved = errno;
		ERR_clear_error();
		term_server_close(s);
		return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: the connection ended while %s%s%s", s->spec, when,
				 e == SSL_ERROR_SYSCALL && saved ? ": " : "",
				 e == SSL_ERROR_SYSCALL && saved ? strerror(saved) : "");
	}
	for (;;) {
		int64_t left = deadline - fio_now_ms();
		if (left <= 0) {
			term_server_close(s);
			return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
					 "server %s: no answer in time (%s)", s->spec, when);
		}
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR) {
			term_server_close(s);
			return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
					 "server %s: %s", s->spec, strerror(errno));
		}
	}
}

int term_tls_handshake(struct term_server *s, const char *host)
{
	int64_t deadline = fio_now_ms() + s->timeout_ms;
	const char *name = s->tls_name[0] ? s->tls_name : host;
	unsigned char ip[16];
	int rc, fl = fcntl(s->fd, F_GETFL);

	if (fl < 0 || fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return refused(s, "setup");
	s->ssl = SSL_new(s->tls_ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
		return refused(s, "setup");
	/* The server's certificate must name what this terminal was told:
	 * an address as an IP SAN, anything else as a DNS name (and SNI). */
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
		rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name);
	else
		rc = SSL_set1_host(s->ssl, name) && SSL_set_tlsext_host_name(s->ssl, name);
	if (rc != 1)
		return refused(s, "setup");
	if (admitted_idx < 0)
		admitted_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	int admitted = 0;
	if (admitted_idx < 0 || !SSL_set_ex_data(s->ssl, admitted_idx, &admitted))
		return refused(s, "setup");
	while ((rc = SSL_connect(s->ssl)) != 1)
		if ((rc = again(s, rc, deadline, "handshake")) != 1)
			return rc;
	/* Until the server's ticket (or its alert) comes: its verdict on
	 * this terminal's certificate, named, before any request is sent. */
	uint8_t b;
	while (!admitted) {
		rc = SSL_peek(s->ssl, &b, 1);
		if (rc > 0 || admitted)
			break; /* rc > 0: no ticket but data, which is no answer to us */
		if ((rc = again(s, rc, deadline, "handshake")) != 1)
			return rc;
	}
	SSL_set_ex_data(s->ssl, admitted_idx, NULL);
	return 0;
}

static int tls_write(struct term_server *s, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		int rc = SSL_write(s->ssl, p, (int)n);
		if (rc > 0) {
			p += rc;
			n -= (size_t)rc;
		} else if ((rc = again(s, rc, deadline, "sending")) != 1) {
			return rc;
		}
	}
	return 0;
}

static int tls_read(struct term_server *s, uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		int rc = SSL_read(s->ssl, p, (int)n);
		if (rc > 0) {
			p += rc;
			n -= (size_t)rc;
		} else if ((rc = again(s, rc, deadline, "reading the answer")) != 1) {
			return rc;
		}
	}
	return 0;
}

int term_tls_exchange(struct term_server *s, const uint8_t *req, size_t req_len, uint8_t *resp,
		      size_t cap, size_t *resp_len)
{
	int64_t deadline = fio_now_ms() + s->timeout_ms;
	uint8_t hdr[SC_FRAME_HDR];
	size_t len;
	int rc;

	if (sc_frame_header(hdr, req_len) != 0)
		return term_errf(s->err, sizeof s->err, TERM_EXIT_FAILURE,
				 "cannot frame a message of %zu bytes", req_len);
	if ((rc = tls_write(s, hdr, sizeof hdr, deadline)) != 0 ||
	    (rc = tls_write(s, req, req_len, deadline)) != 0 ||
	    (rc = tls_read(s, hdr, sizeof hdr, deadline)) != 0)
		return rc;
	len = (size_t)hdr[0] << 8 | hdr[1];
	if (len == 0 || len > cap) {
		term_server_close(s);
		return term_errf(s->err, sizeof s->err, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed answer (a frame of %zu bytes)", s->spec, len);
	}
	if ((rc = tls_read(s, resp, len, deadline)) != 0)
		return rc;
	*resp_len = len;
	return 0;
}
