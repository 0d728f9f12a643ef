/* The ledger's statements on PostgreSQL (pg_query.h): one SQL text for
 * both databases where the dialects agree, the placeholders rewritten. */
#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/hex.h"
#include "pg_query.h"

static void add(struct srv_pg_params *p, const char *v, int len, int fmt)
{
	if (p->n >= SRV_PG_PARAMS_MAX)
		return; /* srv_pg_run refuses a statement whose $n has no value */
	p->val[p->n] = v;
	p->len[p->n] = len;
	p->fmt[p->n] = fmt;
	p->n++;
}

void srv_pg_text(struct srv_pg_params *p, const char *s)
{
	add(p, s, 0, 0);
}

void srv_pg_int(struct srv_pg_params *p, int64_t v)
{
	if (p->n >= SRV_PG_PARAMS_MAX)
		return;
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	add(p, p->num[p->n], 0, 0);
}

void srv_pg_blob(struct srv_pg_params *p, const void *b, size_t len)
{
	add(p, b, (int)len, 1);
}

void srv_pg_null(struct srv_pg_params *p)
{
	add(p, NULL, 0, 0);
}

int srv_pg_sql(char *out, size_t cap, const char *sql)
{
	static const char immediate[] = "BEGIN IMMEDIATE";
	size_t o = 0;

	if (!strcmp(sql, immediate))
		sql = "BEGIN";
	for (const char *s = sql; *s; s++) {
		if (o + 2 > cap)
			return -1;
		out[o++] = *s == '?' && isdigit((unsigned char)s[1]) ? '$' : *s;
	}
	out[o] = '\0';
	return 0;
}

int srv_pg_idle_lost(PGconn *c)
{
	struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};

	if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE || pfd.fd < 0)
		return 0;
	/* Nothing is due on an idle connection: what comes is the server's
	 * goodbye (its FATAL notice, then the end, which a second read sees),
	 * or a notice, which PQconsumeInput takes in stride. Bounded: a peer
	 * that keeps talking is read again by the next statement. */
	for (int i = 0; i < 4 && PQstatus(c) == CONNECTION_OK && poll(&pfd, 1, 0) == 1; i++)
		PQconsumeInput(c);
	if (PQstatus(c) != CONNECTION_BAD)
		return 0;
	log_warnx("postgresql: the connection was lost while idle; connecting again");
	return 1;
}

PGresult *srv_pg_query(PGconn *c, const char *sql, const struct srv_pg_params *p)
{
	char text[SRV_PG_SQL_MAX];
	PGresult *r;
	ExecStatusType st;

	if (srv_pg_sql(text, sizeof(text), sql) != 0) {
		log_warnx("postgresql: a statement longer than %d bytes", SRV_PG_SQL_MAX);
		return NULL;
	}
	/* A store's pipeline that a failure left open (store_pg.c leaves it
	 * once read; a connection reset may not): back to one statement at a
	 * time, or a new connection. */
	if (PQpipelineStatus(c) != PQ_PIPELINE_OFF && PQexitPipelineMode(c) != 1) {
		PQreset(c);
		PQexitPipelineMode(c); /* a new connection has nothing queued */
	}
	/* Lost before this statement, and not found again then (no primary
	 * while a failover was under way): the statement that lost it failed
	 * to its caller, as below, so this one starts on a new connection to
	 * whichever host takes writes now, as it would have had that reset
	 * found one. Without it the connection stayed lost for good: a lost
	 * one is not idle, so the read below was never asked again. */
	if (srv_pg_idle_lost(c) || PQstatus(c) == CONNECTION_BAD) {
		PQreset(c);
		PQexitPipelineMode(c);
	}
	for (int again = 1;; again = 0) {
		int idle = PQtransactionStatus(c) == PQTRANS_IDLE;

		r = PQexecParams(c, text, p ? p->n : 0, NULL, p ? p->val : NULL,
				 p ? p->len : NULL, p ? p->fmt : NULL, 0);
		st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			return r;
		log_warnx("postgresql: %s", PQerrorMessage(c));
		PQclear(r);
		if (PQstatus(c) != CONNECTION_BAD)
			return NULL;
		/* The server went away (a restart, a failover): connect again,
		 * to whichever host of the conninfo takes writes now. A read
		 * outside a transaction is asked again; anything else fails,
		 * since what the lost connection did is not known here. */
		PQreset(c);
		PQexitPipelineMode(c);
		if (!again || !idle || strncmp(text, "SELECT", 6) || PQstatus(c) != CONNECTION_OK)
			return NULL;
	}
}

PGresult *srv_pg_run(PGconn *c, enum srv_stmt id, const char *suffix,
		     const struct srv_pg_params *p)
{
	char sql[SRV_PG_SQL_MAX];

	if (snprintf(sql, sizeof(sql), "%s%s", srv_stmt_text(id), suffix ? suffix : "") >=
	    (int)sizeof(sql))
		return NULL;
	return srv_pg_query(c, sql, p);
}

int srv_pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t cap)
{
	const char *v;
	size_t n;

	if (PQgetisnull(r, row, col))
		return -1;
	v = PQgetvalue(r, row, col);
	if (v[0] != '\\' || v[1] != 'x')
		return -1;
	n = strlen(v + 2);
	if (n % 2 || n / 2 > cap || sc_hex_decode(out, n / 2, v + 2) != (int)(n / 2))
		return -1;
	return (int)(n / 2);
}

int64_t srv_pg_int64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void srv_pg_card_row(const PGresult *r, int row, int col, const uint8_t id[SC_CARD_ID_LEN],
		     struct srv_card *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, SC_CARD_ID_LEN);
	snprintf(c->account, sizeof(c->account), "%s", PQgetvalue(r, row, col));
	c->has_pubkey = srv_pg_bytes(r, row, col + 1, c->pubkey, sizeof(c->pubkey)) ==
			SC_PUBKEY_LEN;
	c->status = (int)srv_pg_int64(r, row, col + 2);
	c->last_atc = srv_pg_int64(r, row, col + 3);
	c->jp_failures = (int)srv_pg_int64(r, row, col + 4);
}

void srv_pg_account_row(const PGresult *r, int row, int col, const char *id,
			struct srv_account *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->currency = (uint16_t)srv_pg_int64(r, row, col);
	a->balance = srv_pg_int64(r, row, col + 1);
	a->flags = (int)srv_pg_int64(r, row, col + 2);
}

int srv_pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = srv_pg_query(c, sql, NULL);

	PQclear(r);
	return r ? 0 : -1;
}

const char *srv_pg_errmsg(PGconn *c)
{
	return PQerrorMessage(c);
}

int srv_pg_change(PGconn *c, enum srv_stmt id, const struct srv_pg_params *p)
{
	PGresult *r = srv_pg_run(c, id, NULL, p);
	int n;

	if (!r)
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

int srv_pg_row(PGconn *c, enum srv_stmt id, const char *suffix, const struct srv_pg_params *p,
	       PGresult **row)
{
	PGresult *r = srv_pg_run(c, id, suffix, p);

	*row = NULL;
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	*row = r;
	return 1;
}

void srv_pg_transfer_params(struct srv_pg_params *p, const char *payer, const char *payee,
			    uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			    int64_t now_ms)
{
	srv_pg_text(p, payer);
	srv_pg_text(p, payee);
	srv_pg_int(p, (int64_t)amount);
	srv_pg_int(p, currency);
	if (card) {
		srv_pg_blob(p, card->card_id, SC_CARD_ID_LEN);
		srv_pg_int(p, card->atc);
		srv_pg_blob(p, card->tx_hash, SC_HASH_LEN);
		srv_pg_blob(p, card->sub_hash, SC_HASH_LEN);
	} else {
		for (int i = 0; i < 4; i++)
			srv_pg_null(p);
	}
	srv_pg_int(p, now_ms);
	if (card)
		srv_pg_blob(p, card->signed_hash, SC_HASH_LEN);
	else
		srv_pg_null(p);
}

int64_t srv_pg_transfer_insert(PGconn *c, const char *payer, const char *payee,
			       uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			       int64_t now_ms)
{
	struct srv_pg_params p = {0};
	PGresult *r;
	int64_t id = -1;

	srv_pg_transfer_params(&p, payer, payee, amount, currency, card, now_ms);
	if (srv_pg_row(c, ST_TRANSFER_INSERT, " RETURNING id", &p, &r) == 1)
		id = srv_pg_int64(r, 0, 0);
	PQclear(r);
	return id;
}
