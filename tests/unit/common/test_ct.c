/* The constant-time helpers are checked the ctgrind way: under valgrind's
 * memcheck, the secret inputs are marked undefined, so any branch or memory
 * index that depends on them is reported as an error. The program re-runs
 * itself under valgrind; in an ASan build (which valgrind cannot run) the
 * checks are skipped, the plain build does them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <valgrind/memcheck.h>
#include "common_test.h"
#include "common/scheme.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

static const char *why_not;  /* set when the checks cannot run */

static int need_valgrind(void)
{
	if (why_not) {
		print_message("skipped: %s\n", why_not);
		skip();
		return 0;
	}
	return 1;
}

/* Runs f(a, b) with a and b secret; returns the errors memcheck counted. */
static unsigned long errors_with_secret(uint8_t *a, uint8_t *b, size_t n, int *result)
{
	unsigned long before = VALGRIND_COUNT_ERRORS, after;
	int r;

	VALGRIND_MAKE_MEM_UNDEFINED(a, n);
	VALGRIND_MAKE_MEM_UNDEFINED(b, n);
	r = sc_ct_equal(a, b, n);
	after = VALGRIND_COUNT_ERRORS;
	/* The verdict itself is public: declassify it before it is tested. */
	VALGRIND_MAKE_MEM_DEFINED(&r, sizeof(r));
	VALGRIND_MAKE_MEM_DEFINED(a, n);
	VALGRIND_MAKE_MEM_DEFINED(b, n);
	*result = r;
	return after - before;
}

static void ct_equal_never_branches_on_data(void **state)
{
	uint8_t a[64], b[64];
	int r;

	(void)state;
	if (!need_valgrind())
		return;
	memset(a, 0x5c, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(errors_with_secret(a, b, sizeof(a), &r), 0);
	assert_int_equal(r, 1);
	b[63] ^= 1;
	assert_int_equal(errors_with_secret(a, b, sizeof(a), &r), 0);
	assert_int_equal(r, 0);
	b[63] ^= 1;
	b[0] ^= 0x80;
	assert_int_equal(errors_with_secret(a, b, 1, &r), 0);
	assert_int_equal(r, 0);
}

/* The probe itself works: a comparison that stops at the first difference
 * (as memcmp may) is caught, so a pass above means something. */
static int leaky_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void probe_catches_a_branch(void **state)
{
	uint8_t a[16] = { 1 }, b[16] = { 2 };
	unsigned long before, after;
	volatile int r;

	(void)state;
	if (!need_valgrind())
		return;
	VALGRIND_MAKE_MEM_UNDEFINED(a, sizeof(a));
	before = VALGRIND_COUNT_ERRORS;
	/* Memcheck reports this one on purpose; the exit status ignores it. */
	print_message("expected: one memcheck report from leaky_equal follows\n");
	r = leaky_equal(a, b, sizeof(a));
	after = VALGRIND_COUNT_ERRORS;
	VALGRIND_MAKE_MEM_DEFINED(a, sizeof(a));
	(void)r;
	assert_true(after > before);
}

static void wipe_clears_secret(void **state)
{
	uint8_t k[SC_KCARD_LEN];

	(void)state;
	memset(k, 0xa5, sizeof(k));
	sc_wipe(k, sizeof(k));
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(k[i], 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ct_equal_never_branches_on_data),
		cmocka_unit_test(probe_catches_a_branch),
		cmocka_unit_test(wipe_clears_secret),
	};

	if (ASAN_BUILD) {
		why_not = "valgrind cannot run an ASan build";
	} else if (!RUNNING_ON_VALGRIND && !getenv("SC_CT_NO_VALGRIND")) {
		char *args[8] = { "valgrind", "-q", "--error-exitcode=0", argv[0], NULL, NULL };

		if (argc > 1)
			args[4] = argv[1];
		/* Only returns if valgrind could not be started. */
		execvp(args[0], args);
		why_not = errno == ENOENT ? "valgrind is not installed" : "valgrind did not start";
	} else if (!RUNNING_ON_VALGRIND) {
		why_not = "SC_CT_NO_VALGRIND is set";
	}
	return RUN_TESTS("common/ct (under valgrind memcheck)", tests, argc, argv);
}
