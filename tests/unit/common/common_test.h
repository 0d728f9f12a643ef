/* Support shared by the common/ unit tests: a seeded PRNG for the property
 * tests, a sample transaction, and the cmocka includes in the right order. */
#ifndef SC_COMMON_TEST_H
#define SC_COMMON_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "common/tx.h"

/* xorshift64*: deterministic, so a failing case reproduces from its seed. */
struct prng {
	uint64_t s;
};
void prng_seed(struct prng *p, uint64_t seed);
uint64_t prng_next(struct prng *p);
/* Uniform enough in [0, n) for tests; n > 0. */
size_t prng_below(struct prng *p, size_t n);
void prng_fill(struct prng *p, uint8_t *out, size_t n);

/* A valid transaction with every field set. */
void sample_tx(struct sc_tx *tx);
/* A random valid transaction (every field drawn across its whole domain). */
void random_tx(struct prng *p, struct sc_tx *tx);

/* Runs the group after applying argv[1] as a test-name filter. */
#define RUN_TESTS(name, tests, argc, argv)                                  \
	((argc) > 1 ? cmocka_set_test_filter((argv)[1]) : (void)0,          \
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif
