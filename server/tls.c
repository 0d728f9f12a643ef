/* TLS 1.3 on the TCP listener: the server's certificate from DATA/tls/,
 * a client certificate from the terminal CA required of every peer, the
 * revocation list read at each handshake, and each refusal's reason noted
 * for /metrics. The peer's terminal id is its certificate's subject CN,
 * which enrol sets to the id it was asked for and nothing else. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "server/server.h"
#include "server/tls.h"

struct srv_tls {
	SSL_CTX *ctx;
	char revoked[SRV_PATH_MAX + 32];
};

/* Where the verify callback leaves its reason on the SSL (reason + 1). */
static int reason_idx = -1;

_Static_assert(SRV_TLS_REFUSALS <= SRV_TLS_REFUSAL_SLOTS, "srv_metrics.tls_refused too small");

static const char *const refusal_names[SRV_TLS_REFUSALS] = {
	[SRV_TLS_NO_CERT] = "no_cert", [SRV_TLS_BAD_CHAIN] = "bad_chain",
	[SRV_TLS_EXPIRED] = "expired", [SRV_TLS_REVOKED] = "revoked",
	[SRV_TLS_NOT_TLS] = "not_tls", [SRV_TLS_TIMEOUT] = "timeout",
	[SRV_TLS_OTHER] = "other",
};

const char *srv_tls_refusal_name(int reason)
{
	return reason >= 0 && reason < SRV_TLS_REFUSALS ? refusal_names[reason] : "other";
}

static void note(SSL *ssl, int reason)
{
	SSL_set_ex_data(ssl, reason_idx, (void *)(intptr_t)(reason + 1));
}

/* OpenSSL has checked the chain (ok); the leaf is then looked up on the
 * revoked list, read afresh: a revocation takes effect at the next
 * handshake without a restart. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct srv_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	int e = X509_STORE_CTX_get_error(xs);

	if (!ok) {
		note(ssl, e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID
				  ? SRV_TLS_EXPIRED : SRV_TLS_BAD_CHAIN);
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(xs) == 0 &&
	    srv_tls_serial_revoked(t->revoked, X509_STORE_CTX_get_current_cert(xs))) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REVOKED);
		note(ssl, SRV_TLS_REVOKED);
		return 0;
	}
	return 1;
}

/* The file under DATA/tls/, or -1 with the command that makes it. */
static int need_file(char *path, size_t cap, const char *data_dir, const char *name, char *err,
		     size_t errlen)
{
	snprintf(path, cap, "%s/%s/%s", data_dir, SRV_TLS_DIR, name);
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(err, errlen, "TLS on --listen needs %s (%s): make the terminal CA with"
		 " 'sigcard-server -D %s terminal-ca', or serve plain TCP with"
		 " --insecure-plain-tcp", path, strerror(errno), data_dir);
	return -1;
}

struct srv_tls *srv_tls_new(const char *data_dir, char *err, size_t errlen)
{
	struct srv_tls *t = calloc(1, sizeof(*t));
	char ca[SRV_PATH_MAX + 32], cert[SRV_PATH_MAX + 32], key[SRV_PATH_MAX + 32];
	struct stat st;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (need_file(ca, sizeof(ca), data_dir, SRV_TLS_CA_CERT, err, errlen) != 0 ||
	    need_file(cert, sizeof(cert), data_dir, SRV_TLS_SERVER_CERT, err, errlen) != 0 ||
	    need_file(key, sizeof(key), data_dir, SRV_TLS_SERVER_KEY, err, errlen) != 0)
		goto fail;
	if (stat(key, &st) != 0 || (st.st_mode & 077)) {
		snprintf(err, errlen, "%s may be read by group or others; chmod 600 it", key);
		goto fail;
	}
	snprintf(t->revoked, sizeof(t->revoked), "%s/%s/%s", data_dir, SRV_TLS_DIR,
		 SRV_TLS_REVOKED_LIST);
	if (reason_idx < 0)
		reason_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx || reason_idx < 0 ||
	    !SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1 ||
	    SSL_CTX_load_verify_locations(t->ctx, ca, NULL) != 1) {
		snprintf(err, errlen, "cannot set up TLS from %s/%s: %s", data_dir, SRV_TLS_DIR,
			 ERR_reason_error_string(ERR_peek_last_error()));
		goto fail;
	}
	SSL_CTX_set_app_data(t->ctx, t);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(t->ctx, 1); /* the terminal CA signs terminals directly */
	/* No resumption: a resumed session would skip the revocation list.
	 * Tickets are stateful (NO_TICKET) and the cache is off, so none can
	 * be redeemed; but one is still sent, and only once the client's
	 * certificate passed: the terminal waits for it to know it was
	 * admitted (a TLS 1.3 client finishes its handshake before the
	 * server has judged its certificate). */
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(t->ctx, 1);
	/* The peer's request is sent to the client named in the CA list. */
	SSL_CTX_set_client_CA_list(t->ctx, SSL_load_client_CA_file(ca));
	ERR_clear_error();
	return t;
fail:
	srv_tls_free(t);
	return NULL;
}

void srv_tls_free(struct srv_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

SSL *srv_tls_peer_new(struct srv_tls *t)
{
	return SSL_new(t->ctx);
}

int srv_tls_cert_id(X509 *x, char id[SC_TERMINAL_ID_MAX + 1])
{
	char cn[SC_TERMINAL_ID_MAX + 2]; /* one more: a longer CN shows, not cut to an id */
	int n = x ? X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
					     sizeof(cn)) : -1;

	id[0] = '\0';
	if (n <= 0 || n > (int)SC_TERMINAL_ID_MAX || (size_t)n != strlen(cn) ||
	    sc_terminal_id_valid(cn) != SC_OK)
		return -1;
	memcpy(id, cn, (size_t)n + 1);
	return 0;
}

int srv_tls_peer_id(SSL *ssl, char id[SC_TERMINAL_ID_MAX + 1])
{
	return srv_tls_cert_id(SSL_get0_peer_certificate(ssl), id);
}

int srv_tls_refused(SSL *ssl, unsigned long err)
{
	intptr_t noted = (intptr_t)SSL_get_ex_data(ssl, reason_idx);
	int reason = SRV_TLS_OTHER;

	if (noted > 0)
		reason = (int)noted - 1;
	else if (ERR_GET_LIB(err) == ERR_LIB_SSL)
		switch (ERR_GET_REASON(err)) {
		case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
			reason = SRV_TLS_NO_CERT;
			break;
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_HTTP_REQUEST:
		case SSL_R_HTTPS_PROXY_REQUEST:
		case SSL_R_UNKNOWN_PROTOCOL:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_RECORD_LENGTH_MISMATCH:
			reason = SRV_TLS_NOT_TLS;
			break;
		default:
			break;
		}
	atomic_fetch_add(&srv_metrics.tls_refused[reason], 1);
	return reason;
}
