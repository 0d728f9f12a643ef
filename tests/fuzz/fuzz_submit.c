/* libFuzzer target for the server submission protocol codec
 * (common/submit.h), the authorisation pre-check (common/precheck.h) and
 * receipt seals (common/seal.h). Every decoder sees
 * every input; the invariants: no
 * out-of-bounds access (ASan), and whatever decodes re-encodes to exactly
 * the bytes it came from (one encoding per message). */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "common/errors.h"
#include "common/precheck.h"
#include "common/seal.h"
#include "common/submit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[SC_RESULT_MSG_MAX + SC_SUBMIT_MSG_MAX];
	char tid[SC_TERMINAL_ID_MAX + 1];
	uint8_t ch[SC_CHALLENGE_LEN], pub[SC_PUBKEY_LEN];
	struct sc_submit s;
	struct sc_result_msg m;
	struct sc_receipt r;
	struct sc_seal seal;
	uint32_t ttl;
	int n;

	if (sc_get_challenge_decode(data, size, tid) == 0) {
		n = sc_get_challenge_encode(out, sizeof(out), tid);
		assert(n == (int)size && memcmp(out, data, size) == 0);
	}
	if (sc_challenge_decode(data, size, ch, &ttl) == 0) {
		n = sc_challenge_encode(out, sizeof(out), ch, ttl);
		assert(n == (int)size && memcmp(out, data, size) == 0);
	}
	if (sc_submit_decode(&s, data, size) == 0) {
		n = sc_submit_encode(out, sizeof(out), &s);
		assert(n == (int)size && memcmp(out, data, size) == 0);
	}
	if (sc_result_decode(&m, data, size) == 0) {
		char text[SC_RESULT_TEXT_MAX + 1];

		/* The text goes back as a C string: a NUL inside it would end it
		 * early, which is the encoder's contract, not a codec bug. */
		memcpy(text, m.text ? m.text : "", m.text_len);
		text[m.text_len] = '\0';
		if (strlen(text) == m.text_len) {
			n = sc_result_encode(out, sizeof(out), m.code, m.receipt, m.receipt_len, m.seal,
					     m.seal_len, text);
			assert(n == (int)size && memcmp(out, data, size) == 0);
		}
		if (m.receipt)
			assert(m.receipt_len >= SC_RECEIPT_MIN && m.receipt_len <= SC_RECEIPT_MAX);
	}
	/* Version 2 is decoded only: the encoder writes version 3 or the current. */
	if (sc_receipt_decode(&r, data, size) == 0 && r.version != SC_RECEIPT_V2) {
		n = sc_receipt_encode(out, sizeof(out), &r);
		assert(n == (int)size && memcmp(out, data, size) == 0);
	}
	if (sc_receipt_key_decode(data, size, pub) == 0) {
		n = sc_receipt_key_encode(out, sizeof(out), pub);
		assert(n == (int)size && memcmp(out, data, size) == 0);
	}
	if (sc_seal_decode(&seal, data, size) == 0) {
		uint8_t statement[SC_SEAL_STATEMENT_LEN];

		n = sc_seal_encode(out, sizeof(out), &seal);
		assert(n == (int)size && memcmp(out, data, size) == 0);
		/* any decoded path folds without touching what it does not own */
		assert(sc_seal_open(data, size, &seal, statement) == 0);
	}
	{
		struct sc_precheck p;
		struct sc_prechecked pm;

		if (sc_precheck_decode(&p, data, size) == 0) {
			n = sc_precheck_encode(out, sizeof(out), &p);
			assert(n == (int)size && memcmp(out, data, size) == 0);
		}
		if (sc_prechecked_decode(&pm, data, size) == 0) {
			char text[SC_PRECHECK_TEXT_MAX + 1];

			/* printable: no NUL can end the C string early */
			memcpy(text, pm.text ? pm.text : "", pm.text_len);
			text[pm.text_len] = '\0';
			n = sc_prechecked_encode(out, sizeof(out), pm.code, text);
			assert(n == (int)size && memcmp(out, data, size) == 0);
			assert(sc_precheck_verdict(pm.code));
		}
	}
	if (sc_get_receipt_key_decode(data, size) == 0)
		assert(size == 1);
	return 0;
}
