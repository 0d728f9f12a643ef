/* The /v1 API's rows from either ledger (api_rows.h). PostgreSQL's come
 * in text form: a bytea as \x and its hex, which is what the API shows. */
#include <stdlib.h>
#include <string.h>
#include "common/hex.h"
#include "api_rows.h"
#include "pg_query.h"

#define BYTEA_OID 17                      /* pg_type.h's BYTEAOID */
#define HEX_BYTES_MAX 128

static int query_pg(struct srv_api_rows *r, struct srv_db *db, const char *sql,
		    const struct srv_api_param *p, int n)
{
	struct srv_pg_params pp = {0};

	for (int i = 0; i < n; i++) {
		if (p[i].kind == API_INT)
			srv_pg_int(&pp, p[i].i);
		else if (p[i].kind == API_TEXT)
			srv_pg_text(&pp, p[i].p);
		else if (p[i].kind == API_BLOB)
			srv_pg_blob(&pp, p[i].p, (size_t)p[i].len);
		else
			srv_pg_null(&pp);
	}
	if (!(r->res = srv_pg_query(db->pg, sql, &pp)))
		return -1;
	r->nrows = PQntuples(r->res);
	r->row = -1;
	return 0;
}

int srv_api_query(struct srv_api_rows *r, struct srv_db *db, const char *sql,
		  const struct srv_api_param *p, int n)
{
	memset(r, 0, sizeof(*r));
	if (db->pg)
		return query_pg(r, db, sql, p, n);
	if (sqlite3_prepare_v2(db->db, sql, -1, &r->st, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < n; i++) {
		if (p[i].kind == API_INT)
			sqlite3_bind_int64(r->st, i + 1, p[i].i);
		else if (p[i].kind == API_TEXT)
			sqlite3_bind_text(r->st, i + 1, p[i].p, -1, SQLITE_STATIC);
		else if (p[i].kind == API_BLOB)
			sqlite3_bind_blob(r->st, i + 1, p[i].p, p[i].len, SQLITE_STATIC);
		else
			sqlite3_bind_null(r->st, i + 1);
	}
	return 0;
}

int srv_api_next(struct srv_api_rows *r)
{
	int rc;

	if (r->res)
		return ++r->row < r->nrows ? 1 : 0;
	rc = sqlite3_step(r->st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void srv_api_done(struct srv_api_rows *r)
{
	PQclear(r->res);
	sqlite3_finalize(r->st); /* NULL: nothing */
	memset(r, 0, sizeof(*r));
}

int srv_api_null(const struct srv_api_rows *r, int c)
{
	if (r->res)
		return PQgetisnull(r->res, r->row, c);
	return sqlite3_column_type(r->st, c) == SQLITE_NULL;
}

int64_t srv_api_int(const struct srv_api_rows *r, int c)
{
	if (r->res)
		return srv_pg_int64(r->res, r->row, c);
	return sqlite3_column_int64(r->st, c);
}

const char *srv_api_text(const struct srv_api_rows *r, int c)
{
	if (r->res)
		return PQgetisnull(r->res, r->row, c) ? NULL : PQgetvalue(r->res, r->row, c);
	return (const char *)sqlite3_column_text(r->st, c);
}

json_t *srv_api_hex(const struct srv_api_rows *r, int c)
{
	char hex[2 * HEX_BYTES_MAX + 1];
	const void *p;
	int n;

	if (srv_api_null(r, c))
		return json_null();
	if (r->res && PQftype(r->res, c) == BYTEA_OID) {
		const char *v = PQgetvalue(r->res, r->row, c);
		size_t len = strlen(v);

		/* "\x" and the bytes' hex already */
		if (len < 4 || len > 2 + 2 * HEX_BYTES_MAX || v[0] != '\\' || v[1] != 'x')
			return json_null();
		return json_string(v + 2);
	}
	if (r->res) {
		p = PQgetvalue(r->res, r->row, c);
		n = PQgetlength(r->res, r->row, c);
	} else if (sqlite3_column_type(r->st, c) == SQLITE_BLOB) {
		p = sqlite3_column_blob(r->st, c);
		n = sqlite3_column_bytes(r->st, c);
	} else {
		p = sqlite3_column_text(r->st, c);
		n = sqlite3_column_bytes(r->st, c);
	}
	if (!p || n <= 0 || n > HEX_BYTES_MAX)
		return json_null();
	sc_hex_encode(hex, p, (size_t)n);
	return json_string(hex);
}
