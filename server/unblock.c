/* The issuer-script path of a PIN unblock (docs/PROTOCOL.md §6 "Issuer scripts"): the
 * issuer's single-use approval (`sigcard-server card unblock-pin`), the
 * RESET RETRY COUNTER command MAC'd for the card's fresh challenge and
 * handed to the terminal that holds the card, and that terminal's report
 * of the card's answer. An approval yields exactly one script: it is
 * spent when the script leaves the server, so that a terminal that keeps
 * the card's answer to itself cannot ask for another (each reset is three
 * more PIN guesses). A delivery that failed shows in `card show`, and the
 * issuer approves again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "common/hex.h"
#include "common/issuer_script.h"
#include "common/sw.h"
#include "pg_query.h"

/* pin_unblocks.state */
enum { UNBLOCK_APPROVED = 0, UNBLOCK_DELIVERED = 1, UNBLOCK_DONE = 2, UNBLOCK_REFUSED = 3 };

int srv_unblock_mac(const uint8_t master[SC_MASTER_KEY_LEN], const struct sc_script_ref *r,
		    uint8_t mac[SC_ISSUER_MAC_LEN])
{
	uint8_t k[SC_KCARD_LEN], msg[SC_UNBLOCK_MSG_LEN];
	unsigned int n = 0;
	int ok;

	if (sc_kcard_derive(master, r->card_id, k) != 0)
		return -1;
	ok = HMAC(EVP_sha256(), k, (int)sizeof(k), msg, sc_unblock_mac_input(msg, r), mac, &n) &&
	     n == SC_ISSUER_MAC_LEN;
	sc_wipe(k, sizeof(k));
	return ok ? 0 : -1;
}

/* The highest ?N in sql: PostgreSQL wants a type for every parameter
 * sent, and one the statement does not use has none. */
static int params_used(const char *sql)
{
	int n = 0;

	for (const char *p = strchr(sql, '?'); p; p = strchr(p + 1, '?'))
		if (p[1] >= '1' && p[1] <= '9' && p[1] - '0' > n)
			n = p[1] - '0';
	return n;
}

/* run() on PostgreSQL: the same statement and parameters, in its terms. */
static int run_pg(struct srv_db *d, const char *sql, const uint8_t id[SC_CARD_ID_LEN],
		  int64_t a, int64_t b, const uint8_t *blob, size_t blob_len)
{
	struct srv_pg_params p = {0};
	int used = params_used(sql);
	PGresult *r;
	int n;

	srv_pg_blob(&p, id, SC_CARD_ID_LEN);
	srv_pg_int(&p, a);
	srv_pg_int(&p, b);
	if (blob)
		srv_pg_blob(&p, blob, blob_len);
	else
		srv_pg_null(&p);
	p.n = used;
	if (!(r = srv_pg_query(d->pg, sql, &p)))
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

/* One statement with card id as ?1 and up to two integers (?2, ?3) and a
 * blob (?4), run to its end; the number of rows it changed, or -1. */
static int run(struct srv_db *d, const char *sql, const uint8_t id[SC_CARD_ID_LEN],
	       int64_t a, int64_t b, const uint8_t *blob, size_t blob_len)
{
	sqlite3_stmt *st;
	int rc;

	if (d->pg)
		return run_pg(d, sql, id, a, b, blob, blob_len);
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("sqlite: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	sqlite3_bind_blob(st, 1, id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	if (blob)
		sqlite3_bind_blob(st, 4, blob, (int)blob_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("sqlite: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	return sqlite3_changes(d->db);
}

#define SQL_STATE_OF "SELECT state, coalesce(sw, 0) FROM pin_unblocks WHERE card_id = ?1"

/* state_of() on PostgreSQL. */
static int state_of_pg(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], int *sw)
{
	struct srv_pg_params p = {0};
	PGresult *r;
	int state = -1;

	srv_pg_blob(&p, id, SC_CARD_ID_LEN);
	if (!(r = srv_pg_query(d->pg, SQL_STATE_OF, &p)))
		return -2;
	if (PQntuples(r) > 0) {
		state = (int)srv_pg_int64(r, 0, 0);
		if (sw)
			*sw = (int)srv_pg_int64(r, 0, 1);
	}
	PQclear(r);
	return state;
}

/* The approval's state, or -1 none, -2 database error. */
static int state_of(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], int *sw)
{
	sqlite3_stmt *st;
	int rc, state = -1;

	if (d->pg)
		return state_of_pg(d, id, sw);
	if (sqlite3_prepare_v2(d->db, SQL_STATE_OF, -1, &st, NULL) != SQLITE_OK)
		return -2;
	sqlite3_bind_blob(st, 1, id, SC_CARD_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		state = sqlite3_column_int(st, 0);
		if (sw)
			*sw = sqlite3_column_int(st, 1);
	} else if (rc != SQLITE_DONE) {
		state = -2;
	}
	sqlite3_finalize(st);
	return state;
}

int srv_unblock_approve(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], int *already,
			char *err, size_t errlen)
{
	struct srv_card c;
	int rc = srv_card_get(d, id, &c);

	*already = 0;
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the ledger");
		return -1;
	}
	if (rc == 0) {
		snprintf(err, errlen, "no such card");
		return -1;
	}
	if (c.status != CARD_ACTIVE) {
		snprintf(err, errlen, "the card is %s; only an active card's PIN can be unblocked",
			 srv_card_status_name(c.status));
		return -1;
	}
	rc = state_of(d, id, NULL);
	if (rc == -2) {
		snprintf(err, errlen, "cannot read the ledger");
		return -1;
	}
	if (rc == UNBLOCK_APPROVED) {
		*already = 1;
		return 0;
	}
	if (run(d, "INSERT INTO pin_unblocks (card_id, state, approved_ms) VALUES (?1, 0, ?2)"
		   " ON CONFLICT (card_id) DO UPDATE SET state = 0, approved_ms = ?2,"
		   " challenge = NULL, delivered_ms = NULL, sw = NULL,"
		   " reported_ms = NULL", id, srv_now_ms(), 0, NULL, 0) != 1) {
		snprintf(err, errlen, "cannot record the approval: %s", srv_db_errmsg(d));
		return -1;
	}
	return 0;
}

int srv_unblock_describe(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], char *out,
			 size_t cap)
{
	int sw = 0, state = state_of(d, id, &sw);

	switch (state) {
	case -2:
		return -1;
	case -1:
		return 0;
	case UNBLOCK_APPROVED:
		snprintf(out, cap, "approved, waiting for a terminal that holds the card");
		break;
	case UNBLOCK_DELIVERED:
		snprintf(out, cap, "delivered to a terminal, the card's answer not reported;"
			 " if the PIN is still blocked, approve again");
		break;
	case UNBLOCK_DONE:
		snprintf(out, cap, "done: the card answered %04X", (unsigned)sw);
		break;
	default:
		snprintf(out, cap, "refused by the card (%04X %s); approve again",
			 (unsigned)sw, sc_sw_name((uint16_t)sw));
		break;
	}
	return 1;
}

__attribute__((format(printf, 3, 4)))
static int answer(struct srv_job *j, int code, const char *fmt, ...)
{
	char detail[sizeof(j->detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	srv_job_reply_error(j, code, detail);
	return 0;
}

/* GET ISSUER SCRIPT: the script if an approval waits, the approval spent
 * in the same transaction that records the challenge it was bound to. */
static int deliver(struct srv *s, struct srv_db *db, struct srv_job *j)
{
	struct sc_issuer_script out;
	struct srv_card card;
	uint8_t mac[SC_ISSUER_MAC_LEN];
	char hex[2 * SC_CARD_ID_LEN + 1];
	int rc, n;

	memset(&out, 0, sizeof(out));
	if (sc_get_issuer_script_decode(&out.ref, j->body, j->body_len) != 0)
		return answer(j, SC_RES_MALFORMED, "GET ISSUER SCRIPT: not a well-formed request");
	sc_hex_encode(hex, out.ref.card_id, SC_CARD_ID_LEN);
	rc = srv_card_get(db, out.ref.card_id, &card);
	if (rc < 0)
		return -1;
	if (rc == 0 || card.status == CARD_PREPARED)
		return answer(j, SC_RES_UNKNOWN_CARD, "card %s is not enrolled", hex);
	/* Not CARD_BLOCKED: that code is a payment's final decline, whose
	 * RESULT carries a sealed receipt (§6); this answer has none. */
	if (card.status == CARD_BLOCKED)
		return answer(j, SC_RES_NO_ISSUER_SCRIPT,
			      "card %s is blocked by the issuer: no script until it is unblocked", hex);
	rc = run(db, "UPDATE pin_unblocks SET state = 1, challenge = ?4, delivered_ms = ?2"
		     " WHERE card_id = ?1 AND state = ?3", out.ref.card_id, srv_now_ms(),
		 UNBLOCK_APPROVED, out.ref.challenge, SC_CARD_CHALLENGE_LEN);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return answer(j, SC_RES_NO_ISSUER_SCRIPT, "no unblock is approved for card %s", hex);
	if (s->keys->ops->unblock_mac(s->keys, &out.ref, mac) != 0)
		return -1;
	sc_unblock_apdu(out.apdu, mac);
	sc_wipe(mac, sizeof(mac));
	out.apdu_len = SC_UNBLOCK_APDU_LEN;
	n = sc_issuer_script_encode(j->reply, sizeof(j->reply), &out);
	if (n < 0)
		return -1;
	j->reply_len = (size_t)n;
	j->code = SC_RES_OK;
	snprintf(j->detail, sizeof(j->detail), "PIN unblock for card %s delivered", hex);
	return 0;
}

/* SCRIPT REPORT: the card's answer to the script delivered for this
 * challenge, recorded once. */
static int report(struct srv_db *db, struct srv_job *j)
{
	struct sc_script_ref ref;
	char hex[2 * SC_CARD_ID_LEN + 1];
	uint16_t sw = 0;
	int rc;

	if (sc_script_report_decode(&ref, &sw, j->body, j->body_len) != 0)
		return answer(j, SC_RES_MALFORMED, "SCRIPT REPORT: not a well-formed report");
	sc_hex_encode(hex, ref.card_id, SC_CARD_ID_LEN);
	rc = run(db, "UPDATE pin_unblocks SET state = CASE WHEN ?3 = 36864 THEN 2 ELSE 3 END,"
		     " sw = ?3, reported_ms = ?2"
		     " WHERE card_id = ?1 AND state = 1 AND challenge = ?4", ref.card_id,
		 srv_now_ms(), sw, ref.challenge, SC_CARD_CHALLENGE_LEN);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return answer(j, SC_RES_NO_ISSUER_SCRIPT,
			      "no script for card %s and this challenge awaits a report", hex);
	rc = sc_script_recorded_encode(j->reply, sizeof(j->reply));
	if (rc < 0)
		return -1;
	j->reply_len = (size_t)rc;
	j->code = SC_RES_OK;
	snprintf(j->detail, sizeof(j->detail), "card %s answered the PIN unblock with %04X", hex,
		 (unsigned)sw);
	return 0;
}

int srv_script_apply(struct srv *s, struct srv_db *db, struct srv_job *j)
{
	int rc = j->kind == JOB_SCRIPT_GET ? deliver(s, db, j) : report(db, j);

	if (rc == 0)
		log_info("issuer script %s from %s: %s", sc_result_name(j->code), j->peer,
			 j->detail);
	return rc;
}
