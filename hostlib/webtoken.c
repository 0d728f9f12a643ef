/* The token a page's acts need (hostlib/webpage.h): made, read from a
 * file, checked. */
#include <string.h>
#include <sys/random.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "hostlib/privfile.h"
#include "hostlib/webpage.h"

#define WEB_TOKEN_RANDOM 16   /* bytes of a token made at start */
#define WEB_TOKEN_MIN 16

int web_token_make(char out[WEB_TOKEN_MAX + 1])
{
	uint8_t raw[WEB_TOKEN_RANDOM];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	sc_hex_encode(out, raw, sizeof raw);
	sc_wipe(raw, sizeof raw);
	return 0;
}

int web_token_from_file(const char *path, char out[WEB_TOKEN_MAX + 1], const char **why)
{
	char text[WEB_TOKEN_MAX + 64];
	char *tok;
	size_t n;
	if (priv_file_read(path, text, sizeof text, why) != 0)
		return -1;
	tok = priv_trim(text);
	n = strlen(tok);
	if (n < WEB_TOKEN_MIN || n > WEB_TOKEN_MAX ||
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-") != n) {
		sc_wipe(text, sizeof text);
		*why = "not a token (16 to 128 of A-Z a-z 0-9 . _ ~ -)";
		return -1;
	}
	memcpy(out, tok, n + 1);
	sc_wipe(text, sizeof text);
	return 0;
}

int web_bearer_ok(struct evhttp_request *req, const char *token)
{
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	size_t n = strlen(token);
	if (a == NULL || strncmp(a, "Bearer ", 7) != 0 || n == 0)
		return 0;
	a += 7;
	return strlen(a) == n && sc_ct_equal((const uint8_t *)a, (const uint8_t *)token, n) == 1;
}
