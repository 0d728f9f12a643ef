/* Support shared by the card core's unit tests: a manufactured or issued
 * card on the RAM HAL, sample transactions, raw APDUs from hex, and an
 * independent (OpenSSL) check of the card's signatures. */
#ifndef SC_CARD_TEST_H
#define SC_CARD_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "card/card.h"
#include "common/scheme.h"
#include "common/tx.h"
#include "tests/support/card_client.h"
#include "tests/support/ram_hal.h"

#define TEST_PIN "1234"
#define TEST_ACCOUNT "DE89370400440532013000"
extern const uint8_t TEST_TK[CARD_TRANSPORT_KEY_LEN];
extern const uint8_t TEST_CARD_ID[SC_CARD_ID_LEN];
extern const uint8_t TEST_KCARD[SC_KCARD_LEN];

/* The card under test and its RAM HAL (the tests pass them explicitly). */
extern struct card_hal fx_hal;
extern struct card_core fx_core;

/* A blank RAM flash (entropy from seed), manufactured with TEST_TK, booted
 * on a freshly set-up fx_core. */
void fx_manufacture(uint64_t seed);
/* fx_manufacture, then personalised with the TEST_* values on the contact
 * interface, which stays on with the applet selected and the transport key
 * proven; issued if issue is non-zero. pubkey may be NULL. */
void fx_personalised(uint64_t seed, int issue, uint8_t pubkey[SC_PUBKEY_LEN]);
/* fx_manufacture, then personalised with the TEST_* values and issued;
 * pubkey may be NULL. Leaves the card off every reader. */
void fx_issued(uint64_t seed, uint8_t pubkey[SC_PUBKEY_LEN]);
/* Power cycle: restore power on the same flash and card_boot (asserts 0). */
void fx_reboot(void);

/* A valid transaction from TEST_ACCOUNT with the given scheme. */
void fx_tx(struct sc_tx *tx, uint8_t scheme);
/* Its canonical encoding; returns the length. */
size_t fx_tx_encode(const struct sc_tx *tx, uint8_t *out, size_t cap);

/* Sends the hex C-APDU once (spaces allowed); returns the SW, data in
 * resp (may be NULL). */
int fx_hex(enum card_iface iface, const char *hex, uint8_t *resp, size_t cap, size_t *len);
#define fx_sw(iface, hex) fx_hex((iface), (hex), NULL, 0, NULL)

/* SELECT + SIGN over the contact interface; asserts 9000. */
void fx_sign(uint8_t scheme, struct sc_tx *tx, struct sc_sign_resp *sig);

/* 1 if sig (DER) is a valid ECDSA P-256/SHA-256 signature of msg under
 * the SEC1 public key pub, checked by OpenSSL. */
int fx_openssl_verify(const uint8_t pub[SC_PUBKEY_LEN], const uint8_t *msg, size_t len,
		      const uint8_t *sig, size_t sig_len);

/* 1 if the DER signature's s is at most n/2 (n the P-256 group order),
 * checked by OpenSSL. */
int fx_openssl_low_s(const uint8_t *sig, size_t sig_len);

uint32_t fx_atc(void);   /* GET DATA ATC over contact (selects first) */
uint8_t fx_tries(void);  /* GET DATA PIN tries left */
uint8_t fx_lifecycle(void);

#define RUN_TESTS(name, tests, argc, argv)                                  \
	((argc) > 1 ? cmocka_set_test_filter((argv)[1]) : (void)0,          \
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif
