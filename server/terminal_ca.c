/* The issuer's terminal CA: the key and certificate that vouch for the
 * terminals (and for the server's own certificate, which the terminals pin
 * through it), the certificates it issued, and the ones revoked. Files
 * under DATA/tls/ (tls.h); every key 0600, written whole or not at all. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "hostlib/atomicfile.h"
#include "server/server.h"
#include "server/tls.h"

#define CA_DAYS 3650L          /* the CA's and the server certificate's lifetime */
#define SERIAL_LEN 16

static int say_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sigcard-server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void tls_path(char *out, size_t cap, const char *dir, const char *name)
{
	snprintf(out, cap, "%s/%s/%s", dir, SRV_TLS_DIR, name);
}

/* The PEM of key (private when priv) or cert into path: keys 0600, never
 * over an existing file; certificates 0644. */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem;
	long n;
	int ok, rc = -1;

	ok = mem && (key ? PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_X509(mem, cert));
	if (!ok || (n = BIO_get_mem_data(mem, &pem)) <= 0)
		snprintf(err, errlen, "cannot encode %s", path);
	else if ((ok = af_write_file(path, key ? 0600 : 0644, key ? AF_NOREPLACE : 0, pem,
				     (size_t)n)) != 0)
		snprintf(err, errlen, "cannot create %s: %s", path, af_strerror(ok));
	else
		rc = 0;
	BIO_free_all(mem); /* BIO_s_mem cleanses its buffer on free */
	return rc;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

enum cert_kind { CERT_CA, CERT_SERVER, CERT_TERMINAL };

/* A certificate for key named cn, valid from now for days, signed by the CA
 * (ca NULL: self-signed with key), with the extensions its kind needs:
 * a terminal's is for client authentication only, the server's for server
 * authentication with its names, so neither can stand in for the other. */
static X509 *cert_make(enum cert_kind kind, EVP_PKEY *key, const char *cn, long days,
		       const char *san, X509 *ca, EVP_PKEY *ca_key)
{
	X509 *x = X509_new();
	uint8_t serial[SERIAL_LEN];
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	int ok;

	if (!x || srv_random(serial, sizeof(serial)) != 0)
		goto fail;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x40; /* and always SERIAL_LEN bytes */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = bn && X509_set_version(x, 2) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -300) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) &&
	     X509_set_pubkey(x, key) &&
	     X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_issuer_name(x, X509_get_subject_name(ca ? ca : x));
	BN_free(bn);
	if (!ok)
		goto fail;
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") != 0)
		goto fail;
	if (kind == CERT_CA)
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
		     add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
	else
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		     add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") == 0 &&
		     add_ext(x, &ctx, NID_ext_key_usage,
			     kind == CERT_SERVER ? "serverAuth" : "clientAuth") == 0 &&
		     (!san || add_ext(x, &ctx, NID_subject_alt_name, san) == 0);
	if (!ok || !X509_sign(x, ca_key ? ca_key : key, EVP_sha256()))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

int srv_terminal_ca_create(const char *data_dir, const char *server_name, char *err,
			   size_t errlen)
{
	char dir[SRV_PATH_MAX + 8], path[SRV_PATH_MAX + 32], san[600];
	EVP_PKEY *ca_key = NULL, *srv_key = NULL;
	X509 *ca = NULL, *srv = NULL;
	int rc = -1;

	if (!server_name[0] || strlen(server_name) > 253 || strpbrk(server_name, ", :/")) {
		snprintf(err, errlen, "--server-name '%s' is not a DNS name", server_name);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", data_dir, SRV_TLS_DIR);
	if (mkdir(dir, 0700) != 0) {
		snprintf(err, errlen, errno == EEXIST ? "%s exists already: the terminal CA is made"
			 " once (remove the folder to start over, which voids every terminal's"
			 " certificate)" : "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1,IP:::1", server_name);
	ca_key = EVP_EC_gen("P-256");
	srv_key = EVP_EC_gen("P-256");
	if (ca_key)
		ca = cert_make(CERT_CA, ca_key, "sigcard terminal CA", CA_DAYS, NULL, NULL, NULL);
	if (ca && srv_key)
		srv = cert_make(CERT_SERVER, srv_key, server_name, CA_DAYS, san, ca, ca_key);
	if (!srv) {
		snprintf(err, errlen, "cannot make the terminal CA's keys and certificates");
		goto out;
	}
	tls_path(path, sizeof(path), data_dir, SRV_TLS_CA_KEY);
	if (write_pem(path, ca_key, NULL, err, errlen) != 0)
		goto out;
	tls_path(path, sizeof(path), data_dir, SRV_TLS_CA_CERT);
	if (write_pem(path, NULL, ca, err, errlen) != 0)
		goto out;
	tls_path(path, sizeof(path), data_dir, SRV_TLS_SERVER_KEY);
	if (write_pem(path, srv_key, NULL, err, errlen) != 0)
		goto out;
	tls_path(path, sizeof(path), data_dir, SRV_TLS_SERVER_CERT);
	rc = write_pem(path, NULL, srv, err, errlen);
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	X509_free(ca);
	X509_free(srv);
	return rc;
}

/* The serial of x in upper-case hex, as the issued and revoked lists hold it. */
static int serial_hex(X509 *x, char *out, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int rc = hex && strlen(hex) < cap ? 0 : -1;

	if (rc == 0)
		snprintf(out, cap, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* Appends line to the list at path (made 0644 if absent), flushed to disk:
 * a revocation that a crash forgets would let the terminal back in. */
static int list_append(const char *path, const char *line, char *err, size_t errlen)
{
	FILE *f = fopen(path, "a");
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	rc = fputs(line, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return rc;
}

int srv_tls_serial_revoked(const char *revoked_path, X509 *x)
{
	char serial[2 * SERIAL_LEN + 8], line[256];
	FILE *f;
	int hit = 0;

	if (serial_hex(x, serial, sizeof(serial)) != 0)
		return 1; /* a serial too long for ours was not ours */
	f = fopen(revoked_path, "r");
	if (!f)
		return errno == ENOENT ? 0 : 1; /* an unreadable list fails closed */
	while (!hit && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " \n");

		hit = n == strlen(serial) && !strncmp(line, serial, n);
	}
	if (ferror(f))
		hit = 1; /* fails closed, as above */
	fclose(f);
	return hit;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

/* The public key of the CSR at path, once its self-signature verifies;
 * what it asks for as subject is not taken: the CN is the id enrolled. */
static EVP_PKEY *csr_key(const char *path)
{
	FILE *f = fopen(path, "r");
	X509_REQ *req = f ? PEM_read_X509_REQ(f, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = req ? X509_REQ_get_pubkey(req) : NULL;

	if (f)
		fclose(f);
	if (k && X509_REQ_verify(req, k) != 1) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	X509_REQ_free(req);
	return k;
}

static int cmd_enrol(const char *data_dir, const char *id, const char *csr, long days,
		     const char *out)
{
	char path[SRV_PATH_MAX + 32], issued[SRV_PATH_MAX + 32], serial[64], line[160];
	char err[SRV_PATH_MAX + 128] = "";
	char after[32];
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	const ASN1_TIME *na;
	struct tm tm;
	int rc = 1;

	if (sc_terminal_id_valid(id) != SC_OK)
		return say_fail("terminal enrol: '%s' is not a terminal id (1..%u printable ASCII"
				" characters, no space)", id, SC_TERMINAL_ID_MAX), 2;
	if (!out)
		return say_fail("terminal enrol needs --out DIR"), 2;
	tls_path(path, sizeof(path), data_dir, SRV_TLS_CA_KEY);
	ca_key = read_key(path);
	tls_path(path, sizeof(path), data_dir, SRV_TLS_CA_CERT);
	ca = read_cert(path);
	if (!ca_key || !ca) {
		rc = say_fail("%s/%s holds no terminal CA: make it with 'sigcard-server -D %s"
			      " terminal-ca'", data_dir, SRV_TLS_DIR, data_dir);
		goto out;
	}
	key = csr ? csr_key(csr) : EVP_EC_gen("P-256");
	if (!key) {
		rc = csr ? say_fail("%s holds no certificate request whose signature verifies",
				    csr) : say_fail("cannot generate the terminal's key");
		goto out;
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST) {
		rc = say_fail("cannot create %s: %s", out, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", out, SRV_TLS_OUT_KEY);
	if (!csr && af_check(path, AF_NOREPLACE) != 0) {
		rc = say_fail("%s exists: refusing to overwrite a terminal's key", path);
		goto out;
	}
	x = cert_make(CERT_TERMINAL, key, id, days, NULL, ca, ca_key);
	na = x ? X509_get0_notAfter(x) : NULL;
	if (!x || serial_hex(x, serial, sizeof(serial)) != 0 || !ASN1_TIME_to_tm(na, &tm)) {
		rc = say_fail("cannot make the terminal's certificate");
		goto out;
	}
	strftime(after, sizeof(after), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Recorded before anything is handed out: revoke finds every
	 * certificate an id was given. */
	snprintf(line, sizeof(line), "%s %s %s\n", serial, id, after);
	tls_path(issued, sizeof(issued), data_dir, SRV_TLS_ISSUED_LIST);
	if (list_append(issued, line, err, sizeof(err)) != 0 ||
	    (!csr && write_pem(path, key, NULL, err, sizeof(err)) != 0)) {
		rc = say_fail("%s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", out, SRV_TLS_OUT_CERT);
	if (write_pem(path, NULL, x, err, sizeof(err)) != 0) {
		rc = say_fail("%s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", out, SRV_TLS_OUT_CA);
	if (write_pem(path, NULL, ca, err, sizeof(err)) != 0) {
		rc = say_fail("%s", err);
		goto out;
	}
	printf("terminal     %s\nserial       %s\nnot after    %s\ncertificate  %s/%s\n", id,
	       serial, after, out, SRV_TLS_OUT_CERT);
	if (!csr)
		printf("key          %s/%s\n", out, SRV_TLS_OUT_KEY);
	printf("server CA    %s/%s\n", out, SRV_TLS_OUT_CA);
	rc = 0;
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(x);
	return rc;
}

/* Every certificate issued to id goes on the revoked list: its next
 * handshake fails, the running server reads the list at each one. */
static int cmd_revoke(const char *data_dir, const char *id)
{
	char issued[SRV_PATH_MAX + 32], revoked[SRV_PATH_MAX + 32], line[256], out[176];
	char err[SRV_PATH_MAX + 128];
	FILE *f;
	int n = 0;

	tls_path(issued, sizeof(issued), data_dir, SRV_TLS_ISSUED_LIST);
	tls_path(revoked, sizeof(revoked), data_dir, SRV_TLS_REVOKED_LIST);
	f = fopen(issued, "r");
	if (!f)
		return say_fail("no terminal was ever enrolled in %s/%s", data_dir, SRV_TLS_DIR);
	while (fgets(line, sizeof(line), f)) {
		char serial[80], tid[80];

		if (sscanf(line, "%79s %79s", serial, tid) != 2 || strcmp(tid, id) != 0)
			continue;
		snprintf(out, sizeof(out), "%s %s\n", serial, tid);
		if (list_append(revoked, out, err, sizeof(err)) != 0) {
			fclose(f);
			return say_fail("%s", err);
		}
		n++;
	}
	fclose(f);
	if (n == 0)
		return say_fail("terminal %s was never enrolled", id);
	printf("terminal %s revoked (%d certificate%s)\n", id, n, n == 1 ? "" : "s");
	return 0;
}

static int cmd_list(const char *data_dir)
{
	char issued[SRV_PATH_MAX + 32], revoked[SRV_PATH_MAX + 32], line[256], rline[256];
	FILE *f;

	tls_path(issued, sizeof(issued), data_dir, SRV_TLS_ISSUED_LIST);
	tls_path(revoked, sizeof(revoked), data_dir, SRV_TLS_REVOKED_LIST);
	f = fopen(issued, "r");
	if (!f)
		return 0; /* none enrolled */
	while (fgets(line, sizeof(line), f)) {
		char serial[80], tid[80], after[40];
		FILE *r = fopen(revoked, "r");
		int gone = 0;

		if (sscanf(line, "%79s %79s %39s", serial, tid, after) != 3)
			continue;
		while (r && !gone && fgets(rline, sizeof(rline), r))
			gone = !strncmp(rline, serial, strlen(serial)) && rline[strlen(serial)] == ' ';
		if (r)
			fclose(r);
		printf("%-16s %s %s %s\n", tid, serial, after, gone ? "revoked" : "valid");
	}
	fclose(f);
	return 0;
}

int srv_terminal_cmd(const struct srv_config *cfg, int argc, char **argv, const char *csr,
		     long days, const char *out)
{
	const char *data_dir = cfg->data_dir;
	const char *verb = argc > 1 ? argv[1] : "";
	char err[SRV_PATH_MAX + 256];

	if (!strcmp(argv[0], "terminal-ca")) {
		if (argc > 1 || csr || days > 0 || out)
			return say_fail("terminal-ca takes only --server-name"), 2;
		if (srv_terminal_ca_create(data_dir, cfg->server_name, err, sizeof(err)) != 0)
			return say_fail("%s", err);
		printf("terminal CA  %s/%s/%s\nserver cert  %s/%s/%s (%s)\n", data_dir, SRV_TLS_DIR,
		       SRV_TLS_CA_CERT, data_dir, SRV_TLS_DIR, SRV_TLS_SERVER_CERT, cfg->server_name);
		return 0;
	}
	if (!strcmp(verb, "enrol") && argc == 3)
		return cmd_enrol(data_dir, argv[2], csr, days > 0 ? days : SRV_TLS_DEFAULT_DAYS,
				 out);
	if (csr || days > 0 || out)
		return say_fail("--csr, --days and --out apply to terminal enrol only"), 2;
	if (!strcmp(verb, "revoke") && argc == 3)
		return cmd_revoke(data_dir, argv[2]);
	if (!strcmp(verb, "list") && argc == 2)
		return cmd_list(data_dir);
	return say_fail("usage: terminal enrol ID [--csr FILE] [--days N] --out DIR |"
			" terminal revoke ID | terminal list"), 2;
}
