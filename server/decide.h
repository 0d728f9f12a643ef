/* The server's decision on a SUBMIT as a pure function: a snapshot of the
 * rows it reads in, an outcome and the writes to make out. No SQLite, no
 * I/O, no clock, no global state: the storage (store_ops.h) fills the
 * snapshot and applies the writes, the pipeline (pipeline.c) builds the
 * reply. The same rules answer the authorisation pre-check. The README's
 * "How the server decides" describes the snapshot, the order of the
 * checks and the storage interface. */
#ifndef SC_SERVER_DECIDE_H
#define SC_SERVER_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "common/submit.h"
#include "common/tx.h"

#define SRV_MESSAGE_JP_LIMIT 3       /* wrong passwords after which a signed message is void */
#define SRV_ACCOUNT_ISSUER 1         /* account flag: may go negative (issuer equity) */

/* ---- the ledger's rows a decision reads */
struct srv_account {
	char id[SC_ACCOUNT_MAX + 1];
	uint16_t currency;
	int64_t balance;                 /* minor units */
	int flags;                       /* SRV_ACCOUNT_ISSUER */
};

enum srv_card_status { CARD_PREPARED = 0, CARD_ACTIVE = 1, CARD_BLOCKED = 2 };

struct srv_card {
	uint8_t id[SC_CARD_ID_LEN];
	char account[SC_ACCOUNT_MAX + 1];
	uint8_t pubkey[SC_PUBKEY_LEN];
	int has_pubkey;
	int status;                      /* enum srv_card_status */
	int64_t last_atc;                /* -1 before the first accepted transfer */
	int jp_failures;                 /* wrong passwords since the last accepted transfer */
};

/* What a (card, ATC) already holds, as the writer found it. */
enum srv_prior {
	PRIOR_NONE,                       /* unused: this submission may decide it */
	PRIOR_SAME,                       /* an outcome for the same signed data */
	PRIOR_OTHER,                      /* an outcome for other signed data */
};

struct srv_challenge_row {
	int found;
	char terminal_id[SC_TERMINAL_ID_MAX + 1]; /* "" if the stored one is longer */
	int64_t expires_ms;
	int used;
};

/* The verify threads' findings (pipeline.c's srv_job_check), a plain
 * struct so that however the key and password are checked, they meet the
 * decision here. */
struct srv_verify_result {
	int key_known;                    /* an enrolled key was found */
	const uint8_t *key;               /* that key (SC_PUBKEY_LEN), if key_known */
	int sig_ok;                       /* the signature verifies with key */
	int jp_ok;                        /* signature verified and password right */
};

struct srv_limits {
	uint64_t max_amount;              /* per transfer, minor units */
	int card_jp_limit;                /* wrong passwords that block a card */
};

/* Everything a SUBMIT's decision reads. The submission's own fields point
 * into its job; the rows are copies, as of the open transaction and the
 * batch's earlier decisions (srv_snapshot_follow). */
struct srv_snapshot {
	/* the submission */
	const struct sc_tx *tx;
	const uint8_t *card_id;           /* SC_CARD_ID_LEN */
	uint32_t atc;
	const uint8_t *signed_hash, *sub_hash; /* SC_HASH_LEN each */
	/* who sent it: the peer's TLS certificate's terminal id, or "" (or
	 * NULL) for a peer on the Unix socket or plain TCP */
	const char *peer_terminal;
	struct srv_verify_result verify;
	/* the earlier outcome of (card, ATC), in the ledger or the open batch */
	int prior;                        /* enum srv_prior */
	int prior_same_bytes;             /* the very same SUBMIT bytes */
	int prior_in_batch;               /* decided in the open batch: not sealed yet */
	int prior_code;                   /* its result code */
	/* the rows */
	struct srv_challenge_row challenge;
	int card_found;
	struct srv_card card;
	int message_failures;             /* wrong passwords against signed_hash */
	int payer_found, payee_found;
	struct srv_account payer, payee;  /* the transaction's accounts */
	/* the clock challenges expire by, and the configuration */
	int64_t now_ms;
	struct srv_limits limits;
};

/* ---- what a decision says */
enum srv_verdict {
	SRV_ANSWER,     /* a RESULT with code and reason; nothing is sealed */
	SRV_REPLAY,     /* the stored outcome of (card, ATC), byte for byte */
	SRV_TWIN,       /* the outcome decided earlier in this batch, once sealed */
	SRV_SEAL,       /* OK or a final decline: its receipt is sealed with the batch */
	SRV_KEY_STALE,  /* RETRY_LATER: the verify stage checked with an older key */
};

enum srv_write_kind {
	SRV_W_MESSAGE_FAILURE, /* message_failures of signed_hash +1; value: the new count */
	SRV_W_CARD_FAILURE,    /* the card's jp_failures +1; value: the new count,
				  blocked: the card is blocked afterwards */
	SRV_W_CHALLENGE_USE,   /* the challenge is spent */
	SRV_W_DEBIT,           /* payer's balance - value */
	SRV_W_CREDIT,          /* payee's balance + value */
	SRV_W_TRANSFER,        /* the transfer row of (card, ATC); value: the amount */
	SRV_W_CARD_ACCEPT,     /* the card's last_atc = atc, jp_failures = 0 */
	SRV_W_OUTCOME,         /* the outcome row of (card, ATC), stored with its seal */
	SRV_W_AUDIT,           /* the audit row; value 1: whole, 0: a sample (unauthenticated) */
};

struct srv_write {
	enum srv_write_kind kind;
	int64_t value;
	int blocked;
};

#define SRV_WRITES_MAX 8
#define SRV_REASON_MAX 128

struct srv_decision {
	enum srv_verdict verdict;
	int code;                         /* SC_RES_*; for a replay the stored one's */
	char reason[SRV_REASON_MAX];      /* for the person; "" for OK. A sealed
					     one's fits the receipt's reason */
	size_t n_writes;
	struct srv_write writes[SRV_WRITES_MAX]; /* in the order they are made */
};

/* ---- the checks */
/* The snapshot's transaction names the terminal of the peer's certificate
 * (over TLS), and its challenge row was issued to that terminal, is unused
 * and has not expired at now_ms. SC_RES_OK, or SC_RES_CHALLENGE_INVALID
 * with why (cap bytes) saying which. */
int srv_challenge_verdict(const struct srv_snapshot *sn, char *why, size_t cap);
/* The business rules, in docs/PROTOCOL.md §6's order: card not blocked,
 * payer is the card's account, payer != payee, both accounts exist (the
 * payee not the issuer's equity), the currency is both accounts', amount
 * within max_amount (and the payee's balance cannot overflow). SC_RES_OK
 * (the funds are the caller's to check: only a SUBMIT may learn them), or
 * the final decline's code with why (cap bytes, a person's text: amounts
 * in major units, currencies by code). The snapshot's card, payer and
 * payee are the rows read. */
int srv_payment_rules(const struct srv_snapshot *sn, char *why, size_t cap);
/* The authorisation pre-check's verdict over sn (challenge, card, accounts,
 * now, limits; no signature): SC_RES_OK or the code with why. */
int srv_precheck_decide(const struct srv_snapshot *sn, char *why, size_t cap);
/* The decision on the SUBMIT sn describes, in the issue's order:
 * exactly-once, challenge, card, signature, password, counter, rules,
 * funds. Writes d, always. */
void srv_decide(const struct srv_snapshot *sn, struct srv_decision *d);
/* The first write of kind in d, or NULL. */
const struct srv_write *srv_decision_write(const struct srv_decision *d,
					   enum srv_write_kind kind);
/* later's (card, ATC) holds the outcome (code) decided over earlier in
 * the open batch, not sealed yet: what a load cannot see before the seal
 * stores it. */
void srv_snapshot_prior_in_batch(struct srv_snapshot *later, const struct srv_snapshot *earlier,
				 int code);
/* Brings later, a snapshot loaded before the batch's earlier decision d
 * (made over earlier) was applied, up to date with d's writes: the same
 * challenge, card, message, accounts or (card, ATC). Deciding a batch in
 * order over snapshots loaded at once is then deciding each after the one
 * before it was written. */
void srv_snapshot_follow(struct srv_snapshot *later, const struct srv_snapshot *earlier,
			 const struct srv_decision *d);

/* ---- money_text.c: amounts and currencies in a decline's text */
#define SRV_CURRENCY_TEXT_MAX 16   /* "EUR", or "currency 65535" */
#define SRV_MONEY_TEXT_MAX 64      /* "-92233720368547758.07 EUR" and the fallback */
/* "EUR", or "currency 999" for a code outside common/currency.c's table. */
void srv_currency_text(char out[SRV_CURRENCY_TEXT_MAX], uint16_t numeric);
/* "5.00 EUR" (major units, the currency's code), "-5.00 EUR" below zero, or
 * "500 (minor units, currency 999)" for a code outside the table. */
void srv_money_text(char out[SRV_MONEY_TEXT_MAX], int64_t minor, uint16_t currency);

#endif
