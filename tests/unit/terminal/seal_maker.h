/* Seals receipts as sigcard-server does (common/seal.h), with a key made by
 * the test: the terminal's tests get real seals of real batches. */
#ifndef TEST_SEAL_MAKER_H
#define TEST_SEAL_MAKER_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "common/seal.h"
#include "common/submit.h"

/* Builds the tree over the n receipts (1..8), each len bytes, signs its statement with key
 * and writes the seal of receipt `which`: its length, or -1. */
int seal_make(EVP_PKEY *key, const uint8_t (*receipts)[SC_RECEIPT_MAX], size_t len, size_t n,
	      size_t which, uint8_t seal[SC_SEAL_MAX]);

#endif
