/* A PostgreSQL batch's writes as rows, one statement per kind of write
 * per batch rather than one per submission (docs/SCALING.md, "Throughput
 * on one primary"): the ledger's CPU per statement (executor start-up,
 * protocol messages, plan lookup) was most of a payment's. Each kind's
 * rows go as arrays in PostgreSQL's binary format, unnest()ed by one
 * INSERT or UPDATE. For store_pg.c. */
#ifndef SC_SERVER_PG_ROWS_H
#define SC_SERVER_PG_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include "pg_query.h"

/* pg_type's oids of the element types used */
#define SRV_PG_OID_BYTEA 17
#define SRV_PG_OID_INT8 20
#define SRV_PG_OID_TEXT 25

/* A one-dimensional array of one element type, binary (array_recv's). */
struct srv_pg_array {
	uint8_t *b;
	size_t len, cap;
	int32_t n;                        /* elements */
	uint32_t oid;                     /* the element type's */
	int failed;                       /* out of memory: the batch fails */
};

/* Appends one element of len bytes to a (its header is written when it
 * becomes a parameter); a number as an int8. Out of memory sets failed. */
void srv_pg_array_put(struct srv_pg_array *a, const void *v, size_t len);
void srv_pg_array_int(struct srv_pg_array *a, int64_t v);
/* n columns a, none empty, as the parameters of p, by their element
 * types oid; -1 if one is empty or could not hold its elements. The
 * parameters point into a: it must outlive their use. */
int srv_pg_array_params(struct srv_pg_params *p, struct srv_pg_array *a, const uint32_t *oid,
			int n);

/* Rows that sum or take the last value per key: kept as structs until
 * the flush makes their arrays. */
struct srv_pg_card_write {            /* a card's state after the batch's writes */
	uint8_t id[SC_CARD_ID_LEN];
	int64_t jp_failures, last_atc;
	int accepted, blocked;
};
struct srv_pg_sum {                   /* a payer's debits, a message's wrong passwords */
	char account[SC_ACCOUNT_MAX + 1]; /* the payer's, or "" */
	uint8_t signed_hash[SC_HASH_LEN]; /* the message's, or zeros */
	uint8_t card_id[SC_CARD_ID_LEN];  /* the message's card */
	int64_t sum;
};

enum srv_pg_rows_kind {
	PG_ROWS_CHALLENGE_ISSUE, PG_ROWS_CHALLENGE_USE, PG_ROWS_TRANSFER, PG_ROWS_DECLINE,
	PG_ROWS_RECEIPT, PG_ROWS_AUDIT, PG_ROWS_KINDS
};
#define SRV_PG_ROWS_COLS 11

struct srv_pg_rows {
	struct srv_pg_array col[PG_ROWS_KINDS][SRV_PG_ROWS_COLS];
	struct srv_pg_card_write *cards;
	size_t n_cards, cap_cards;
	struct srv_pg_sum *debits, *msgfails;
	size_t n_debits, cap_debits, n_msgfails, cap_msgfails;
	int failed;
};

/* The writes of a SUBMIT's decision, record_outcome's and audit's rows,
 * challenges issued: added to the batch's rows (the values copied).
 * 0, or -1 out of memory or out of range. */
int srv_pg_rows_message_failure(struct srv_pg_rows *r, const uint8_t *signed_hash,
				const uint8_t *card_id);
int srv_pg_rows_card_failure(struct srv_pg_rows *r, const uint8_t *card_id, int64_t failures,
			     int blocked);
int srv_pg_rows_card_accept(struct srv_pg_rows *r, const uint8_t *card_id, int64_t atc);
int srv_pg_rows_challenge_use(struct srv_pg_rows *r, const uint8_t *challenge);
int srv_pg_rows_debit(struct srv_pg_rows *r, const char *payer, int64_t amount);
/* ten values as srv_pg_transfer_params binds them, then the reserved id */
int srv_pg_rows_transfer(struct srv_pg_rows *r, const char *payer, const char *payee,
			 int64_t amount, uint16_t currency, const struct srv_card_ref *card,
			 int64_t created_ms, int64_t id);
int srv_pg_rows_decline(struct srv_pg_rows *r, const struct srv_card_ref *card, int code,
			const uint8_t *result, size_t result_len, int64_t counter);
int srv_pg_rows_receipt(struct srv_pg_rows *r, int64_t transfer_id, int64_t counter,
			const uint8_t *body, size_t body_len, const uint8_t *seal,
			size_t seal_len);
int srv_pg_rows_audit(struct srv_pg_rows *r, int64_t at_ms, const char *peer,
		      const uint8_t *raw, size_t raw_len, int code, const char *detail);
int srv_pg_rows_challenge_issue(struct srv_pg_rows *r, const uint8_t *challenge,
				const char *terminal_id, int64_t expires_ms);

/* Hands each kind's statement with its arrays to send, in the order a
 * decision's writes are made (a receipt after its transfer), the kinds
 * with no rows skipped; then empties r. 0, or -1 if r could not hold a
 * row or send failed. */
typedef int (*srv_pg_rows_send_fn)(void *ctx, const char *sql, const struct srv_pg_params *p);
int srv_pg_rows_flush(struct srv_pg_rows *r, srv_pg_rows_send_fn send, void *ctx);
/* *p, an array of *cap elements of elem bytes, made to hold need:
 * 0, or -1 out of memory with *p as it was. */
int srv_pg_grow(void **p, size_t *cap, size_t need, size_t elem);
/* Forgets the rows not sent (a batch rolled back). */
void srv_pg_rows_clear(struct srv_pg_rows *r);
void srv_pg_rows_free(struct srv_pg_rows *r);

#endif
