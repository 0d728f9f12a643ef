/* libFuzzer target for the APDU parser and builder (common/apdu.h). For an
 * accepted C-APDU: its fields are consistent, building from them gives back
 * the input when it was in the smallest form (and the same fields always),
 * and every R-APDU split is sound. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "common/apdu.h"
#include "common/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[SC_APDU_MAX_CMD];
	struct sc_apdu a, b;
	const uint8_t *rdata;
	size_t rlen;
	uint16_t sw;
	int rc, n;

	rc = sc_rapdu_parse(data, size, &rdata, &rlen, &sw);
	assert(rc == (size >= 2 ? SC_OK : SC_ERR_TRUNCATED));
	if (rc == SC_OK)
		assert(rlen == size - 2 && rdata == data);

	rc = sc_apdu_parse(&a, data, size);
	if (rc != SC_OK) {
		assert(rc == SC_ERR_BAD_APDU || rc == SC_ERR_TRUNCATED);
		assert(a.data == NULL && a.lc == 0 && a.le == 0);
		return 0;
	}
	assert(a.lc <= SC_APDU_EXT_MAX_LC && a.le <= SC_APDU_EXT_MAX_LE);
	assert((a.lc == 0) == (a.data == NULL));
	if (a.lc)
		assert(a.data >= data && a.data + a.lc <= data + size);
	assert(a.kase == (a.lc ? SC_APDU_CASE3 : SC_APDU_CASE1) + (a.le ? 1 : 0));
	n = sc_apdu_build(out, sizeof(out), a.cla, a.ins, a.p1, a.p2, a.data, a.lc, a.le);
	assert(n >= 4 && (size_t)n <= size);
	if (!a.extended || a.lc > SC_APDU_SHORT_MAX_LC || a.le > SC_APDU_SHORT_MAX_LE) {
		/* The input was already in the smallest form. */
		assert((size_t)n == size);
		assert(memcmp(out, data, size) == 0);
	}
	assert(sc_apdu_parse(&b, out, (size_t)n) == SC_OK);
	assert(b.cla == a.cla && b.ins == a.ins && b.p1 == a.p1 && b.p2 == a.p2);
	assert(b.lc == a.lc && b.le == a.le && b.kase == a.kase);
	if (a.lc)
		assert(memcmp(a.data, b.data, a.lc) == 0);
	return 0;
}
