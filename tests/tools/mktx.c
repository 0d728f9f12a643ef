/* mktx: prints the canonical transaction (common/tx.h) as hex, for tests
 * that drive a card or server with raw APDUs, and its SHA-256 with -H.
 *
 *   mktx [-H] SCHEME AMOUNT CURRENCY PAYER PAYEE PAYEE_NAME TERMINAL CHALLENGE_HEX TIME
 *   e.g. mktx enc 1234 978 ALICE-1 BOB-2 "Bob's Shop" T1 00112233445566778899aabbccddeeff 1700000000
 * AMOUNT is in minor units, CURRENCY the ISO 4217 number. Exit 0, 1 on a
 * field the encoder refuses (with its error), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/hex.h"
#include "common/tx.h"

int main(int argc, char **argv)
{
	struct sc_tx tx;
	uint8_t buf[SC_TX_MAX_LEN], hash[SC_HASH_LEN];
	char hex[2 * SC_TX_MAX_LEN + 1];
	int c, hash_only = 0, n, scheme;
	char **a;
	while ((c = getopt(argc, argv, "H")) != -1) {
		if (c != 'H')
			return 2;
		hash_only = 1;
	}
	if (argc - optind != 9) {
		fprintf(stderr, "usage: mktx [-H] SCHEME AMOUNT CURRENCY PAYER PAYEE PAYEE_NAME "
				"TERMINAL CHALLENGE_HEX TIME\n");
		return 2;
	}
	a = argv + optind;
	memset(&tx, 0, sizeof tx);
	tx.version = SC_TX_VERSION;
	scheme = sc_scheme_parse(a[0]);
	if (scheme < 0) {
		fprintf(stderr, "mktx: unknown scheme %s\n", a[0]);
		return 1;
	}
	tx.scheme = (uint8_t)scheme;
	tx.amount = strtoull(a[1], NULL, 10);
	tx.currency = (uint16_t)atoi(a[2]);
	snprintf(tx.payer, sizeof tx.payer, "%s", a[3]);
	snprintf(tx.payee, sizeof tx.payee, "%s", a[4]);
	snprintf(tx.payee_name, sizeof tx.payee_name, "%s", a[5]);
	snprintf(tx.terminal_id, sizeof tx.terminal_id, "%s", a[6]);
	if (sc_hex_decode(tx.challenge, sizeof tx.challenge, a[7]) != (int)SC_CHALLENGE_LEN) {
		fprintf(stderr, "mktx: challenge: 32 hex digits\n");
		return 1;
	}
	tx.time = strtoull(a[8], NULL, 10);
	n = sc_tx_encode(&tx, buf, sizeof buf);
	if (n < 0) {
		fprintf(stderr, "mktx: %s\n", sc_strerror(n));
		return 1;
	}
	if (hash_only) {
		if (sc_tx_hash(buf, (size_t)n, hash) != 0)
			return 1;
		sc_hex_encode(hex, hash, sizeof hash);
	} else {
		sc_hex_encode(hex, buf, (size_t)n);
	}
	printf("%s\n", hex);
	return 0;
}
