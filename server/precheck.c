/* The authorisation pre-check (docs/PROTOCOL.md §6 "Authorisation
 * pre-check"): would a SUBMIT of this transaction by this card pass the
 * checks that do not need the card's signature? Answered on a verify
 * thread over its read-only ledger connection, so it can write nothing:
 * the challenge stays unused, no ATC or (card, ATC) is touched, nothing is
 * sealed. The rules are the writer's own (decide.c); the funds are not
 * asked, since the answer goes to a peer nobody has authenticated. */
#include <stdio.h>
#include <string.h>
#include "common/hex.h"
#include "common/precheck.h"
#include "server.h"

static void verdict(struct srv_job *j, int code, const char *why)
{
	int n = sc_prechecked_encode(j->reply, sizeof(j->reply), (uint8_t)code, why);

	if (n < 0) {
		srv_job_reply_error(j, SC_RES_RETRY_LATER, "the pre-check's answer did not encode");
		return;
	}
	j->reply_len = (size_t)n;
	j->code = code;
	snprintf(j->detail, sizeof(j->detail), "%s", why);
}

/* Sets j->reply: PRECHECKED with the verdict, or RESULT MALFORMED or
 * RETRY_LATER for a request it cannot answer. */
static void answer(const struct srv *s, struct srv_store *st, struct srv_job *j)
{
	struct sc_precheck p;
	struct srv_snapshot sn, *one = &sn;
	char why[SC_RECEIPT_REASON_MAX + 1] = "";
	int rc;

	if ((rc = sc_precheck_decode(&p, j->body, j->body_len)) != 0 ||
	    (rc = sc_tx_decode(&j->tx, p.tx, p.tx_len)) != 0) {
		snprintf(why, sizeof(why), "PRECHECK: %s", sc_strerror(rc));
		srv_job_reply_error(j, SC_RES_MALFORMED, why);
		return;
	}
	memcpy(j->sub.card_id, p.card_id, SC_CARD_ID_LEN);
	/* No signature, so no (card, ATC) and no message: the rows alone. */
	memset(&sn, 0, sizeof(sn));
	sn.tx = &j->tx;
	sn.card_id = j->sub.card_id;
	sn.peer_terminal = j->peer_terminal;
	sn.now_ms = srv_challenge_now(s);
	sn.limits.max_amount = s->cfg.max_amount;
	sn.limits.card_jp_limit = s->cfg.card_jp_limit;
	if (st->ops->load(st, &one, 1) != 0) {
		srv_job_reply_error(j, SC_RES_RETRY_LATER, "the ledger could not be read");
		return;
	}
	rc = srv_precheck_decide(&sn, why, sizeof(why));
	verdict(j, rc, rc == SC_RES_OK ? "" : why);
}

void srv_precheck_answer(const struct srv *s, struct srv_store *st, struct srv_job *j)
{
	char card[2 * SC_CARD_ID_LEN + 1];

	answer(s, st, j);
	if (j->code >= 0 && (unsigned)j->code < SC_RES_COUNT)
		atomic_fetch_add(&srv_metrics.prechecks[j->code], 1);
	if (j->code == SC_RES_MALFORMED) {
		log_info("precheck MALFORMED from %s: %s", j->peer, j->detail);
		return;
	}
	sc_hex_encode(card, j->sub.card_id, SC_CARD_ID_LEN);
	log_info("precheck %s card %s amount %llu %03u from %s to %s%s%s", sc_result_name(j->code),
		 card, (unsigned long long)j->tx.amount, j->tx.currency, j->tx.payer, j->tx.payee,
		 j->detail[0] ? ": " : "", j->detail);
}
