/* A PostgreSQL batch's writes as rows (pg_rows.h). The order of the
 * sequential writes is kept where it shows: a card's failures and
 * counter take their last values and its blocking sticks (what the
 * UPDATEs one after another left), a payer's debits and a message's
 * wrong passwords add up, and every other kind is an INSERT whose rows
 * go in the order they came (audit ids, transfer ids as reserved).
 * Unique keys stay the database's to enforce: a (card, ATC) twice fails
 * the one statement as it failed one of two. */
#include <stdlib.h>
#include <string.h>
#include "pg_rows.h"

#define SQL_MSGFAIL_ROWS \
	"INSERT INTO message_failures (signed_hash, card_id, failures)" \
	" SELECT h, c, n FROM unnest($1::bytea[], $2::bytea[], $3::bigint[]) AS u(h, c, n)" \
	" ON CONFLICT (signed_hash) DO UPDATE SET failures = message_failures.failures + EXCLUDED.failures"
#define SQL_CARD_ROWS \
	"UPDATE cards SET jp_failures = u.jp," \
	" last_atc = CASE WHEN u.accepted = 1 THEN u.atc ELSE cards.last_atc END," \
	" status = CASE WHEN u.blocked = 1 THEN 2 ELSE cards.status END" \
	" FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])" \
	" AS u(id, jp, atc, accepted, blocked) WHERE cards.card_id = u.id"
#define SQL_DEBIT_ROWS \
	"UPDATE accounts SET balance = accounts.balance - u.amount" \
	" FROM unnest($1::text[], $2::bigint[]) AS u(id, amount) WHERE accounts.id = u.id"

/* The statements of the kinds kept as columns, by enum srv_pg_rows_kind,
 * with their columns' element types. */
static const struct {
	const char *sql;
	int n;
	uint32_t oid[SRV_PG_ROWS_COLS];
} kinds[PG_ROWS_KINDS] = {
	[PG_ROWS_CHALLENGE_ISSUE] = {
		"INSERT INTO challenges (challenge, terminal_id, expires_ms)"
		" SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[])",
		3, {SRV_PG_OID_BYTEA, SRV_PG_OID_TEXT, SRV_PG_OID_INT8}},
	[PG_ROWS_CHALLENGE_USE] = {
		/* IN (SELECT unnest(…)): store_pg.c's SQL_ACCOUNTS says why */
		"UPDATE challenges SET used = 1 WHERE challenge IN (SELECT unnest($1::bytea[]))",
		1, {SRV_PG_OID_BYTEA}},
	[PG_ROWS_TRANSFER] = {
		"INSERT INTO transfers (payer, payee, amount, currency, card_id, atc, tx_hash,"
		" submission_hash, created_ms, signed_hash, id)"
		" SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[],"
		" $5::bytea[], $6::bigint[], $7::bytea[], $8::bytea[], $9::bigint[], $10::bytea[],"
		" $11::bigint[])",
		11, {SRV_PG_OID_TEXT, SRV_PG_OID_TEXT, SRV_PG_OID_INT8, SRV_PG_OID_INT8,
		     SRV_PG_OID_BYTEA, SRV_PG_OID_INT8, SRV_PG_OID_BYTEA, SRV_PG_OID_BYTEA,
		     SRV_PG_OID_INT8, SRV_PG_OID_BYTEA, SRV_PG_OID_INT8}},
	[PG_ROWS_DECLINE] = {
		"INSERT INTO declines (card_id, atc, signed_hash, submission_hash, code, result,"
		" counter) SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bytea[],"
		" $4::bytea[], $5::bigint[], $6::bytea[], $7::bigint[])",
		7, {SRV_PG_OID_BYTEA, SRV_PG_OID_INT8, SRV_PG_OID_BYTEA, SRV_PG_OID_BYTEA,
		    SRV_PG_OID_INT8, SRV_PG_OID_BYTEA, SRV_PG_OID_INT8}},
	[PG_ROWS_RECEIPT] = {
		"INSERT INTO receipts (transfer_id, counter, body, seal)"
		" SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])",
		4, {SRV_PG_OID_INT8, SRV_PG_OID_INT8, SRV_PG_OID_BYTEA, SRV_PG_OID_BYTEA}},
	[PG_ROWS_AUDIT] = {
		"INSERT INTO audit (at_ms, peer, raw, result, detail)"
		" SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bigint[],"
		" $5::text[])",
		5, {SRV_PG_OID_INT8, SRV_PG_OID_TEXT, SRV_PG_OID_BYTEA, SRV_PG_OID_INT8, SRV_PG_OID_TEXT}},
};

/* The header's size: ndim, has-null, element oid, one dimension and its
 * lower bound, each a 4-byte integer in network order. */
#define ARRAY_HEADER 20

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

int srv_pg_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (!(q = realloc(*p, n * elem)))
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

void srv_pg_array_put(struct srv_pg_array *a, const void *v, size_t len)
{
	if (a->failed || len > INT32_MAX ||
	    srv_pg_grow((void **)&a->b, &a->cap, (a->len ? a->len : ARRAY_HEADER) + 4 + len, 1) != 0) {
		a->failed = 1;
		return;
	}
	if (!a->len)
		a->len = ARRAY_HEADER;
	put32(a->b + a->len, (uint32_t)len);
	if (len)
		memcpy(a->b + a->len + 4, v, len);
	a->len += 4 + len;
	a->n++;
}

void srv_pg_array_int(struct srv_pg_array *a, int64_t v)
{
	uint8_t b[8];

	put32(b, (uint32_t)((uint64_t)v >> 32));
	put32(b + 4, (uint32_t)v);
	srv_pg_array_put(a, b, sizeof(b));
}

static void array_text(struct srv_pg_array *a, const char *s)
{
	srv_pg_array_put(a, s, strlen(s));
}

/* a as a parameter of p: its header now that its count is known. */
static void array_param(struct srv_pg_params *p, struct srv_pg_array *a, uint32_t oid)
{
	put32(a->b, 1);
	put32(a->b + 4, 0);
	put32(a->b + 8, oid);
	put32(a->b + 12, (uint32_t)a->n);
	put32(a->b + 16, 1);
	srv_pg_blob(p, a->b, a->len);
}

static void array_reset(struct srv_pg_array *a)
{
	a->len = 0;
	a->n = 0;
	a->failed = 0;
}

static struct srv_pg_array *cols(struct srv_pg_rows *r, enum srv_pg_rows_kind k)
{
	return r->col[k];
}

/* Whether the last row added to kind k is whole in every column. */
static int row_done(struct srv_pg_rows *r, enum srv_pg_rows_kind k)
{
	for (int c = 0; c < kinds[k].n; c++)
		if (r->col[k][c].failed || r->col[k][c].n != r->col[k][0].n)
			r->failed = 1;
	return r->failed ? -1 : 0;
}

int srv_pg_rows_message_failure(struct srv_pg_rows *r, const uint8_t *signed_hash,
				const uint8_t *card_id)
{
	struct srv_pg_sum *m;

	for (size_t i = 0; i < r->n_msgfails; i++)
		if (!memcmp(r->msgfails[i].signed_hash, signed_hash, SC_HASH_LEN)) {
			r->msgfails[i].sum++;
			return 0;
		}
	if (srv_pg_grow((void **)&r->msgfails, &r->cap_msgfails, r->n_msgfails + 1,
		 sizeof(*r->msgfails)) != 0)
		return r->failed = -1;
	m = &r->msgfails[r->n_msgfails++];
	memset(m, 0, sizeof(*m));
	memcpy(m->signed_hash, signed_hash, SC_HASH_LEN);
	memcpy(m->card_id, card_id, SC_CARD_ID_LEN);
	m->sum = 1;
	return 0;
}

/* The batch's write of card id, added if new with nothing changed. */
static struct srv_pg_card_write *card_of(struct srv_pg_rows *r, const uint8_t *id)
{
	struct srv_pg_card_write *w;

	for (size_t i = 0; i < r->n_cards; i++)
		if (!memcmp(r->cards[i].id, id, SC_CARD_ID_LEN))
			return &r->cards[i];
	if (srv_pg_grow((void **)&r->cards, &r->cap_cards, r->n_cards + 1, sizeof(*r->cards)) != 0) {
		r->failed = 1;
		return NULL;
	}
	w = &r->cards[r->n_cards++];
	memset(w, 0, sizeof(*w));
	memcpy(w->id, id, SC_CARD_ID_LEN);
	return w;
}

int srv_pg_rows_card_failure(struct srv_pg_rows *r, const uint8_t *card_id, int64_t failures,
			     int blocked)
{
	struct srv_pg_card_write *w = card_of(r, card_id);

	if (!w)
		return -1;
	w->jp_failures = failures;
	w->blocked |= blocked != 0;
	return 0;
}

int srv_pg_rows_card_accept(struct srv_pg_rows *r, const uint8_t *card_id, int64_t atc)
{
	struct srv_pg_card_write *w = card_of(r, card_id);

	if (!w)
		return -1;
	w->jp_failures = 0;
	w->last_atc = atc;
	w->accepted = 1;
	return 0;
}

int srv_pg_rows_challenge_use(struct srv_pg_rows *r, const uint8_t *challenge)
{
	srv_pg_array_put(&cols(r, PG_ROWS_CHALLENGE_USE)[0], challenge, SC_CHALLENGE_LEN);
	return row_done(r, PG_ROWS_CHALLENGE_USE);
}

int srv_pg_rows_debit(struct srv_pg_rows *r, const char *payer, int64_t amount)
{
	struct srv_pg_sum *d;

	for (size_t i = 0; i < r->n_debits; i++)
		if (!strcmp(r->debits[i].account, payer)) {
			if (amount > INT64_MAX - r->debits[i].sum)
				return r->failed = -1; /* no balance could take it either */
			r->debits[i].sum += amount;
			return 0;
		}
	if (strlen(payer) >= sizeof(d->account) ||
	    srv_pg_grow((void **)&r->debits, &r->cap_debits, r->n_debits + 1, sizeof(*r->debits)) != 0)
		return r->failed = -1;
	d = &r->debits[r->n_debits++];
	memset(d, 0, sizeof(*d));
	memcpy(d->account, payer, strlen(payer) + 1);
	d->sum = amount;
	return 0;
}

int srv_pg_rows_transfer(struct srv_pg_rows *r, const char *payer, const char *payee,
			 int64_t amount, uint16_t currency, const struct srv_card_ref *card,
			 int64_t created_ms, int64_t id)
{
	struct srv_pg_array *c = cols(r, PG_ROWS_TRANSFER);

	array_text(&c[0], payer);
	array_text(&c[1], payee);
	srv_pg_array_int(&c[2], amount);
	srv_pg_array_int(&c[3], currency);
	srv_pg_array_put(&c[4], card->card_id, SC_CARD_ID_LEN);
	srv_pg_array_int(&c[5], card->atc);
	srv_pg_array_put(&c[6], card->tx_hash, SC_HASH_LEN);
	srv_pg_array_put(&c[7], card->sub_hash, SC_HASH_LEN);
	srv_pg_array_int(&c[8], created_ms);
	srv_pg_array_put(&c[9], card->signed_hash, SC_HASH_LEN);
	srv_pg_array_int(&c[10], id);
	return row_done(r, PG_ROWS_TRANSFER);
}

int srv_pg_rows_decline(struct srv_pg_rows *r, const struct srv_card_ref *card, int code,
			const uint8_t *result, size_t result_len, int64_t counter)
{
	struct srv_pg_array *c = cols(r, PG_ROWS_DECLINE);

	srv_pg_array_put(&c[0], card->card_id, SC_CARD_ID_LEN);
	srv_pg_array_int(&c[1], card->atc);
	srv_pg_array_put(&c[2], card->signed_hash, SC_HASH_LEN);
	srv_pg_array_put(&c[3], card->sub_hash, SC_HASH_LEN);
	srv_pg_array_int(&c[4], code);
	srv_pg_array_put(&c[5], result, result_len);
	srv_pg_array_int(&c[6], counter);
	return row_done(r, PG_ROWS_DECLINE);
}

int srv_pg_rows_receipt(struct srv_pg_rows *r, int64_t transfer_id, int64_t counter,
			const uint8_t *body, size_t body_len, const uint8_t *seal,
			size_t seal_len)
{
	struct srv_pg_array *c = cols(r, PG_ROWS_RECEIPT);

	srv_pg_array_int(&c[0], transfer_id);
	srv_pg_array_int(&c[1], counter);
	srv_pg_array_put(&c[2], body, body_len);
	srv_pg_array_put(&c[3], seal, seal_len);
	return row_done(r, PG_ROWS_RECEIPT);
}

int srv_pg_rows_audit(struct srv_pg_rows *r, int64_t at_ms, const char *peer,
		      const uint8_t *raw, size_t raw_len, int code, const char *detail)
{
	struct srv_pg_array *c = cols(r, PG_ROWS_AUDIT);

	srv_pg_array_int(&c[0], at_ms);
	array_text(&c[1], peer);
	srv_pg_array_put(&c[2], raw, raw_len);
	srv_pg_array_int(&c[3], code);
	array_text(&c[4], detail);
	return row_done(r, PG_ROWS_AUDIT);
}

int srv_pg_rows_challenge_issue(struct srv_pg_rows *r, const uint8_t *challenge,
				const char *terminal_id, int64_t expires_ms)
{
	struct srv_pg_array *c = cols(r, PG_ROWS_CHALLENGE_ISSUE);

	srv_pg_array_put(&c[0], challenge, SC_CHALLENGE_LEN);
	array_text(&c[1], terminal_id);
	srv_pg_array_int(&c[2], expires_ms);
	return row_done(r, PG_ROWS_CHALLENGE_ISSUE);
}

int srv_pg_array_params(struct srv_pg_params *p, struct srv_pg_array *a, const uint32_t *oid, int n)
{
	memset(p, 0, sizeof(*p));
	for (int c = 0; c < n; c++)
		if (a[c].failed || !a[c].n)
			return -1;
	for (int c = 0; c < n; c++)
		array_param(p, &a[c], oid[c]);
	return 0;
}

/* Sends kind k's statement over its columns, if it has rows. */
static int send_kind(struct srv_pg_rows *r, enum srv_pg_rows_kind k, srv_pg_rows_send_fn send,
		     void *ctx)
{
	struct srv_pg_params p;

	if (!r->col[k][0].n)
		return 0;
	if (srv_pg_array_params(&p, r->col[k], kinds[k].oid, kinds[k].n) != 0)
		return -1;
	return send(ctx, kinds[k].sql, &p);
}

/* The summed and last-valued kinds as columns of a scratch set, sent. */
static int send_folded(struct srv_pg_rows *r, srv_pg_rows_send_fn send, void *ctx)
{
	static const uint32_t msgfail_oid[] = {SRV_PG_OID_BYTEA, SRV_PG_OID_BYTEA, SRV_PG_OID_INT8},
			      card_oid[] = {SRV_PG_OID_BYTEA, SRV_PG_OID_INT8, SRV_PG_OID_INT8,
					    SRV_PG_OID_INT8, SRV_PG_OID_INT8},
			      debit_oid[] = {SRV_PG_OID_TEXT, SRV_PG_OID_INT8};
	struct srv_pg_array a[5] = {{0}};
	struct srv_pg_params p;
	int rc = 0;

	if (r->n_msgfails) {
		for (size_t i = 0; i < r->n_msgfails; i++) {
			srv_pg_array_put(&a[0], r->msgfails[i].signed_hash, SC_HASH_LEN);
			srv_pg_array_put(&a[1], r->msgfails[i].card_id, SC_CARD_ID_LEN);
			srv_pg_array_int(&a[2], r->msgfails[i].sum);
		}
		rc = srv_pg_array_params(&p, a, msgfail_oid, 3) != 0 ? -1 : send(ctx, SQL_MSGFAIL_ROWS, &p);
		for (int c = 0; c < 5; c++)
			array_reset(&a[c]);
	}
	if (rc == 0 && r->n_cards) {
		for (size_t i = 0; i < r->n_cards; i++) {
			srv_pg_array_put(&a[0], r->cards[i].id, SC_CARD_ID_LEN);
			srv_pg_array_int(&a[1], r->cards[i].jp_failures);
			srv_pg_array_int(&a[2], r->cards[i].last_atc);
			srv_pg_array_int(&a[3], r->cards[i].accepted);
			srv_pg_array_int(&a[4], r->cards[i].blocked);
		}
		rc = srv_pg_array_params(&p, a, card_oid, 5) != 0 ? -1 : send(ctx, SQL_CARD_ROWS, &p);
		for (int c = 0; c < 5; c++)
			array_reset(&a[c]);
	}
	if (rc == 0 && r->n_debits) {
		for (size_t i = 0; i < r->n_debits; i++) {
			array_text(&a[0], r->debits[i].account);
			srv_pg_array_int(&a[1], r->debits[i].sum);
		}
		rc = srv_pg_array_params(&p, a, debit_oid, 2) != 0 ? -1 : send(ctx, SQL_DEBIT_ROWS, &p);
	}
	for (int c = 0; c < 5; c++)
		free(a[c].b);
	return rc;
}

int srv_pg_rows_flush(struct srv_pg_rows *r, srv_pg_rows_send_fn send, void *ctx)
{
	int rc = r->failed ? -1 : 0;

	/* A decision's order: challenges issued, the message's and card's
	 * failures, the card's counter, the challenge spent, the debit, the
	 * transfer; then the outcomes (a receipt after its transfer), the
	 * audit rows. */
	if (rc == 0)
		rc = send_kind(r, PG_ROWS_CHALLENGE_ISSUE, send, ctx);
	if (rc == 0)
		rc = send_folded(r, send, ctx);
	if (rc == 0)
		rc = send_kind(r, PG_ROWS_CHALLENGE_USE, send, ctx);
	for (int k = PG_ROWS_TRANSFER; rc == 0 && k <= PG_ROWS_AUDIT; k++)
		rc = send_kind(r, (enum srv_pg_rows_kind)k, send, ctx);
	srv_pg_rows_clear(r);
	return rc;
}

void srv_pg_rows_clear(struct srv_pg_rows *r)
{
	for (int k = 0; k < PG_ROWS_KINDS; k++)
		for (int c = 0; c < SRV_PG_ROWS_COLS; c++)
			array_reset(&r->col[k][c]);
	r->n_cards = r->n_debits = r->n_msgfails = 0;
	r->failed = 0;
}

void srv_pg_rows_free(struct srv_pg_rows *r)
{
	for (int k = 0; k < PG_ROWS_KINDS; k++)
		for (int c = 0; c < SRV_PG_ROWS_COLS; c++)
			free(r->col[k][c].b);
	free(r->cards);
	free(r->debits);
	free(r->msgfails);
	memset(r, 0, sizeof(*r));
}
