/* libFuzzer target for the applet's two formats (common/applet.h). The
 * first byte picks the decoder: even, the SIGN TRANSACTION response; odd,
 * the password QR payload. An accepted input is canonical: the response
 * re-encodes to exactly the same bytes, the QR payload to the same text
 * (its card id in lowercase) that decodes to the same values. A refused
 * input leaves nothing half-decoded. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "common/applet.h"
#include "common/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sign_resp(const uint8_t *in, size_t len)
{
	static const struct sc_sign_resp zero;
	struct sc_sign_resp r;
	struct sc_writer w;
	uint8_t out[SC_SIGN_RESP_MAX];
	int rc = sc_sign_resp_decode(&r, in, len);

	if (rc != 0) {
		assert(rc < 0 && rc >= SC_ERR_AUTH);
		assert(memcmp(&r, &zero, sizeof r) == 0);
		return;
	}
	assert(len <= SC_SIGN_RESP_MAX);
	sc_writer_init(&w, out, sizeof out);
	sc_sign_resp_put(&w, &r);
	assert(w.err == 0 && w.len == len && memcmp(out, in, len) == 0);
}

static void qr(const uint8_t *in, size_t len)
{
	static const struct sc_qr zero;
	struct sc_qr q, back;
	char out[SC_QR_MAX + 1];
	int n;

	if (sc_qr_decode(&q, (const char *)in, len) != 0) {
		assert(memcmp(&q, &zero, sizeof q) == 0);
		return;
	}
	assert(len <= SC_QR_MAX);
	n = sc_qr_encode(out, &q);
	assert(n == (int)len && out[n] == '\0');
	for (size_t i = 0; i < len; i++) {
		char c = (char)in[i];
		if (c >= 'A' && c <= 'F' && i >= sizeof SC_QR_PREFIX - 1)
			c = (char)(c - 'A' + 'a');
		assert(out[i] == c);
	}
	assert(sc_qr_decode(&back, out, (size_t)n) == 0);
	assert(memcmp(&back, &q, sizeof q) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		sign_resp(data + 1, size - 1);
	else
		qr(data + 1, size - 1);
	return 0;
}
