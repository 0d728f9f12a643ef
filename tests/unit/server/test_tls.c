/* The TLS listener's pieces that need no handshake (server/tls.c): the
 * terminal id a certificate stands for, and the revoked list as the verify
 * callback reads it at every handshake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "server/tls.h"

/* A self-signed certificate with subject CN=cn (len bytes: a NUL inside
 * is kept), serial 0x4242. */
static X509 *cert_with_cn(const char *cn, int len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x4242), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, len, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return x;
}

static void id_from_cn(void **state)
{
	char id[SC_TERMINAL_ID_MAX + 1];
	X509 *x;

	(void)state;
	x = cert_with_cn("T-1", -1);
	assert_int_equal(srv_tls_cert_id(x, id), 0);
	assert_string_equal(id, "T-1");
	X509_free(x);
	x = cert_with_cn("0123456789ABCDEF", -1); /* 16: the longest id */
	assert_int_equal(srv_tls_cert_id(x, id), 0);
	assert_string_equal(id, "0123456789ABCDEF");
	X509_free(x);
	assert_int_equal(srv_tls_cert_id(NULL, id), -1);
}

/* A CN that is no terminal id is refused whole, never cut to one. */
static void cn_that_is_no_id(void **state)
{
	static const struct {
		const char *cn;
		int len;
	} bad[] = {
		{"0123456789ABCDEF-T2", -1}, /* 19 bytes: its first 16 are an id */
		{"0123456789ABCDEFG", -1},   /* 17 */
		{"T 1", -1},                 /* a space */
		{"T-1\0T-2", 7},             /* a NUL inside */
	};
	char id[SC_TERMINAL_ID_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		X509 *x = cert_with_cn(bad[i].cn, bad[i].len);

		assert_int_equal(srv_tls_cert_id(x, id), -1);
		assert_string_equal(id, "");
		X509_free(x);
	}
}

static void revoked_list(void **state)
{
	char dir[] = "/tmp/sc-tls-test.XXXXXX", path[64], unreadable[80];
	X509 *x = cert_with_cn("T-1", -1);
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/revoked", dir);
	assert_int_equal(srv_tls_serial_revoked(path, x), 0); /* no list: none revoked */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("4243 T-9\n424 T-8\n", f); /* other serials, one a prefix of ours */
	fclose(f);
	assert_int_equal(srv_tls_serial_revoked(path, x), 0);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("4242 T-1\n", f);
	fclose(f);
	assert_int_equal(srv_tls_serial_revoked(path, x), 1);
	/* a list that is there but cannot be read fails closed */
	snprintf(unreadable, sizeof(unreadable), "%s/folder", dir);
	assert_int_equal(mkdir(unreadable, 0700), 0);
	assert_int_equal(srv_tls_serial_revoked(unreadable, x), 1);
	rmdir(unreadable);
	unlink(path);
	rmdir(dir);
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_from_cn),
		cmocka_unit_test(cn_that_is_no_id),
		cmocka_unit_test(revoked_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
