/* libFuzzer target for the text parsers of common/: hex, amounts, payee
 * names, account and terminal ids. Each accepted input must satisfy the
 * rule its check documents, and parse/format must round-trip. */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include "common/currency.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_display(const uint8_t *s, size_t n)
{
	if (sc_display_text_valid(s, n) != SC_OK)
		return;
	assert(n >= 1 && n <= SC_PAYEE_NAME_MAX);
	assert(s[0] != ' ' && s[n - 1] != ' ');
	for (size_t i = 0; i < n; i++) {
		/* Never a C0 control, DEL, a byte no UTF-8 uses, or a lead
		 * byte of an overlong 2-byte form. */
		assert(s[i] >= 0x20 && s[i] != 0x7f);
		assert(s[i] != 0xc0 && s[i] != 0xc1 && s[i] < 0xf5);
		/* No C1 control (U+0080..U+009F is C2 80..C2 9F). */
		if (s[i] == 0xc2 && i + 1 < n)
			assert(s[i + 1] >= 0xa0);
		/* No surrogate (ED A0..BF xx). */
		if (s[i] == 0xed && i + 1 < n)
			assert(s[i + 1] < 0xa0);
	}
}

static void check_amount(const char *text)
{
	static const uint16_t codes[] = { 978, 392, 414 };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint64_t v, back;
		char out[48];
		int n;

		if (sc_amount_parse(text, codes[i], &v) != SC_OK)
			continue;
		assert(v <= 0x7fffffffffffffffull);
		for (const char *c = text; *c; c++)
			assert(isdigit((unsigned char)*c) || *c == '.');
		n = sc_amount_format(out, sizeof(out), v, codes[i]);
		assert(n > 4);
		out[n - 4] = '\0';
		assert(sc_amount_parse(out, codes[i], &back) == SC_OK && back == v);
	}
}

static void check_hex(const char *text, size_t len)
{
	uint8_t bytes[64];
	char again[2 * sizeof(bytes) + 1];
	int n = sc_hex_decode(bytes, sizeof(bytes), text);

	if (n < 0) {
		assert(n == SC_ERR_LENGTH || n == SC_ERR_BAD_VALUE);
		return;
	}
	assert((size_t)n * 2 == len);
	sc_hex_encode(again, bytes, (size_t)n);
	for (size_t i = 0; i < len; i++)
		assert(again[i] == tolower((unsigned char)text[i]));
}

static void check_ids(const char *text, size_t len)
{
	if (sc_account_id_valid(text) == SC_OK) {
		assert(len >= 1 && len <= SC_ACCOUNT_MAX && text[0] != '-');
		for (size_t i = 0; i < len; i++)
			assert(isupper((unsigned char)text[i]) || isdigit((unsigned char)text[i]) ||
			       text[i] == '-');
	}
	if (sc_terminal_id_valid(text) == SC_OK) {
		assert(len >= 1 && len <= SC_TERMINAL_ID_MAX);
		for (size_t i = 0; i < len; i++)
			assert(text[i] > 0x20 && text[i] < 0x7f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256];
	size_t len;

	if (size >= sizeof(text))
		return 0;
	check_display(data, size);
	/* The string parsers see the input up to its first NUL. */
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);
	check_amount(text);
	check_hex(text, len);
	check_ids(text, len);
	return 0;
}
