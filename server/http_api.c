/* The JSON resources of the read-only API under /v1 (docs/openapi.json
 * describes each answer): accounts, cards and transfers, one by one and in
 * pages. A page is keyset-paginated: the opaque cursor "next" names the
 * last row given, and the next page starts after it in the listing's own
 * order, so rows committed meanwhile never shift a page (as OFFSET would).
 * Times are RFC 3339 UTC with milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include "common/currency.h"
#include "common/hex.h"
#include "api_rows.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 1000
#define CURSOR_KEY_MAX 64   /* bytes of the key a cursor carries */

/* The OpenAPI document, docs/openapi.json, compiled in (build/gen/). */
extern const char srv_openapi_json[];
extern const size_t srv_openapi_json_len;

static void send_body(struct evhttp_request *req, int code, const char *type,
		      const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	if (out)
		evbuffer_add(out, body, len);
	/* NULL: libevent's reason phrase for the code */
	evhttp_send_reply(req, code, NULL, out);
	if (out)
		evbuffer_free(out);
}

void srv_http_send_json(struct evhttp_request *req, int code, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	size_t n = text ? strlen(text) : 0;

	if (text) {
		text[n] = '\n'; /* json_dumps' NUL becomes the answer's last line end */
		send_body(req, code, "application/json", text, n + 1);
	} else {
		send_body(req, code, "application/json", "", 0);
	}
	free(text);
	json_decref(body);
}

void srv_http_send_error(struct evhttp_request *req, int code, const char *message)
{
	srv_http_send_json(req, code, srv_http_error_body(code, message));
}

static void unreadable(struct evhttp_request *req)
{
	srv_http_send_error(req, 503, "the ledger cannot be read");
}

/* "2026-12-02T03:04:05.123Z" */
static json_t *rfc3339(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char text[40];

	if (ms < 0 || !gmtime_r(&secs, &tm))
		return json_null();
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), ".%03dZ", (int)(ms % 1000));
	return json_string(text);
}

static json_t *money(int64_t minor, uint16_t currency)
{
	const struct sc_currency *c = sc_currency_by_numeric(currency);
	char text[48] = "";

	if (minor >= 0)
		sc_amount_format(text, sizeof(text), (uint64_t)minor, currency);
	else if (sc_amount_format(text + 1, sizeof(text) - 1, (uint64_t)-minor, currency) > 0)
		text[0] = '-';
	return json_pack("{s:I,s:s,s:i,s:s}", "minor", (json_int_t)minor, "currency",
			 c ? c->alpha : "???", "currency_numeric", currency, "text", text);
}

/* ---- Rows: one SELECT list and one JSON shape per resource, for a
 * resource alone and in a page alike. */

#define ACCOUNT_COLS "id, currency, balance, flags, created_ms"

static json_t *account_row(const struct srv_api_rows *st)
{
	return json_pack("{s:s,s:o,s:b,s:o}",
			 "id", srv_api_text(st, 0),
			 "balance", money(srv_api_int(st, 2),
					  (uint16_t)srv_api_int(st, 1)),
			 "issuer", (srv_api_int(st, 3) & SRV_ACCOUNT_ISSUER) != 0,
			 "created", rfc3339(srv_api_int(st, 4)));
}

/* The card's last receipt counter: its latest outcome's, executed or
 * declined (both tables are indexed by card first). */
#define CARD_COLS "card_id, account, pubkey, status, last_atc, jp_failures, created_ms," \
	" (SELECT max(counter) FROM (SELECT r.counter FROM transfers t" \
	" JOIN receipts r ON r.transfer_id = t.id WHERE t.card_id = cards.card_id" \
	" UNION ALL SELECT d.counter FROM declines d WHERE d.card_id = cards.card_id) AS c)"

static json_t *card_row(const struct srv_api_rows *st)
{
	json_t *o = json_pack("{s:o,s:s,s:s,s:I,s:i,s:o,s:o}",
			 "card_id", srv_api_hex(st, 0),
			 "account", srv_api_text(st, 1),
			 "status", srv_card_status_name((int)srv_api_int(st, 3)),
			 "last_atc", (json_int_t)srv_api_int(st, 4),
			 "jp_failures", (int)srv_api_int(st, 5),
			 "public_key", srv_api_hex(st, 2),
			 "created", rfc3339(srv_api_int(st, 6)));

	if (o)
		json_object_set_new(o, "last_receipt_counter",
				    srv_api_null(st, 7) ? json_null() :
				    json_integer(srv_api_int(st, 7)));
	return o;
}

/* The audit log's rows (store_sqlite.c, sq_audit): every submission and
 * script request that was authenticated, a sample of the others. */
#define SUBMISSION_COLS "id, at_ms, peer, result, detail"

static json_t *submission_row(const struct srv_api_rows *st)
{
	int code = (int)srv_api_int(st, 3);

	return json_pack("{s:I,s:o,s:s,s:s,s:i,s:s}",
			 "id", (json_int_t)srv_api_int(st, 0),
			 "at", rfc3339(srv_api_int(st, 1)),
			 "peer", srv_api_text(st, 2),
			 "result", code >= 0 && code < (int)SC_RES_COUNT ? sc_result_name(code) : "?",
			 "code", code,
			 "detail", srv_api_text(st, 4));
}

#define TRANSFER_COLS "id, payer, payee, amount, currency, card_id, atc, tx_hash, created_ms"

/* created_ms stays beside created: clients of 0.1 read it. */
static json_t *transfer_row(const struct srv_api_rows *st)
{
	uint16_t cur = (uint16_t)srv_api_int(st, 4);
	json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o,s:I,s:o}",
			      "id", (json_int_t)srv_api_int(st, 0),
			      "payer", srv_api_text(st, 1),
			      "payee", srv_api_text(st, 2),
			      "amount", money(srv_api_int(st, 3), cur),
			      "card_id", srv_api_hex(st, 5),
			      "created_ms", (json_int_t)srv_api_int(st, 8),
			      "created", rfc3339(srv_api_int(st, 8)));

	if (o && !srv_api_null(st, 6))
		json_object_set_new(o, "atc", json_integer(srv_api_int(st, 6)));
	if (o)
		json_object_set_new(o, "tx_hash", srv_api_hex(st, 7));
	return o;
}

/* ---- Pages */

enum key_kind { KEY_TEXT, KEY_INT, KEY_BLOB };

struct listing {
	const char *name;        /* the answer's array */
	/* ?1 the cursor's key (NULL: from the start), ?2 rows, ?3 the owner.
	 * "key > ?1 OR ?1 IS NULL", in that order: PostgreSQL takes ?1's
	 * type from its first use, and IS NULL gives it none. */
	const char *sql;
	json_t *(*row)(const struct srv_api_rows *st);
	enum key_kind key;       /* column 0, what a cursor carries */
};

static const struct listing accounts_listing = {
	"accounts", "SELECT " ACCOUNT_COLS " FROM accounts"
	" WHERE id > ?1 OR ?1 IS NULL ORDER BY id LIMIT ?2", account_row, KEY_TEXT,
};
static const struct listing cards_listing = {
	"cards", "SELECT " CARD_COLS " FROM cards"
	" WHERE card_id > ?1 OR ?1 IS NULL ORDER BY card_id LIMIT ?2", card_row, KEY_BLOB,
};
static const struct listing transfers_listing = {
	"transfers", "SELECT " TRANSFER_COLS " FROM transfers"
	" WHERE id < ?1 OR ?1 IS NULL ORDER BY id DESC LIMIT ?2", transfer_row, KEY_INT,
};
static const struct listing submissions_listing = {
	"submissions", "SELECT " SUBMISSION_COLS " FROM audit"
	" WHERE id < ?1 OR ?1 IS NULL ORDER BY id DESC LIMIT ?2", submission_row, KEY_INT,
};
/* An account's transfers: those to it, those from it no card made, and
 * its cards' (each by the index it has: schema 6, store.c). */
static const struct listing account_transfers_listing = {
	"transfers", "SELECT " TRANSFER_COLS " FROM transfers"
	" WHERE (payee = ?3 OR (payer = ?3 AND card_id IS NULL)"
	" OR (card_id IN (SELECT card_id FROM cards WHERE account = ?3) AND payer = ?3))"
	" AND (id < ?1 OR ?1 IS NULL) ORDER BY id DESC LIMIT ?2", transfer_row, KEY_INT,
};

/* A cursor is the hex of column 0's bytes (an integer's as its digits). */
static json_t *cursor_of(const struct srv_api_rows *st)
{
	return srv_api_hex(st, 0);
}

/* A cursor's key as ?1's parameter, in the column's type (key holds a
 * text's bytes); -1 if it is not one. */
static int cursor_param(struct srv_api_param *p, uint8_t key[CURSOR_KEY_MAX + 1],
			enum key_kind kind, const char *cursor)
{
	int n;
	char *end;
	long long id;

	memset(p, 0, sizeof(*p));
	if (!cursor)
		return 0; /* API_NULL */
	if (strlen(cursor) > 2 * CURSOR_KEY_MAX || strlen(cursor) % 2 ||
	    (n = sc_hex_decode(key, CURSOR_KEY_MAX, cursor)) <= 0)
		return -1;
	key[n] = '\0';
	if (kind == KEY_BLOB) {
		*p = (struct srv_api_param){.kind = API_BLOB, .p = key, .len = n};
		return 0;
	}
	if (kind == KEY_TEXT) {
		*p = (struct srv_api_param){.kind = API_TEXT, .p = key};
		return memchr(key, '\0', (size_t)n) ? -1 : 0;
	}
	id = strtoll((char *)key, &end, 10);
	*p = (struct srv_api_param){.kind = API_INT, .i = id};
	return *end || id < 1 ? -1 : 0;
}

/* A page of l: ?limit=1..1000 (50), ?after=CURSOR; before=ID is the
 * transfer id a 0.1 client gives instead. Answers {NAME: [...], "next":
 * CURSOR} (no "next" on the last page), with owner's fields besides. */
static void list_page(struct srv_db *db, struct evhttp_request *req, const char *query,
		      const struct listing *l, const char *owner, json_t *answer)
{
	struct evkeyvalq q;
	const char *v;
	long limit = PAGE_DEFAULT;
	char *end, *after = NULL;
	struct srv_api_rows st;
	struct srv_api_param p[SRV_API_PARAMS_MAX];
	uint8_t key[CURSOR_KEY_MAX + 1];
	json_t *rows = json_array(), *next = NULL;
	int bad_limit = 0, bad_cursor, more = 0, rc = 0;

	TAILQ_INIT(&q);
	if (query && evhttp_parse_query_str(query, &q) != 0)
		bad_limit = 1;
	if ((v = evhttp_find_header(&q, "limit"))) {
		limit = strtol(v, &end, 10);
		bad_limit |= *end || end == v;
	}
	if ((v = evhttp_find_header(&q, "after")))
		after = strdup(v);
	else if ((v = evhttp_find_header(&q, "before")) && l->key == KEY_INT &&
		 strlen(v) <= 24 && (after = malloc(2 * strlen(v) + 1)))
		sc_hex_encode(after, (const uint8_t *)v, strlen(v));
	evhttp_clear_headers(&q);
	if (bad_limit || limit < 1 || limit > PAGE_MAX) {
		free(after);
		json_decref(rows);
		json_decref(answer);
		return srv_http_send_error(req, 400, "limit must be 1..1000");
	}
	bad_cursor = cursor_param(&p[0], key, l->key, after) != 0;
	free(after);
	/* one more row than asked says there is a next page */
	p[1] = (struct srv_api_param){.kind = API_INT, .i = limit + 1};
	p[2] = (struct srv_api_param){.kind = owner ? API_TEXT : API_NULL, .p = owner};
	if (!bad_cursor && srv_api_query(&st, db, l->sql, p, owner ? 3 : 2) != 0) {
		json_decref(rows);
		json_decref(answer);
		return unreadable(req);
	}
	while (!bad_cursor && (rc = srv_api_next(&st)) == 1) {
		if ((long)json_array_size(rows) == limit) {
			more = 1;
			break;
		}
		json_decref(next);
		next = cursor_of(&st);
		json_array_append_new(rows, l->row(&st));
	}
	if (!more) {
		json_decref(next);
		next = NULL;
	}
	if (!bad_cursor)
		srv_api_done(&st);
	if (rc < 0) {
		json_decref(next);
		json_decref(rows);
		json_decref(answer);
		return unreadable(req);
	}
	if (bad_cursor) {
		json_decref(rows);
		json_decref(answer);
		return srv_http_send_error(req, 400, "after is not a cursor this listing gave");
	}
	json_object_set_new(answer, l->name, rows);
	if (next)
		json_object_set_new(answer, "next", next);
	srv_http_send_json(req, 200, answer);
}

/* ---- One resource */

/* The row of sql (?1 the id: text if idlen < 0, else a blob) as row()
 * makes it: 1, 0 none, -1 unreadable. */
static int one_row(struct srv_db *db, const char *sql, const void *id, int idlen,
		   json_t *(*row)(const struct srv_api_rows *st), json_t **out)
{
	struct srv_api_param p = {.kind = idlen < 0 ? API_TEXT : API_BLOB, .p = id, .len = idlen};
	struct srv_api_rows st;
	int rc;

	*out = NULL;
	if (srv_api_query(&st, db, sql, &p, 1) != 0)
		return -1;
	rc = srv_api_next(&st);
	if (rc == 1)
		*out = row(&st);
	srv_api_done(&st);
	return rc;
}

static void get_account(struct srv_db *db, struct evhttp_request *req, const char *id)
{
	json_t *o = NULL;
	int rc = sc_account_id_valid(id) != SC_OK ? 0 :
		 one_row(db, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1", id, -1,
			 account_row, &o);

	if (rc < 0)
		return unreadable(req);
	if (rc == 0)
		return srv_http_send_error(req, 404, "no such account");
	srv_http_send_json(req, 200, o);
}

static void get_account_transfers(struct srv_db *db, struct evhttp_request *req,
				  const char *id, const char *query)
{
	json_t *o = NULL;
	int rc = sc_account_id_valid(id) != SC_OK ? 0 :
		 one_row(db, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1", id, -1,
			 account_row, &o);

	json_decref(o);
	if (rc < 0)
		return unreadable(req);
	if (rc == 0)
		return srv_http_send_error(req, 404, "no such account");
	list_page(db, req, query, &account_transfers_listing, id,
		  json_pack("{s:s}", "account", id));
}

static void get_transfer(struct srv_db *db, struct evhttp_request *req, const char *idtext)
{
	struct srv_api_param p = {.kind = API_INT};
	struct srv_api_rows st;
	char *end;
	long long id = strtoll(idtext, &end, 10);
	json_t *o = NULL;

	if (*end || end == idtext || id < 1)
		return srv_http_send_error(req, 404, "no such transfer");
	p.i = id;
	if (srv_api_query(&st, db, "SELECT " TRANSFER_COLS ", r.counter, r.body, r.seal"
			  " FROM transfers LEFT JOIN receipts r ON r.transfer_id = id"
			  " WHERE id = ?1", &p, 1) != 0)
		return unreadable(req);
	if (srv_api_next(&st) == 1) {
		o = transfer_row(&st);
		if (o && !srv_api_null(&st, 9))
			json_object_set_new(o, "receipt", json_pack(
				"{s:I,s:o,s:o}", "counter", (json_int_t)srv_api_int(&st, 9),
				"body", srv_api_hex(&st, 10), "seal", srv_api_hex(&st, 11)));
	}
	srv_api_done(&st);
	if (!o)
		return srv_http_send_error(req, 404, "no such transfer");
	srv_http_send_json(req, 200, o);
}

static void get_card(struct srv_db *db, struct evhttp_request *req, const char *hex)
{
	uint8_t id[SC_CARD_ID_LEN];
	json_t *o = NULL;
	int rc = strlen(hex) == 2 * SC_CARD_ID_LEN &&
			 sc_hex_decode(id, sizeof(id), hex) == SC_CARD_ID_LEN
		 ? one_row(db, "SELECT " CARD_COLS " FROM cards WHERE card_id = ?1", id,
			   SC_CARD_ID_LEN, card_row, &o) : 0;

	if (rc < 0)
		return unreadable(req);
	if (rc == 0)
		return srv_http_send_error(req, 404, "no such card");
	srv_http_send_json(req, 200, o);
}

int srv_http_api(struct srv_db *db, struct evhttp_request *req, int nseg,
		 char seg[][SRV_HTTP_SEG_MAX], const char *query)
{
	if (nseg < 1 || strcmp(seg[0], "v1") != 0)
		return 0;
	if (nseg < 2)
		return 0;
	if (nseg == 2 && !strcmp(seg[1], "openapi.json"))
		send_body(req, 200, "application/json", srv_openapi_json, srv_openapi_json_len);
	else if (nseg == 2 && !strcmp(seg[1], "accounts"))
		list_page(db, req, query, &accounts_listing, NULL, json_object());
	else if (nseg == 2 && !strcmp(seg[1], "cards"))
		list_page(db, req, query, &cards_listing, NULL, json_object());
	else if (nseg == 2 && !strcmp(seg[1], "transfers"))
		list_page(db, req, query, &transfers_listing, NULL, json_object());
	else if (nseg == 2 && !strcmp(seg[1], "submissions"))
		list_page(db, req, query, &submissions_listing, NULL, json_object());
	else if (nseg == 3 && !strcmp(seg[1], "accounts"))
		get_account(db, req, seg[2]);
	else if (nseg == 4 && !strcmp(seg[1], "accounts") && !strcmp(seg[3], "transfers"))
		get_account_transfers(db, req, seg[2], query);
	else if (nseg == 3 && !strcmp(seg[1], "transfers"))
		get_transfer(db, req, seg[2]);
	else if (nseg == 3 && !strcmp(seg[1], "cards"))
		get_card(db, req, seg[2]);
	else
		return 0;
	return 1;
}
