/* The /v1 API's rows from either ledger (api_rows.c): one query with its
 * parameters, then its rows one by one, each column read the same way
 * whether SQLite or PostgreSQL holds it. For http_api.c. */
#ifndef SC_SERVER_API_ROWS_H
#define SC_SERVER_API_ROWS_H

#include <jansson.h>
#include <libpq-fe.h>
#include "server.h"

#define SRV_API_PARAMS_MAX 3

struct srv_api_param {
	enum { API_NULL, API_INT, API_TEXT, API_BLOB } kind;
	int64_t i;
	const void *p;                    /* text (NUL-terminated) or blob; the caller's */
	int len;                          /* a blob's bytes */
};

struct srv_api_rows {
	sqlite3_stmt *st;                 /* SQLite: the statement, stepped row by row */
	PGresult *res;                    /* PostgreSQL: every row at once, text form */
	int row, nrows;                   /* PostgreSQL: the row read now, and how many */
};

/* Runs sql (SQLite's ?N placeholders) on db with p[0..n-1] as ?1..?n.
 * 0, or -1 (the ledger cannot be read; nothing to free). */
int srv_api_query(struct srv_api_rows *r, struct srv_db *db, const char *sql,
		  const struct srv_api_param *p, int n);
/* The next row: 1, 0 none left, -1 the ledger failed. */
int srv_api_next(struct srv_api_rows *r);
void srv_api_done(struct srv_api_rows *r);
/* Column c of the row read now. */
int srv_api_null(const struct srv_api_rows *r, int c);
int64_t srv_api_int(const struct srv_api_rows *r, int c);
const char *srv_api_text(const struct srv_api_rows *r, int c);
/* The hex of column c's bytes (a blob's, or a text's or a number's
 * digits); JSON null if NULL, empty or over 128 bytes. */
json_t *srv_api_hex(const struct srv_api_rows *r, int c);

#endif
