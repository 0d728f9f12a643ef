/* The forms of the transaction's text fields and of scheme names
 * (common/tx.h). Each check walks at most its field's maximum length, so a
 * string without its NUL is never read past that. */
#include <string.h>
#include "errors.h"
#include "tx.h"
#include "utf8.h"

/* Length of s, or max + 1 if s is longer than max. */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

int sc_account_id_valid(const char *s)
{
	size_t n;

	if (!s)
		return SC_ERR_ARG;
	n = bounded_len(s, SC_ACCOUNT_MAX);
	if (n == 0 || n > SC_ACCOUNT_MAX)
		return SC_ERR_LENGTH;
	if (s[0] == '-')
		return SC_ERR_BAD_VALUE;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return SC_ERR_BAD_VALUE;
	}
	return SC_OK;
}

int sc_terminal_id_valid(const char *s)
{
	size_t n;

	if (!s)
		return SC_ERR_ARG;
	n = bounded_len(s, SC_TERMINAL_ID_MAX);
	if (n == 0 || n > SC_TERMINAL_ID_MAX)
		return SC_ERR_LENGTH;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return SC_ERR_BAD_VALUE;
	return SC_OK;
}

/* Code points that must not reach the card's screen even though they are
 * well-formed: controls, and the invisible formatting characters that could
 * make a payee name display as something other than its bytes (bidi
 * overrides and isolates, line and paragraph separators). Surrogates are
 * refused by the decoder already. */
static int is_forbidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

int sc_display_text_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	if (!s && len)
		return SC_ERR_ARG;
	if (len == 0 || len > SC_PAYEE_NAME_MAX)
		return SC_ERR_LENGTH;
	if (s[0] == ' ' || s[len - 1] == ' ')
		return SC_ERR_BAD_UTF8;
	while (i < len) {
		uint32_t cp;
		int n = sc_utf8_next(&cp, s + i, len - i);

		if (n < 0 || is_forbidden(cp))
			return SC_ERR_BAD_UTF8;
		i += (size_t)n;
	}
	return SC_OK;
}

const char *sc_scheme_name(uint8_t scheme)
{
	switch (scheme) {
	case SC_SCHEME_ENC: return "enc";
	case SC_SCHEME_ENC_RAND: return "enc-rand";
	case SC_SCHEME_ENC_DIGEST: return "enc-digest";
	default: return NULL;
	}
}

int sc_scheme_parse(const char *name)
{
	if (!name)
		return SC_ERR_BAD_VALUE;
	for (uint8_t s = SC_SCHEME_ENC; s <= SC_SCHEME_ENC_DIGEST; s++)
		if (strcmp(name, sc_scheme_name(s)) == 0)
			return s;
	return SC_ERR_BAD_VALUE;
}
