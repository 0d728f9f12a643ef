/* TLS on the TCP listener (tls.c) and the issuer's terminal CA that it
 * trusts (terminal_ca.c): the files under DATA/tls/, the peer's terminal
 * id taken from its certificate, and the handshakes refused, by reason. */
#ifndef SERVER_TLS_H
#define SERVER_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include "common/tx.h"

/* The folder under the data folder and the files in it. */
#define SRV_TLS_DIR "tls"
#define SRV_TLS_CA_KEY "ca.key"         /* the terminal CA's key, 0600 */
#define SRV_TLS_CA_CERT "ca.pem"        /* what terminals pin */
#define SRV_TLS_SERVER_KEY "server.key" /* the listener's key, 0600 */
#define SRV_TLS_SERVER_CERT "server.pem"
#define SRV_TLS_ISSUED_LIST "issued"         /* one line per certificate: SERIAL ID NOT-AFTER */
#define SRV_TLS_REVOKED_LIST "revoked"       /* one line per revoked certificate: SERIAL ID */
#define SRV_TLS_DEFAULT_NAME "localhost"
#define SRV_TLS_DEFAULT_DAYS 365
/* What `sigcard-server terminal enrol` writes into its --out folder. */
#define SRV_TLS_OUT_KEY "terminal.key"
#define SRV_TLS_OUT_CERT "terminal.pem"
#define SRV_TLS_OUT_CA "ca.pem"

/* Why a handshake was refused: /metrics counts each. */
enum srv_tls_refusal {
	SRV_TLS_NO_CERT,    /* the peer sent no client certificate */
	SRV_TLS_BAD_CHAIN,  /* not chained to the terminal CA, or not a terminal's */
	SRV_TLS_EXPIRED,    /* outside its validity */
	SRV_TLS_REVOKED,    /* `terminal revoke` named it */
	SRV_TLS_NOT_TLS,    /* the peer did not speak TLS (plain frames, HTTP) */
	SRV_TLS_TIMEOUT,    /* not done within --request-timeout (or --idle-timeout) */
	SRV_TLS_OTHER,      /* any other failure: an old TLS version, a reset */
	SRV_TLS_REFUSALS
};
/* The label /metrics gives a reason: "no_cert", "bad_chain", ... */
const char *srv_tls_refusal_name(int reason);

/* ---- tls.c: the listener's context */
struct srv_tls;
/* TLS 1.3 only, a client certificate chained to DIR/tls/ca.pem required,
 * no session resumption (every connection is a full handshake, and every
 * handshake reads the revocation list). NULL with err set; a data folder
 * without the files gets the command that makes them. */
struct srv_tls *srv_tls_new(const char *data_dir, char *err, size_t errlen);
void srv_tls_free(struct srv_tls *t);
/* A new server-side SSL for one peer, or NULL. */
SSL *srv_tls_peer_new(struct srv_tls *t);
/* After a completed handshake: the terminal id of the peer's certificate
 * (its subject's CN) into id. 0, or -1 if the CN is no terminal id. */
int srv_tls_peer_id(SSL *ssl, char id[SC_TERMINAL_ID_MAX + 1]);
/* The same for certificate x (NULL: -1): its first CN, whole, a terminal id. */
int srv_tls_cert_id(X509 *x, char id[SC_TERMINAL_ID_MAX + 1]);
/* A failed handshake: the reason, from what the verify callback noted or
 * the OpenSSL error (err: bufferevent_get_openssl_error's first code, 0 if
 * none); counted in srv_metrics. */
int srv_tls_refused(SSL *ssl, unsigned long err);

/* ---- terminal_ca.c: the issuer's terminal CA */
/* 1 if x's serial is on the revoked list at path (or the list cannot be
 * read: it fails closed), else 0. */
int srv_tls_serial_revoked(const char *revoked_path, X509 *x);
/* Makes DIR/tls/ with the CA and the server's key and certificate for
 * server_name (a DNS name; 127.0.0.1 and ::1 are always in it too).
 * Refuses to overwrite one that exists. 0, or -1 with err. */
int srv_terminal_ca_create(const char *data_dir, const char *server_name, char *err,
			   size_t errlen);
/* `sigcard-server terminal-ca` (argv[0]), and `terminal enrol ID [--csr
 * FILE] [--days N] --out DIR`, `terminal revoke ID`, `terminal list`
 * (argv[0] "terminal"). days 0: the default. Exit status. */
struct srv_config;
int srv_terminal_cmd(const struct srv_config *cfg, int argc, char **argv, const char *csr,
		     long days, const char *out);

#endif
