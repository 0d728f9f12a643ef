/* The server's sealing, redone with the test's own key (seal_maker.h). */
#include <openssl/evp.h>
#include "seal_maker.h"

int seal_make(EVP_PKEY *key, const uint8_t (*receipts)[SC_RECEIPT_MAX], size_t len, size_t n,
	      size_t which, uint8_t seal[SC_SEAL_MAX])
{
	uint8_t nodes[SC_SEAL_NODES(8)][SC_HASH_LEN], root[SC_HASH_LEN];
	uint8_t statement[SC_SEAL_STATEMENT_LEN], sig[80];
	size_t sig_len = sizeof sig;
	struct sc_seal s;
	EVP_MD_CTX *md;
	int ok;

	if (n < 1 || n > 8 || which >= n)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sc_seal_leaf(receipts[i], len, nodes[i]) != 0)
			return -1;
	if (sc_seal_tree(nodes, n, SC_SEAL_NODES(8), root) != 0 ||
	    sc_seal_statement(root, statement) != 0 ||
	    sc_seal_path((const uint8_t(*)[SC_HASH_LEN])nodes, n, which, &s) != 0)
		return -1;
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestSign(md, sig, &sig_len, statement, sizeof statement) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -1;
	s.sig = sig;
	s.sig_len = sig_len;
	return sc_seal_encode(seal, SC_SEAL_MAX, &s);
}
