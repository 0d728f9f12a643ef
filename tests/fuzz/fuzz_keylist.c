/* libFuzzer target for the receipt key list and its messages
 * (common/keylist.h). The invariants: no out-of-bounds access (ASan), and
 * whatever decodes re-encodes to exactly the bytes it came from (one
 * encoding per list). */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "common/keylist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sc_keylist l;
	static uint8_t out[SC_RECEIPT_KEYS_MSG_MAX];
	uint8_t id[SC_KEY_ID_LEN];
	int n;

	if (sc_keylist_decode(&l, data, size) == 0) {
		n = sc_keylist_encode(out, sizeof(out), &l);
		assert(n == (int)size && memcmp(out, data, size) == 0);
		/* every key of a decoded list has an id, and is found by it */
		for (size_t i = 0; i < l.n; i++) {
			assert(sc_seal_key_id(l.e[i].pub, id) == 0);
			assert(sc_keylist_find(&l, 0, id) == (int)i);
		}
	}
	if (sc_receipt_keys_decode(&l, data, size) == 0) {
		n = sc_receipt_keys_encode(out, sizeof(out), &l);
		assert(n == (int)size && memcmp(out, data, size) == 0);
	}
	if (sc_get_receipt_keys_decode(data, size) == 0)
		assert(size == 1);
	return 0;
}
