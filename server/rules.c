/* What a payment must satisfy besides its signature and password, read
 * from the ledger and never written: the challenge it carries is live, and
 * the business rules. One home for them: the writer applies them to a
 * SUBMIT (pipeline.c) and the authorisation pre-check asks them before the
 * card signs (precheck.c), so the two cannot disagree. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "server.h"

__attribute__((format(printf, 4, 5)))
static int refuse(char *why, size_t cap, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return code;
}

int64_t srv_challenge_now(const struct srv *s)
{
	return s->cfg.challenge_clock ? s->cfg.challenge_clock() : srv_now_ms();
}

int srv_challenge_check(struct srv_db *db, int64_t now_ms, const struct sc_tx *tx,
			const char *peer_terminal, char *why, size_t cap)
{
	sqlite3_stmt *st = srv_stmt(db, ST_CHALLENGE_GET);
	const char *tid;
	int64_t expires;
	int rc, used, same_terminal;

	/* The certificate says who is asking; the transaction only what the
	 * terminal told the card. A challenge is bound to the certificate's
	 * id (pipeline.c), so this also refuses one used under another's. */
	if (peer_terminal && peer_terminal[0] && strcmp(peer_terminal, tx->terminal_id) != 0)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID,
			      "the transaction names terminal %s, the peer's certificate %s",
			      tx->terminal_id, peer_terminal);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, tx->challenge, SC_CHALLENGE_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID,
			      "this server never issued the challenge");
	}
	tid = (const char *)sqlite3_column_text(st, 0);
	expires = sqlite3_column_int64(st, 1);
	used = sqlite3_column_int(st, 2);
	same_terminal = tid && strcmp(tid, tx->terminal_id) == 0;
	sqlite3_reset(st);
	if (!same_terminal)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID,
			      "the challenge was issued to another terminal");
	if (used)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID, "the challenge was used already");
	if (now_ms >= expires)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID, "the challenge has expired");
	return SC_RES_OK;
}

int srv_payment_rules(struct srv_db *db, uint64_t max_amount, const struct srv_card *card,
		      const struct sc_tx *tx, struct srv_account *payer, char *why, size_t cap)
{
	struct srv_account payee;
	int rc;

	if (card->status == CARD_BLOCKED)
		return refuse(why, cap, SC_RES_CARD_BLOCKED, "the card is blocked");
	if (strcmp(tx->payer, card->account) != 0)
		return refuse(why, cap, SC_RES_UNKNOWN_ACCOUNT, "payer %s is not the card's account",
			      tx->payer);
	if (strcmp(tx->payer, tx->payee) == 0)
		return refuse(why, cap, SC_RES_SAME_ACCOUNT, "payer and payee are both %s",
			      tx->payer);
	if ((rc = srv_account_get(db, tx->payer, payer)) < 0)
		return -1;
	if (rc == 0)
		return refuse(why, cap, SC_RES_UNKNOWN_ACCOUNT, "no account %s", tx->payer);
	if ((rc = srv_account_get(db, tx->payee, &payee)) < 0)
		return -1;
	/* The issuer's equity is an account but takes no payments. */
	if (rc == 0 || (payee.flags & SRV_ACCOUNT_ISSUER))
		return refuse(why, cap, SC_RES_UNKNOWN_ACCOUNT, "no account %s", tx->payee);
	if (tx->currency != payer->currency || tx->currency != payee.currency) {
		char in_tx[SRV_CURRENCY_TEXT_MAX], in_payer[SRV_CURRENCY_TEXT_MAX],
			in_payee[SRV_CURRENCY_TEXT_MAX];

		srv_currency_text(in_tx, tx->currency);
		srv_currency_text(in_payer, payer->currency);
		srv_currency_text(in_payee, payee.currency);
		return refuse(why, cap, SC_RES_CURRENCY_MISMATCH,
			      "transaction in %s, payer account in %s, payee account in %s", in_tx,
			      in_payer, in_payee);
	}
	if (tx->amount > max_amount || tx->amount > (uint64_t)(INT64_MAX - payee.balance)) {
		char amount[SRV_MONEY_TEXT_MAX], limit[SRV_MONEY_TEXT_MAX];

		srv_money_text(amount, (int64_t)tx->amount, tx->currency);
		srv_money_text(limit, (int64_t)max_amount, tx->currency);
		return refuse(why, cap, SC_RES_BAD_AMOUNT, "amount %s is above the limit of %s",
			      amount, limit);
	}
	return SC_RES_OK;
}
