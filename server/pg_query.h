/* The ledger's statements on PostgreSQL: store.c's SQL, whose ?N
 * placeholders become $N, run with parameters in libpq's terms, and the
 * rows read back (text form). For the files that talk libpq: ledger_pg.c,
 * store_pg.c, sealcheck.c. */
#ifndef SC_SERVER_PG_QUERY_H
#define SC_SERVER_PG_QUERY_H

#include <libpq-fe.h>
#include "server.h"

#define SRV_PG_PARAMS_MAX 12
#define SRV_PG_SQL_MAX 1024

/* A statement's parameters, in their order ($1 first). Blobs go binary,
 * numbers and text as text; the values must outlive the call. */
struct srv_pg_params {
	int n;
	const char *val[SRV_PG_PARAMS_MAX];
	int len[SRV_PG_PARAMS_MAX];
	int fmt[SRV_PG_PARAMS_MAX];
	char num[SRV_PG_PARAMS_MAX][24];
};
void srv_pg_text(struct srv_pg_params *p, const char *s);
void srv_pg_int(struct srv_pg_params *p, int64_t v);
void srv_pg_blob(struct srv_pg_params *p, const void *b, size_t len);
void srv_pg_null(struct srv_pg_params *p);

/* 1 if connection c, idle between transactions, is gone: a PostgreSQL
 * that went away (a restart, a primary killed) closes its sessions'
 * sockets, so an idle connection's socket turns readable; what came is
 * read without waiting, and libpq marks the connection bad if it was the
 * end. The caller connects again now (to whichever host of the conninfo
 * takes writes) instead of letting the next statement fail on it: so the
 * first request after a failover pays, rather than being told RETRY_LATER
 * by a server that had not yet used its connection since the old primary
 * went. 0 if it is there, or not idle, or already known bad. */
int srv_pg_idle_lost(PGconn *c);

/* sql with SQLite's ?N placeholders as PostgreSQL's $N, and SQLite's
 * "BEGIN IMMEDIATE" (take the write lock now) as "BEGIN": PostgreSQL
 * locks rows as they are written. 0, or -1 if out (cap) is too small. */
int srv_pg_sql(char *out, size_t cap, const char *sql);

/* Runs statement id (store.c's SQL, then suffix if not NULL) with p:
 * its result if it succeeded (PQclear it), else NULL after logging. */
PGresult *srv_pg_run(PGconn *c, enum srv_stmt id, const char *suffix,
		     const struct srv_pg_params *p);
/* The same for SQL given (?N or $N placeholders). */
PGresult *srv_pg_query(PGconn *c, const char *sql, const struct srv_pg_params *p);

/* Runs statement id: the rows it changed, or -1. */
int srv_pg_change(PGconn *c, enum srv_stmt id, const struct srv_pg_params *p);
/* Runs query id: 1 with its rows in *row (PQclear it), 0 if it found
 * none, -1 on error. */
int srv_pg_row(PGconn *c, enum srv_stmt id, const char *suffix, const struct srv_pg_params *p,
	       PGresult **row);
/* ST_TRANSFER_INSERT's ten parameters, as ledger.c binds them. */
void srv_pg_transfer_params(struct srv_pg_params *p, const char *payer, const char *payee,
			    uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			    int64_t now_ms);
/* ledger.c's srv_transfer_insert on PostgreSQL: the new id, or -1. */
int64_t srv_pg_transfer_insert(PGconn *c, const char *payer, const char *payee,
			       uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			       int64_t now_ms);

/* A bytea column of row (text form, \x and hex): its length, written to
 * out, or -1 if NULL, not hex or longer than cap. */
int srv_pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t cap);
int64_t srv_pg_int64(const PGresult *r, int row, int col);
/* The rows of card id (account, pubkey, status, last_atc, jp_failures
 * from column col, as ST_CARD_GET reads them) and account id (currency,
 * balance, flags: ST_ACCOUNT_GET's). */
void srv_pg_card_row(const PGresult *r, int row, int col, const uint8_t id[SC_CARD_ID_LEN],
		     struct srv_card *c);
void srv_pg_account_row(const PGresult *r, int row, int col, const char *id,
			struct srv_account *a);

/* ---- pg_timeouts.c: the connections' lock and statement timeouts */
extern const char *const srv_pg_timeout_options;
/* Counts a failure whose SQLSTATE (may be NULL) says a timeout ended it. */
void srv_pg_timeout_note(const char *sqlstate);

#endif
