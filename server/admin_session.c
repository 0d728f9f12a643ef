/* Who may use the back office (admin_http.c): the token from
 * --admin-token-file, asked once by the login form, buys a session; the
 * session is a random id in an HttpOnly, SameSite=Strict cookie, and its
 * own random CSRF token, which the page sends in a header with every POST
 * (a cookie another site's form makes the browser send carries no
 * header). All of it lives in the back office's thread: no lock. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <openssl/sha.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "common/hex.h"
#include "hostlib/frameio.h"
#include "hostlib/webpage.h"
#include "server.h"

/* The token's file and form are the pages' own (hostlib/webpage.h:
 * 0600, this user's, one line of 16 to 128 URL-safe characters). */
int srv_admin_token_load(struct srv_admin_auth *a, const char *path, char *err, size_t errlen)
{
	char tok[WEB_TOKEN_MAX + 1];
	const char *why = "";

	memset(a, 0, sizeof(*a));
	if (web_token_from_file(path, tok, &why) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	/* Kept as its hash: a guess of any length is compared in the same time. */
	SHA256((const unsigned char *)tok, strlen(tok), a->token_hash);
	sc_wipe(tok, sizeof(tok));
	return 0;
}

void srv_admin_auth_wipe(struct srv_admin_auth *a)
{
	sc_wipe(a, sizeof(*a));
}

static int fresh(const struct srv_admin_session *s, int64_t now)
{
	return s->used && now - s->last < SRV_ADMIN_SESSION_IDLE_MS &&
	       now - s->created < SRV_ADMIN_SESSION_MAX_MS;
}

int srv_admin_login(struct srv_admin_auth *a, const char *guess, size_t len,
		    struct srv_admin_session **out)
{
	uint8_t h[SHA256_DIGEST_LENGTH], raw[SRV_ADMIN_ID_LEN];
	struct srv_admin_session *s = NULL;
	int64_t now = fio_now_ms();
	int ok;

	*out = NULL;
	if (now - a->fail_window_ms >= SRV_ADMIN_FAIL_WINDOW_MS) {
		a->fail_window_ms = now;
		a->fails = 0;
	}
	if (a->fails >= SRV_ADMIN_FAILS_MAX)
		return -1;
	SHA256((const unsigned char *)guess, len, h);
	ok = sc_ct_equal(h, a->token_hash, sizeof(h)) == 1;
	sc_wipe(h, sizeof(h));
	if (!ok) {
		a->fails++;
		return 0;
	}
	/* A free or stale place, else the one idle longest. */
	for (int i = 0; i < SRV_ADMIN_SESSIONS; i++) {
		struct srv_admin_session *c = &a->sessions[i];

		if (!fresh(c, now)) {
			s = c;
			break;
		}
		if (!s || c->last < s->last)
			s = c;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -2;
	sc_hex_encode(s->id, raw, sizeof(raw));
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		sc_wipe(s, sizeof(*s));
		return -2;
	}
	sc_hex_encode(s->csrf, raw, sizeof(raw));
	sc_wipe(raw, sizeof(raw));
	s->used = 1;
	s->created = s->last = now;
	*out = s;
	return 1;
}

/* The value of cookie name in a Cookie header, or NULL; *n its length. */
static const char *cookie_value(const char *header, const char *name, size_t *n)
{
	size_t nl = strlen(name);
	const char *p = header;

	while (p && *p) {
		p += strspn(p, " ;");
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			*n = strcspn(p + nl + 1, ";");
			return p + nl + 1;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

struct srv_admin_session *srv_admin_session_of(struct srv_admin_auth *a,
					       struct evhttp_request *req)
{
	const char *cookie = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	const char *v;
	size_t n = 0;
	int64_t now = fio_now_ms();
	struct srv_admin_session *found = NULL;

	v = cookie ? cookie_value(cookie, SRV_ADMIN_COOKIE, &n) : NULL;
	if (!v || n != 2 * SRV_ADMIN_ID_LEN)
		return NULL;
	/* Every place compared, in constant time each: how far a guess got
	 * shows in no timing. */
	for (int i = 0; i < SRV_ADMIN_SESSIONS; i++) {
		struct srv_admin_session *s = &a->sessions[i];

		if (sc_ct_equal((const uint8_t *)v, (const uint8_t *)s->id, n) == 1 && fresh(s, now))
			found = s;
	}
	if (found)
		found->last = now;
	return found;
}

int srv_admin_csrf_ok(const struct srv_admin_session *s, struct evhttp_request *req)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req),
					   SRV_ADMIN_CSRF_HEADER);

	return v && strlen(v) == 2 * SRV_ADMIN_ID_LEN &&
	       sc_ct_equal((const uint8_t *)v, (const uint8_t *)s->csrf, strlen(v)) == 1;
}

void srv_admin_logout(struct srv_admin_session *s)
{
	sc_wipe(s, sizeof(*s));
}
