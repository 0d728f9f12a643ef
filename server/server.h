/* sigcard-server's private header: the issuer's back end. Prototypes are
 * grouped by the file that defines them. */
#ifndef SC_SERVER_H
#define SC_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include "common/errors.h"
#include "common/keylist.h"
#include "common/keywrap.h"
#include "common/scheme.h"
#include "common/submit.h"
#include "common/tx.h"
#include "decide.h"

#define SRV_PATH_MAX 512
#define SRV_FRAME_CAP 4096u          /* largest --max-frame */
#define SRV_DEFAULT_TCP "127.0.0.1:7460"
#define SRV_DEFAULT_HTTP "127.0.0.1:7461"
#define SRV_EQUITY_PREFIX "EQUITY-"  /* issuer equity account: EQUITY-<alpha currency> */
#define SRV_AUDIT_SAMPLE_PER_MIN 20u /* unauthenticated requests kept in the audit log */
#define SRV_AUDIT_SAMPLE_BYTES 64u   /* ... each with this much of its bytes */

struct srv_config {
	char data_dir[SRV_PATH_MAX];     /* holds the files below unless overridden */
	char db_path[SRV_PATH_MAX];      /* SQLite ledger */
	char master_key_path[SRV_PATH_MAX];
	char receipt_key_path[SRV_PATH_MAX]; /* the first receipt key (keys.c: the ring) */
	char receipt_ring_dir[SRV_PATH_MAX]; /* the later receipt keys and their list */
	char receipt_pub_path[SRV_PATH_MAX]; /* the first receipt key's public half, when
					      * its private half is in a token */
	/* The issuer's keys in a PKCS#11 token instead of files (keys_pkcs11.c):
	 * the module's path, or "" for files. */
	char pkcs11_module[SRV_PATH_MAX];
	char token_label[33];
	char token_pin_file[SRV_PATH_MAX];
	char tcp_addr[128];              /* HOST:PORT, or "" for none */
	char unix_path[SRV_PATH_MAX];    /* submission socket, or "" for none */
	char http_addr[128];             /* HOST:PORT, or "" for none */
	char admin_http_addr[128];       /* the back office's [HOST:]PORT, or "" for none */
	char admin_token_file[SRV_PATH_MAX]; /* its login token (admin_session.c) */
	char pidfile[SRV_PATH_MAX];      /* written once serving, or "" */
	int foreground;                  /* -d: stay in front, log to stderr */
	int workers;                     /* verify threads */
	int max_conns;
	size_t max_frame;                /* largest frame body accepted */
	uint32_t challenge_ttl;          /* seconds a challenge stays valid */
	int64_t (*challenge_clock)(void); /* ms that challenges expire by; NULL: srv_now_ms
					   * (a test sets its own, to expire one at once) */
	int card_jp_limit;               /* wrong passwords that block a card */
	uint64_t max_amount;             /* per-transfer limit, minor units */
	int idle_timeout;                /* seconds a peer may stay silent, also between requests */
	int request_timeout;             /* seconds to complete the first request from accept,
					    and each later one from its first byte */
	int http_max_conns;              /* HTTP connections at once */
	int batch_max;                   /* most submissions per commit */
	int wal_max_mib;                 /* the WAL's bound (wal.c) */
	int cache_mib;                   /* the writer's page cache (srv_db_cache) */
	int check_time;                  /* seconds the start-up check may take */
	int insecure_plain_tcp;          /* --insecure-plain-tcp: no TLS on tcp_addr */
	char server_name[256];           /* init/terminal-ca: the server certificate's name */
};

/* ---- logging: hostlib/log.h (stderr in the foreground, syslog as a
 * daemon; log_debug when SIGCARD_SERVER_DEBUG is set, see main.c) */
#include "hostlib/log.h"

/* ---- ratelog.c: a recurring condition logged at most every few seconds */
#define SRV_RATELOG_S 5
struct srv_ratelog {
	int64_t last_ms;                 /* CLOCK_MONOTONIC of the last line */
	unsigned long missed;            /* occurrences since, not logged */
	int logged;                      /* a line went out already */
};
/* 1 if a line is due now (*missed: how many were left out before it),
 * else 0 and the occurrence is counted. One instance per thread. */
int srv_ratelog_due(struct srv_ratelog *r, unsigned long *missed);

/* ---- fdlimit.c: descriptors for the connections */
/* Raises the soft RLIMIT_NOFILE (up to the hard one) to what
 * max_conns and http_max_conns need, and lowers them, logged, if it cannot
 * hold them. 0, or -1 if no connection would fit. */
int srv_fd_limit_fit(struct srv_config *cfg);
/* How long a listener rests after accept() ran out of descriptors. */
#define SRV_ACCEPT_BACKOFF_MS 500
#define SRV_ACCEPT_BACKOFF_TEXT "500 ms"
/* accept() failed (errno): logs it at most every SRV_RATELOG_S; 1 if the
 * listener must rest (out of descriptors or memory: the connection stays
 * queued and would wake it at once, for ever), else 0. */
int srv_fd_accept_failed(struct srv_ratelog *rl, const char *what);

/* ---- store.c: one SQLite connection with its prepared statements */
enum srv_stmt {
	ST_ACCOUNT_GET,
	ST_ACCOUNT_INSERT,
	ST_ACCOUNT_ADD,
	ST_CARD_GET,
	ST_CARD_INSERT,
	ST_CARD_ENROL,
	ST_CARD_STATUS,
	ST_CARD_ACCEPT,
	ST_CARD_JP_FAIL,
	ST_CHALLENGE_INSERT,
	ST_CHALLENGE_GET,
	ST_CHALLENGE_USE,
	ST_CHALLENGE_PURGE,
	ST_OUTCOME_GET,
	ST_DECLINE_INSERT,
	ST_TRANSFER_INSERT,
	ST_RECEIPT_GET,
	ST_RECEIPT_INSERT,
	ST_MSGFAIL_GET,
	ST_MSGFAIL_ADD,
	ST_AUDIT_INSERT,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNTER_GET,
	ST_COUNTER_SET,
	ST_COUNT
};

struct pg_conn;                      /* libpq's PGconn */
/* A connection to the ledger: an SQLite file, or a PostgreSQL database
 * (pg set, db NULL; --db names one by a conninfo, srv_db_is_pg). The
 * functions over a struct srv_db below serve both unless they say so. */
struct srv_db {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];      /* prepared lazily, kept for the connection's life */
	struct pg_conn *pg;
};

#define SRV_SCHEMA_VERSION 6
/* Opens path; a writable open creates and migrates the schema up to
 * target_version (SRV_SCHEMA_VERSION outside tests). 0 or -1 with err set.
 * A PostgreSQL conninfo connects to the ledger init made there (migrated,
 * readonly or not: the database's own privileges say who writes). */
int srv_db_open(struct srv_db *d, const char *path, int readonly, int target_version,
		char *err, size_t errlen);
void srv_db_close(struct srv_db *d);
/* Sets the SQLite connection's page cache to mib MiB: the KiB it has then,
 * read back, or -1. */
int64_t srv_db_cache(struct srv_db *d, int mib);
sqlite3_stmt *srv_stmt(struct srv_db *d, enum srv_stmt id); /* reset, bindings cleared */
int srv_db_exec(struct srv_db *d, const char *sql);         /* SQLITE_OK or the error */
/* Runs a prepared statement without parameters to its end: SQLITE_OK or
 * the error. For the writer's BEGIN/COMMIT/ROLLBACK, parsed once. */
int srv_db_run(struct srv_db *d, enum srv_stmt id);
int srv_db_version(struct srv_db *d);                       /* schema version, -1 on error */
/* The statement's SQL (SQLite's ?N placeholders: pg_query.c rewrites them). */
const char *srv_stmt_text(enum srv_stmt id);
/* The connection's last error, for a message. */
const char *srv_db_errmsg(struct srv_db *d);

/* ---- pg_conninfo.c: which database --db names */
/* 1 if db is a PostgreSQL connection string (a postgresql:// or
 * postgres:// URL, or key=value conninfo), 0 for an SQLite file. */
int srv_db_is_pg(const char *db);
/* db as a message may name it: a PostgreSQL one by its host, port,
 * dbname and user alone, never its password. */
void srv_db_describe(char *out, size_t cap, const char *db);

/* ---- pg_schema.c: the ledger on PostgreSQL, its schema and migrations */
/* A connection to conninfo, or NULL with err set (no password in it). */
struct pg_conn *srv_pg_connect(const char *conninfo, char *err, size_t errlen);
/* The schema version, -1 if the database holds no ledger (or on error). */
int srv_pg_version(struct pg_conn *c);
/* Brings the schema to target, each step in a transaction with its bump.
 * fresh (init): refuses, -1 with err, a database that holds a ledger. */
int srv_pg_migrate(struct pg_conn *c, int target, int fresh, char *err, size_t errlen);
/* A connection to a ledger init made, migrated to target_version, or NULL
 * with err set (no ledger there: only init creates one). */
struct pg_conn *srv_pg_open(const char *conninfo, int target_version, char *err,
			    size_t errlen);
void srv_pg_close(struct pg_conn *c);  /* NULL: nothing */
/* Runs sql (store.c's dialect: pg_query.c rewrites it) without
 * parameters: 0, or -1 after logging the error. */
int srv_pg_exec(struct pg_conn *c, const char *sql);
const char *srv_pg_errmsg(struct pg_conn *c);

/* ---- preflight.c: what must hold before the daemon serves a ledger */
/* Takes the exclusive lock of the ledger db_path (the file db_path.lock,
 * held while the process lives, kept across fork). The fd, or -1 with err
 * naming the holder's pid. */
int srv_lock_take(const char *db_path, char *err, size_t errlen);
/* Writes this process's id into the lock file fd, for a refused second server. */
int srv_lock_note_pid(int fd);
/* 0 if path holds a ledger init made (a schema version), else -1 with err
 * saying what to do. Creates nothing. */
int srv_ledger_present(const char *path, char *err, size_t errlen);
/* The totals (srv_ledger_check_totals), then within seconds PRAGMA
 * quick_check and srv_ledger_check, which read every page: linear in the
 * ledger's size. 0 all passed; -1 a check failed; 1 time ran out before
 * they finished (none failed). err says what is wrong and what to do. */
int srv_ledger_verify(struct srv_db *d, const char *path, int seconds, char *err,
		      size_t errlen);

/* ---- wal.c: the WAL's bound under sustained load (the writer's) */
struct srv_wal {
	int64_t limit;                   /* reset above this many bytes (--wal-max) */
	int frames;                      /* in the WAL after the last commit */
	int64_t page_size;
	struct srv_ratelog busy_log;
};
/* On the writer's connection: the WAL hook and journal_size_limit, for a
 * bound of limit bytes. 0 or -1. */
int srv_wal_bound_init(struct srv_wal *w, struct srv_db *d, int64_t limit);
/* After a commit: a RESTART checkpoint if the WAL is over the bound. */
void srv_wal_bound_check(struct srv_wal *w, struct srv_db *d);

/* ---- ledger.c: accounts, cards and the books */
const char *srv_card_status_name(int status);
/* 1 found, 0 not found, -1 database error. */
int srv_account_get(struct srv_db *d, const char *id, struct srv_account *a);
int srv_card_get(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], struct srv_card *c);
/* Creates account id in currency with an opening balance booked from the
 * issuer's equity account in that currency (created on first use). Runs in
 * its own transaction. 0, or -1 with a message in err. */
int srv_account_create(struct srv_db *d, const char *id, uint16_t currency, uint64_t opening,
		       char *err, size_t errlen);
/* Credits amount to customer account id from the issuer's equity in its
 * currency (the operator's deposit). Its own transaction. 0, or -1 with a
 * message in err. */
int srv_account_credit(struct srv_db *d, const char *id, uint64_t amount, char *err,
		       size_t errlen);
/* What a card's transfer records of the submission that made it: the
 * outcome of (card_id, atc), found again by signed_hash (the signed data)
 * or sub_hash (the SUBMIT's bytes). */
struct srv_card_ref {
	const uint8_t *card_id;
	uint32_t atc;
	const uint8_t *tx_hash, *sub_hash, *signed_hash; /* SC_HASH_LEN each */
};
/* Books amount from payer to payee (balances and a transfer row), no
 * checks beyond the database's; the caller holds the transaction. Returns
 * the transfer id or -1. card NULL for a booking that is not a card's. */
int64_t srv_transfer_book(struct srv_db *d, const char *payer, const char *payee,
			  uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			  int64_t now_ms);
/* Its parts, for a booking decided already (the writer's): a balance moved
 * by delta (0 or -1), and the transfer row alone (its id or -1). */
int srv_account_add(struct srv_db *d, const char *id, int64_t delta);
int64_t srv_transfer_insert(struct srv_db *d, const char *payer, const char *payee,
			    uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			    int64_t now_ms);
int srv_card_prepare(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], const char *account,
		     char *err, size_t errlen);
int srv_card_enrol(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], const char *account,
		   const uint8_t pubkey[SC_PUBKEY_LEN], char *err, size_t errlen);
int srv_card_set_status(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], int status,
			char *err, size_t errlen);
/* The books' invariants: per currency Σ balances = 0, every balance equals
 * its credits minus its debits, no customer balance below zero, the stored
 * receipt counter is the largest receipt's. 0 if all hold, else -1 with the
 * first broken one in err. */
int srv_ledger_check(struct srv_db *d, char *err, size_t errlen);
/* Those of the invariants that read only the accounts and a few rows. */
int srv_ledger_check_totals(struct srv_db *d, char *err, size_t errlen);
int64_t srv_now_ms(void);
/* Deletes the unused challenges expired before now_ms. 0 or -1. */
int srv_challenges_purge(struct srv_db *d, int64_t now_ms);

/* decide.h: the decision over a snapshot, and the rules the pre-check
 * shares with it; store_ops.h: the storage behind it. */
struct srv;
/* The clock challenges expire by: the wall clock, or the tests' own
 * (pipeline.c). */
int64_t srv_challenge_now(const struct srv *s);

/* ---- keys.c: the issuer master key, the receipt key, ECDSA checks */
int srv_master_key_create(const char *path, char *err, size_t errlen);
/* Opens a secret file read-only: the fd, or -1 with err if it is missing,
 * not a regular file, or one that group or others may read. */
int srv_secret_open(const char *path, char *err, size_t errlen);
/* Refuses a key file that group or others may read. */
/* A card's transport key from a 0600 file of 32 hex digits (white space
 * around them allowed), as sigcard-card --transport-key-file reads it. */
int srv_transport_key_load(const char *path, uint8_t key[SC_TRANSPORT_KEY_LEN], char *err,
			   size_t errlen);
int srv_master_key_load(const char *path, uint8_t key[SC_MASTER_KEY_LEN], char *err,
			size_t errlen);
int srv_receipt_key_create(const char *path, char *err, size_t errlen);
EVP_PKEY *srv_receipt_key_load(const char *path, char *err, size_t errlen);

/* The receipt key ring (docs/PROTOCOL.md §6 "Receipt keys"): the first
 * receipt key is receipt.key, made by init, never moved; each `key rotate`
 * adds a key as receipt-keys/ID.key and appends it, signed by the key
 * before it, to the list receipt-keys/list, whose write is the rotation's
 * commit. The last key of the list is the current one, which seals; the
 * others are retired and still verify what they sealed. Without a list
 * the ring is receipt.key alone. */
#define SRV_RING_LIST "list"
struct srv_ring {
	struct sc_keylist list;                 /* every key, oldest first, links verified */
	uint8_t id[SC_KEYLIST_MAX][SC_KEY_ID_LEN]; /* sc_seal_key_id of each */
	EVP_PKEY *pub[SC_KEYLIST_MAX];          /* each public key, owned */
	uint8_t msg[SC_RECEIPT_KEYS_MSG_MAX];   /* the RECEIPT KEYS answer */
	size_t msg_len;
};
/* Reads and checks the ring: receipt.key first in the list, every link
 * verified. 0, or -1 with err set (nothing to free then). */
int srv_ring_load(struct srv_ring *r, const struct srv_config *cfg, char *err, size_t errlen);
void srv_ring_free(struct srv_ring *r);
/* The private key of ring entry i, checked against the list; NULL with err. */
EVP_PKEY *srv_ring_private(const struct srv_ring *r, const struct srv_config *cfg, size_t i,
			   char *err, size_t errlen);
/* A new P-256 receipt key in the ring's folder, named by its id; its
 * public key in pub. 0, or -1 with err set. */
int srv_ring_key_create(const struct srv_config *cfg, uint8_t pub[SC_PUBKEY_LEN], char *err,
			size_t errlen);
/* Makes a new current key signed by the current one (the old one is kept,
 * retired), where the issuer's keys are (files or the token); the new
 * key's index in *index. 0, or -1 with err set. */
int srv_ring_rotate(const struct srv_config *cfg, uint64_t now, size_t *index, char *err,
		    size_t errlen);
/* Checks a stored receipt's seal with the key it names (version 4) or the
 * first key (versions 2 and 3, made before keys could change). 0, or -1
 * with err saying why. */
int srv_ring_seal_verify(const struct srv_ring *r, const uint8_t *receipt, size_t len,
			 const uint8_t *seal, size_t seal_len, char *err, size_t errlen);
/* SEC1 uncompressed public key of k. */
int srv_pubkey_export(EVP_PKEY *k, uint8_t out[SC_PUBKEY_LEN]);
/* A P-256 public key from its SEC1 uncompressed form (decoding checks the
 * point is on the curve); full_check adds OpenSSL's whole public-key check. */
EVP_PKEY *srv_pubkey_import(const uint8_t pub[SC_PUBKEY_LEN], int full_check);
/* 0 if sig is strict DER (minimal, no trailing bytes) with r and s in
 * [1, n-1], else -1. */
int srv_ecdsa_der_strict(const uint8_t *sig, size_t sig_len);
/* 1 valid, 0 invalid: strict DER first, then ECDSA P-256 over digest. */
int srv_ecdsa_verify(EVP_PKEY *pub, const uint8_t digest[32], const uint8_t *sig, size_t sig_len);
/* The same with a context already set up by EVP_PKEY_verify_init. */
int srv_ecdsa_verify_ctx(EVP_PKEY_CTX *ctx, const uint8_t digest[32], const uint8_t *sig,
			 size_t sig_len);

/* ---- sealcheck.c: the stored outcomes' seals against the key ring */
/* Every stored receipt (payments' and final declines') verifies with the
 * ring key it names; how many in *checked. 0, or -1 with the first that
 * does not in err. */
int srv_ledger_check_seals(struct srv_db *d, const struct srv_ring *ring, size_t *checked,
			   char *err, size_t errlen);

/* ---- keycache.c: a verify thread's ready-to-use card keys */
#define SRV_KEYCACHE_SLOTS 4096
#define SRV_KEYCACHE_WAYS 8         /* neighbours a card id may live in */
struct srv_keycache_entry {
	uint8_t id[SC_CARD_ID_LEN];
	uint8_t pub[SC_PUBKEY_LEN];
	EVP_PKEY_CTX *ctx;               /* verify_init done; NULL if empty */
};
struct srv_keycache {
	struct srv_keycache_entry e[SRV_KEYCACHE_SLOTS];
	const atomic_ulong *generation;  /* moved by the writer when a key changed */
	unsigned long seen;              /* the generation the entries belong to */
	unsigned evict;                  /* turns through the ways when all are taken */
};
/* generation may be NULL (never flushed). */
void srv_keycache_init(struct srv_keycache *kc, const atomic_ulong *generation);
void srv_keycache_free(struct srv_keycache *kc);
/* The verify context for card id's enrolled key: cached, or read from the
 * ledger on a miss; *pub receives the key. 1 found, 0 no enrolled key (or
 * one that does not parse), -1 the ledger could not be read. */
int srv_keycache_get(struct srv_keycache *kc, struct srv_db *db,
		     const uint8_t id[SC_CARD_ID_LEN], uint8_t pub[SC_PUBKEY_LEN],
		     EVP_PKEY_CTX **ctx);
/* DER signature of SHA-256(msg) into sig (SC_ECDSA_DER_MAX bytes); length or -1. */
int srv_ecdsa_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig);
/* The same with a context already set up by EVP_PKEY_sign_init. */
int srv_ecdsa_sign_ctx(EVP_PKEY_CTX *ctx, const uint8_t *msg, size_t len, uint8_t *sig);
int srv_sha256(const uint8_t *in, size_t len, uint8_t out[32]);
int srv_random(uint8_t *out, size_t n);

/* ---- issuer_keys.c: the issuer's secret keys behind one interface, so
 * that the pipeline, the writer and the admin commands do not know whether
 * they are files (keys_file.c: K_card by derivation v1, HKDF) or objects
 * in a PKCS#11 token (keys_pkcs11.c: derivation v2, inside the token;
 * docs/PROTOCOL.md §5.1). Every operation may run on any thread. */
struct sc_script_ref;
struct srv_keys;
struct srv_keys_ops {
	/* 1 if x is what card_id's K_card makes of jp under scheme, 0 if not,
	 * -1 if the key could not be used (the answer is RETRY_LATER). */
	int (*jp_check)(struct srv_keys *k, const uint8_t card_id[SC_CARD_ID_LEN],
			uint8_t scheme, const char jp[SC_JP_DIGITS], const uint8_t *x,
			size_t x_len);
	/* card_id's K_card wrapped for the card's transport key tk
	 * (sc_kcard_wrap's bytes). 0 or -1. */
	int (*kcard_wrap)(struct srv_keys *k, const uint8_t card_id[SC_CARD_ID_LEN],
			  const uint8_t tk[SC_TRANSPORT_KEY_LEN],
			  uint8_t wrapped[SC_KCARD_WRAPPED_LEN]);
	/* HMAC-SHA256 under K_card of an unblock's data (srv_unblock_mac). 0 or -1. */
	int (*unblock_mac)(struct srv_keys *k, const struct sc_script_ref *r, uint8_t mac[32]);
	/* DER ECDSA signature of SHA-256(msg) by the current receipt key into
	 * sig (SC_ECDSA_DER_MAX bytes): its length, or -1. */
	int (*seal_sign)(struct srv_keys *k, const uint8_t *msg, size_t len, uint8_t *sig);
	/* A new receipt key where this kind of key lives, kept under its id;
	 * its public key in pub. 0, or -1 with err. */
	int (*receipt_new)(struct srv_keys *k, uint8_t pub[SC_PUBKEY_LEN], char *err,
			   size_t errlen);
	void (*close)(struct srv_keys *k);
};
struct srv_keys {
	const struct srv_keys_ops *ops;
	const struct srv_config *cfg;    /* must outlive the keys */
	int derivation;                  /* SRV_KDF_V1 or SRV_KDF_V2: what made K_card */
};
#define SRV_KDF_V1 1                 /* HKDF-SHA256 (common/scheme.c), file keys */
#define SRV_KDF_V2 2                 /* AES-256-ECB of card data, in the token */
enum { SRV_KEYS_MASTER = 1, SRV_KEYS_RECEIPT = 2 };
/* The keys that want names (SRV_KEYS_*), from cfg's files or its token;
 * SRV_KEYS_RECEIPT takes ring's current key. NULL with err: for a token,
 * the module, the token and the PKCS#11 error (a wrong PIN is
 * CKR_PIN_INCORRECT). */
struct srv_keys *srv_keys_open(const struct srv_config *cfg, const struct srv_ring *ring,
			       int want, char *err, size_t errlen);
void srv_keys_close(struct srv_keys *k);
/* init: a new master key and first receipt key, in files or the token,
 * never over existing ones. 0, or -1 with err. */
int srv_keys_create(const struct srv_config *cfg, char *err, size_t errlen);
/* Where the keys are, for init's report: a path or the token. */
void srv_keys_describe(const struct srv_config *cfg, char *out, size_t cap);
/* keys_file.c and keys_pkcs11.c, which srv_keys_open chooses between. */
struct srv_keys *srv_keys_file_open(const struct srv_config *cfg, const struct srv_ring *ring,
				    int want, char *err, size_t errlen);
struct srv_keys *srv_keys_pkcs11_open(const struct srv_config *cfg,
				      const struct srv_ring *ring, int want, char *err,
				      size_t errlen);
int srv_keys_pkcs11_create(const struct srv_config *cfg, char *err, size_t errlen);

/* ---- metrics.c: counters for /metrics, updated from every thread */
#define SRV_VERIFY_BUCKETS 10
#define SRV_TLS_REFUSAL_SLOTS 8
#define SRV_BATCH_BUCKETS 10
struct srv_metrics {
	atomic_ulong results[SC_RES_COUNT];   /* submissions by result */
	atomic_ulong challenges;
	atomic_ulong challenges_refused[SC_RES_COUNT]; /* challenge requests by refusal */
	atomic_ulong prechecks[SC_RES_COUNT]; /* authorisation pre-checks by verdict or error */
	atomic_ulong verify_le[SRV_VERIFY_BUCKETS]; /* cumulative is computed when printed */
	atomic_ulong verify_count, verify_sum_ns;
	atomic_ulong batch_le[SRV_BATCH_BUCKETS];
	atomic_ulong batch_count, batch_sum;
	atomic_ulong writer_busy_ns;          /* time the writer spent in transactions */
	atomic_long verify_queue, writer_queue, connections, in_flight;
	atomic_ulong peers_dropped;
	atomic_ulong wal_resets;              /* RESTART checkpoints by the writer */
	atomic_ulong audit_unrecorded;        /* unauthenticated requests beyond the sample */
	atomic_ulong tls_handshakes;          /* TLS peers admitted */
	atomic_ulong tls_refused[SRV_TLS_REFUSAL_SLOTS]; /* by enum srv_tls_refusal (tls.h) */
	atomic_ulong ledger_timeouts[2];      /* by enum srv_pg_timeout (pg_timeouts.c) */
};
enum srv_pg_timeout { SRV_PG_TIMEOUT_LOCK, SRV_PG_TIMEOUT_STATEMENT };
extern struct srv_metrics srv_metrics;
void srv_metrics_verify(uint64_t ns);
void srv_metrics_batch(unsigned n);
/* Prometheus text exposition into buf; length written. */
size_t srv_metrics_render(char *buf, size_t cap);
/* Notes the start time for process_start_time_seconds. */
void srv_metrics_start(void);
/* The writer's verdict on its last commit: the reason it failed, or NULL
 * when it went through. The first failure and the recovery are logged. */
void srv_health_fault(const char *reason);
/* 1 with the reason if the last commit failed, else 0. */
int srv_health_failing(char *reason, size_t cap);

/* ---- pipeline.c: one submission from bytes to reply */
/* JOB_SCRIPT_GET and JOB_SCRIPT_REPORT: the issuer-script exchange (unblock.c). */
/* JOB_PRECHECK: the authorisation pre-check (precheck.c), on a verify thread. */
enum srv_job_kind {
	JOB_CHALLENGE, JOB_SUBMIT, JOB_REJECT, JOB_SCRIPT_GET, JOB_SCRIPT_REPORT, JOB_PRECHECK
};

struct srv_job {
	enum srv_job_kind kind;
	void *conn;                       /* the network side's peer; opaque here */
	uint64_t conn_serial;             /* which incarnation of conn asked */
	char peer[64];                    /* for the audit log */
	char peer_terminal[SC_TERMINAL_ID_MAX + 1]; /* its TLS certificate's id, or "" */
	int64_t received_ns;              /* CLOCK_MONOTONIC at the frame's arrival (log latency) */
	uint8_t body[SRV_FRAME_CAP];      /* the raw request body */
	size_t body_len;
	/* filled by the worker */
	struct sc_submit sub;
	struct sc_tx tx;
	uint8_t tx_hash[SC_HASH_LEN];
	uint8_t signed_hash[SC_HASH_LEN]; /* SHA-256 of the signed data */
	uint8_t sub_hash[SC_HASH_LEN];    /* SHA-256 of the whole SUBMIT body */
	uint8_t key[SC_PUBKEY_LEN];       /* the card key the signature was checked with */
	int key_known;                    /* the verify stage found an enrolled key */
	int sig_ok;                       /* the signature verifies with key */
	int jp_ok;                        /* signature verified and password right */
	/* the writer's: what its decision read, and the decision (decide.h) */
	struct srv_snapshot snap;         /* snap.tx NULL: not a decision of this batch */
	struct srv_decision dec;
	int code;                         /* decided result, or -1 while undecided */
	/* sealed in the writer's open batch: the receipt waits for the seal */
	uint8_t receipt[SC_RECEIPT_MAX];
	size_t receipt_len;
	int64_t transfer_id, counter;     /* transfer_id 0 for a final decline */
	struct srv_job *twin;             /* the same payment sealed earlier in the batch */
	int checked_code;                 /* code as the verify stage left it */
	int failed;                       /* its writing failed: left out of the batch */
	char detail[128];                 /* for the person reading the result */
	/* the reply, built by whoever decides */
	uint8_t reply[SC_RESULT_MSG_MAX];
	size_t reply_len;
	int close_after;                  /* drop the peer once the reply is out */
	struct srv_job *next;
};


struct srv; /* daemon state, daemon.c */
struct srv_store; /* the storage, store_ops.h */
struct srv_batch; /* the writer's open batch, batch.c */

/* Verify-thread stage: parse, hashes, the card's key (kc, db on a miss),
 * signature, password. Decides nothing but MALFORMED; leaves key_known,
 * sig_ok and jp_ok for the writer. Reads only. */
void srv_job_check(struct srv *s, struct srv_db *db, struct srv_keycache *kc,
		   struct srv_job *j);
/* Writer stage, inside the writer's transaction (st): decides what reads
 * state over j->snap, which st loaded and the batch's earlier decisions
 * followed (srv_batch_commit), applies the writes, and gives the later
 * snapshots of the list its effects; an outcome to seal joins batch b.
 * Returns 0, or -1 if the storage failed (the caller undoes the attempt and
 * retries the batch without this job, which gets RETRY_LATER). */
int srv_job_apply(struct srv *s, struct srv_store *st, struct srv_batch *b, struct srv_job *j);
/* The submission's half of j's snapshot (transaction, hashes, the verify
 * stage's results, clock, limits) for the store to add the rows to. */
void srv_job_snapshot(const struct srv *s, struct srv_job *j);
/* Builds j->reply for a non-OK code. */
void srv_job_reply_error(struct srv_job *j, int code, const char *detail);
/* Builds j->reply for a sealed code (OK or a final decline): the receipt,
 * its seal and, for a decline, j->detail. 0 or -1. */
int srv_job_reply_sealed(struct srv_job *j, int code, const uint8_t *body, size_t body_len,
			 const uint8_t *seal, size_t seal_len);
/* ---- unblock.c: the issuer-script path of a PIN unblock */
/* HMAC-SHA256 under the card's K_card over SC_LABEL_UNBLOCK || card id ||
 * card challenge: the data of RESET RETRY COUNTER. 0 or -1. */
int srv_unblock_mac(const uint8_t master[SC_MASTER_KEY_LEN], const struct sc_script_ref *r,
		    uint8_t mac[32]);
/* Records the issuer's single-use approval for an active card (*already set
 * if one was waiting). 0, or -1 with err set. */
int srv_unblock_approve(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], int *already,
			char *err, size_t errlen);
/* One line on the card's last approval: 1 written, 0 none ever, -1 error. */
int srv_unblock_describe(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], char *out,
			 size_t cap);
/* Writer stage of a JOB_SCRIPT_* job, inside the writer's transaction: sets
 * j->reply. 0, or -1 if the database failed. */
int srv_script_apply(struct srv *s, struct srv_db *db, struct srv_job *j);

/* ---- precheck.c: the authorisation pre-check */
/* Answers PRECHECK job j on a verify thread over st (a store on its
 * read-only connection: load alone): sets
 * j->reply (PRECHECKED, or RESULT for what it cannot answer) and j->code,
 * counts it in srv_metrics.prechecks and logs one line. */
void srv_precheck_answer(const struct srv *s, struct srv_store *st, struct srv_job *j);

/* ---- batch.c: the writer's transaction over a batch of jobs */
struct srv_batch {
	struct srv_job **sealing;         /* decided in it, receipts waiting for the seal */
	size_t n, cap;
	uint8_t (*nodes)[SC_HASH_LEN];    /* the seal's tree, SC_SEAL_NODES(cap) slots */
	struct srv_snapshot **snaps;      /* the attempt's snapshots to load, cap of them */
};
/* Room for cap sealed outcomes (cap <= SC_SEAL_BATCH_MAX). 0 or -1. */
int srv_batch_init(struct srv_batch *b, size_t cap);
void srv_batch_free(struct srv_batch *b);
/* Adds a job that executed or finally declined; its receipt is sealed
 * before the COMMIT. 0, or -1 if the batch is full. */
int srv_batch_add(struct srv_batch *b, struct srv_job *j);
/* The job of this batch that decided (card id, atc), or NULL. */
struct srv_job *srv_batch_find(const struct srv_batch *b, const uint8_t card_id[SC_CARD_ID_LEN],
			       uint32_t atc);
/* One transaction for the list of jobs: each applied, the receipts sealed
 * (one signature), the receipt counter stored, COMMIT. Every job of the
 * list has its reply afterwards; none promises what did not commit. */
void srv_batch_commit(struct srv *s, struct srv_store *st, struct srv_batch *b,
		      struct srv_job *jobs);
/* Every job of the list answered RETRY_LATER: nothing of it happened. */
void srv_batch_fail(struct srv_job *jobs);

/* ---- daemon.c: the threads and queues of the running server */
struct srv_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct srv_job *head, *tail;
	long depth;
	int closed;
};

struct srv {
	struct srv_config cfg;
	struct srv_keys *keys;            /* the master key and the ring's current receipt key */
	uint8_t receipt_pub[SC_PUBKEY_LEN];
	uint8_t receipt_key_id[SC_KEY_ID_LEN]; /* named in every receipt it seals */
	struct srv_ring ring;             /* read once at start; a rotation needs a restart */
	/* the writer thread's own */
	int64_t receipt_counter;          /* last counter given; stored at each commit */
	pthread_t checkpoint_thread;
	struct srv_queue verify_q, writer_q;
	pthread_t *verify_threads;
	pthread_t writer_thread;
	pthread_t http_thread;
	int http_running;
	struct srv_net *net;
	struct srv_http *http;
	struct srv_admin_http *admin_http; /* the back office, or NULL */
	atomic_int stopping;
	atomic_int checkpoint_stop;
	atomic_ulong key_generation;      /* verify threads drop cached keys when it moves */
};

int srv_queue_init(struct srv_queue *q);
void srv_queue_push(struct srv_queue *q, struct srv_job *j);
/* Up to max jobs, waiting while empty; NULL once closed and empty. */
struct srv_job *srv_queue_pop(struct srv_queue *q, int max);
void srv_queue_close(struct srv_queue *q);
/* Starts everything, runs until SIGTERM/SIGINT (or srv_stop), drains and
 * closes. 0 on a clean stop. */
int srv_run(const struct srv_config *cfg);
/* Asks a running srv_run (in this process) to drain and return. */
void srv_stop(void);

/* ---- detach.c: becoming a daemon once serving, not before */
/* Forks. The parent waits for srv_detach_finish and exits 0, or exits
 * with the child's status if it stops first (its reason on stderr); it
 * never returns. The child, in a new session, gets the fd to report on,
 * or -1 with err if there is no child. */
int srv_detach_begin(char *err, size_t errlen);
/* Everything is bound: chdir /, stdio to /dev/null, the log to syslog,
 * then tells the waiting parent. 0 or -1. */
int srv_detach_finish(int ready_fd);

/* ---- net.c: listeners, peers, frames, on the event loop */
struct srv_net;
struct event_base;
struct srv_net *srv_net_start(struct srv *s, struct event_base *base, char *err, size_t errlen);
/* Finished jobs, a list linked by ->next (one job: its next NULL), from
 * any thread: the replies go out on the loop, which a whole batch wakes
 * once. */
void srv_net_complete(struct srv_net *n, struct srv_job *jobs);
/* The operator's line for a finished SUBMIT (daemon.c); nothing for other
 * jobs. On the loop, as its reply goes out. */
void srv_log_submission(const struct srv_job *j);
/* Stops accepting and reading; returns when no request is in flight. */
void srv_net_drain(struct srv_net *n);
int srv_net_idle(struct srv_net *n);
void srv_net_free(struct srv_net *n);

/* ---- http.c: an HTTP listener on its own thread, event loop and
 * database connection, its connections bounded and timed (the read-only
 * JSON API and /metrics; the back office, admin_http.c) */
struct srv_http;
struct evhttp_request;
struct event_base;
#define SRV_HTTP_SEG_MAX 64              /* bytes of a path segment, NUL included */
struct srv_http_spec {
	const char *what;                /* "HTTP", "admin HTTP": in errors and logs */
	const char *opt;                 /* the option that gave addr */
	const char *addr;                /* as given */
	const char *addr_form;           /* "HOST:PORT", for the error */
	int (*parse_addr)(const char *addr, char *host, size_t cap, int *port);
	const char *thread_name;
	int max_conns;                   /* connections at once; full, the idlest goes */
	size_t max_body;                 /* bytes of a request body, else 413 */
	int writable;                    /* its database connection may write */
	void (*route)(struct srv_http *h, struct evhttp_request *req, void *arg);
	void (*stopping)(void *arg);     /* its loop has stopped, before evhttp is freed */
	void *arg;
};
/* Bound and set up, its thread not started (events may be added to its
 * base until srv_http_run); NULL with err. */
struct srv_http *srv_http_new(struct srv *s, const struct srv_http_spec *spec, char *err,
			      size_t errlen);
/* Starts its thread; on failure h is discarded. 0, or -1 with err. */
int srv_http_run(struct srv_http *h, char *err, size_t errlen);
/* Frees h, never run (spec.stopping called first). */
void srv_http_discard(struct srv_http *h);
struct srv_db *srv_http_db(struct srv_http *h);
struct event_base *srv_http_base(struct srv_http *h);
/* The API on s->cfg.http_addr, started. */
struct srv_http *srv_http_start(struct srv *s, char *err, size_t errlen);
void srv_http_stop(struct srv_http *h);
/* path's segments (at most max), or -1: a segment too long or more of them. */
int srv_http_split(const char *path, char seg[][SRV_HTTP_SEG_MAX], int max);

/* ---- http_api.c: the JSON resources under /v1 */
struct json_t;
/* Answers a request for /v1/... (the path's first nseg segments) and
 * returns 1, or 0 if no resource has that path. */
int srv_http_api(struct srv_db *db, struct evhttp_request *req, int nseg,
		 char seg[][SRV_HTTP_SEG_MAX], const char *query);
/* The answer body as JSON (consumed), with its Content-Type. */
void srv_http_send_json(struct evhttp_request *req, int code, struct json_t *body);
void srv_http_send_error(struct evhttp_request *req, int code, const char *message);

/* ---- http_errors.c: the API's one error format, libevent's own errors too */
#define SRV_HTTP_MAX_BODY 1024           /* bytes of a request body, else 413 */
struct evbuffer;
struct json_t *srv_http_error_body(int status, const char *message);
/* Rewrites libevent's HTML error answer waiting in a connection's output
 * as the JSON one; 1 if it did. */
int srv_http_json_errors(struct evbuffer *out);

/* ---- admin_session.c: the back office's token, sessions and CSRF */
#define SRV_ADMIN_SESSIONS 16            /* at once; a new one replaces the idlest */
#define SRV_ADMIN_ID_LEN 32              /* random bytes of a session id and of its CSRF token */
#define SRV_ADMIN_SESSION_IDLE_MS (30 * 60 * 1000)
#define SRV_ADMIN_SESSION_MAX_MS (12 * 3600 * 1000)
#define SRV_ADMIN_FAILS_MAX 5            /* wrong tokens a minute, then 429 until it ends */
#define SRV_ADMIN_FAIL_WINDOW_MS 60000
#define SRV_ADMIN_COOKIE "sigcard_admin"
#define SRV_ADMIN_CSRF_HEADER "X-CSRF-Token"
struct srv_admin_session {
	char id[2 * SRV_ADMIN_ID_LEN + 1];   /* hex, the cookie's value */
	char csrf[2 * SRV_ADMIN_ID_LEN + 1]; /* hex, the header's value */
	int64_t created, last;               /* fio_now_ms */
	int used;
};
struct srv_admin_auth {
	uint8_t token_hash[32];              /* SHA-256 of the token */
	struct srv_admin_session sessions[SRV_ADMIN_SESSIONS];
	int64_t fail_window_ms;
	unsigned fails;
};
/* The token from path: 0600, owned by the server's user, one line of 16
 * to 128 token characters. 0, or -1 with err naming what is wrong. */
int srv_admin_token_load(struct srv_admin_auth *a, const char *path, char *err, size_t errlen);
void srv_admin_auth_wipe(struct srv_admin_auth *a);
/* 1 and *out a new session if guess is the token; 0 if not; -1 too many
 * wrong guesses this minute (not even compared); -2 no random bytes. */
int srv_admin_login(struct srv_admin_auth *a, const char *guess, size_t len,
		    struct srv_admin_session **out);
/* The live session req's cookie names (its idle time restarted), or NULL. */
struct srv_admin_session *srv_admin_session_of(struct srv_admin_auth *a,
					       struct evhttp_request *req);
/* 1 if req carries s's CSRF token in SRV_ADMIN_CSRF_HEADER. */
int srv_admin_csrf_ok(const struct srv_admin_session *s, struct evhttp_request *req);
void srv_admin_logout(struct srv_admin_session *s);

/* ---- admin_http.c: the back office (--admin-http) */
struct srv_admin_http;
/* Reads the token and binds the listener, its thread started; NULL with err. */
struct srv_admin_http *srv_admin_http_start(struct srv *s, char *err, size_t errlen);
void srv_admin_http_stop(struct srv_admin_http *a);

/* ---- admin_events.c: the charts' figures, sampled from srv_metrics */
#define SRV_ADMIN_SAMPLES 120            /* seconds of history a new chart starts with */
struct srv_admin_sample {
	int64_t t_ms;                        /* wall clock, Unix ms */
	unsigned long results[SC_RES_COUNT]; /* submissions answered in the second, by result */
	long verify_us, commit_us;           /* mean in the second; -1: none */
};
struct srv_admin_samples {
	struct srv_admin_sample ring[SRV_ADMIN_SAMPLES];
	size_t next, count;
	unsigned long results[SC_RES_COUNT]; /* the totals last read */
	unsigned long verify_count, verify_sum_ns, batch_count, busy_ns;
	int primed;                          /* the totals above were read */
};
/* Reads the counters now: the first call only notes them. 1 with a new
 * sample added, or 0. */
int srv_admin_sample(struct srv_admin_samples *m);
/* The last sample (last_only) or the whole history, oldest first, as a
 * JSON array's text (caller frees); NULL out of memory. */
char *srv_admin_samples_json(const struct srv_admin_samples *m, int last_only);

/* ---- admin.c: the issuer's commands */
int srv_admin(const struct srv_config *cfg, int argc, char **argv, const char *opt_currency,
	      const char *opt_balance, const char *opt_card_id, const char *opt_account,
	      const char *opt_out, const char *opt_record, const char *opt_tk_file);

/* ---- config.c: addresses and defaults */
void srv_config_defaults(struct srv_config *c);
/* Fills the paths not given from data_dir. */
void srv_config_paths(struct srv_config *c);
/* "HOST:PORT" into host and port; 0 or -1. */
int srv_split_addr(const char *addr, char *host, size_t hostlen, int *port);

#include "store_ops.h"

#endif
