/* `sigcard-card --flash PATH personalise`: the issuer's personalisation,
 * run in-process through card_apdu on the contact interface, exactly the
 * APDUs a personalisation terminal would send (docs/PROTOCOL.md §5):
 * SELECT, GET CHALLENGE + EXTERNAL AUTHENTICATE under the transport key,
 * PUT DATA card id / wrapped K_card / PIN / account, GENERATE KEY PAIR,
 * ISSUE. K_card goes wrapped under the card's transport KEK. The
 * enrolment record (card id, account, public key) goes to --export or
 * stdout; the PIN and K_card go nowhere else and are wiped. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/md.h>

#include "common/apdu.h"
#include "common/applet.h"
#include "common/hex.h"
#include "common/errors.h"
#include "common/keywrap.h"
#include "common/scheme.h"
#include "common/sw.h"
#include "common/tx.h"
#include "hostlib/atomicfile.h"
#include "hostlib/privfile.h"
#include "host.h"

#define PERSO_FILE_MAX 4096
#define PERSO_PIN_MIN 4u      /* the core's PIN length range */
#define PERSO_PIN_MAX 8u

static const char *perso_export_path; /* export-record's --export, or NULL: stdout */

struct perso_job {
	const char *export_path;    /* NULL: stdout */
	uint8_t card_id[SC_CARD_ID_LEN];
	char account[SC_ACCOUNT_MAX + 1];
	uint8_t k_card[SC_KCARD_LEN];
	uint8_t k_card_wrapped[SC_KCARD_WRAPPED_LEN];
	int have_wrapped;           /* the file held k_card_wrapped, not k_card */
	char pin[PERSO_PIN_MAX + 1];
};

static const char *perso_cmd = "personalise"; /* or "export-record", for messages */

static int perso_fail(const char *what, const char *why)
{
	fprintf(stderr, "sigcard-card: %s: %s: %s\n", perso_cmd, what, why);
	return 1;
}

/* One command, following 61xx with GET RESPONSE; returns the SW, or -1 if
 * the answer did not parse. */
static int perso_transmit(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
			  size_t lc, size_t le, uint8_t *resp, size_t cap, size_t *resp_len)
{
	uint8_t cmd[300], r[300];
	size_t got = 0;
	int len = sc_apdu_build(cmd, sizeof cmd, cla, ins, p1, p2, data, lc, le);
	int sw = -1;
	while (len > 0) {
		size_t n =
			card_apdu(host_card(), CARD_IFACE_CONTACT, cmd, (size_t)len, r, sizeof r);
		sc_wipe(cmd, sizeof cmd);
		if (n < 2 || n - 2 > cap - got) {
			sw = -1;
			break;
		}
		memcpy(resp + got, r, n - 2);
		got += n - 2;
		sw = r[n - 2] << 8 | r[n - 1];
		if ((sw & 0xFF00) != SW_BYTES_REMAINING_00)
			break;
		len = sc_apdu_build(cmd, sizeof cmd, SC_CLA_ISO, SC_INS_GET_RESPONSE, 0, 0, NULL, 0,
				    (sw & 0xFF) == 0 ? 256u : (size_t)(sw & 0xFF));
	}
	sc_wipe(r, sizeof r);
	*resp_len = got;
	return sw;
}

static int perso_step(const char *what, int sw)
{
	char msg[96];
	if (sw == (int)SW_NO_ERROR)
		return 0;
	if (sw < 0)
		return perso_fail(what, "the card's answer does not parse");
	snprintf(msg, sizeof msg, "%s (%04X)", sc_sw_name((uint16_t)sw), (unsigned)sw);
	return perso_fail(what, msg);
}

static int perso_put(const char *what, uint16_t tag, const void *v, size_t n)
{
	uint8_t r[8];
	size_t rn;
	return perso_step(what, perso_transmit(SC_CLA_PROPRIETARY, SC_INS_PUT_DATA, (uint8_t)(tag >> 8),
					      (uint8_t)tag, v, n, 0, r, sizeof r, &rn));
}

static int perso_transport_auth(const uint8_t tk[CARD_TRANSPORT_KEY_LEN])
{
	uint8_t challenge[SC_CARD_CHALLENGE_LEN], mac[SC_ISSUER_MAC_LEN], r[8];
	uint8_t msg[sizeof SC_LABEL_TRANSPORT - 1 + SC_CARD_CHALLENGE_LEN];
	size_t n;
	int sw = perso_transmit(SC_CLA_ISO, SC_INS_GET_CHALLENGE, 0, 0, NULL, 0, sizeof challenge, challenge,
				sizeof challenge, &n);
	if (perso_step("GET CHALLENGE", sw) != 0)
		return 1;
	if (n != sizeof challenge)
		return perso_fail("GET CHALLENGE", "not 16 bytes");
	memcpy(msg, SC_LABEL_TRANSPORT, sizeof SC_LABEL_TRANSPORT - 1);
	memcpy(msg + sizeof SC_LABEL_TRANSPORT - 1, challenge, sizeof challenge);
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), tk,
			    CARD_TRANSPORT_KEY_LEN, msg, sizeof msg, mac) != 0)
		return perso_fail("EXTERNAL AUTHENTICATE", "HMAC failed");
	sw = perso_transmit(SC_CLA_PROPRIETARY, SC_INS_EXTERNAL_AUTHENTICATE, 0x00,
			    SC_P2_TRANSPORT_KEY, mac, sizeof mac, 0, r, sizeof r, &n);
	sc_wipe(mac, sizeof mac);
	if (sw == (int)SW_SECURITY_STATUS_NOT_SATISFIED)
		return perso_fail("EXTERNAL AUTHENTICATE", "wrong transport key");
	if (sw == (int)SW_CONDITIONS_NOT_SATISFIED)
		return perso_fail("EXTERNAL AUTHENTICATE",
				  "the card is not personalising any more (already issued? "
				  "export-record writes an issued card's record again)");
	return perso_step("EXTERNAL AUTHENTICATE", sw);
}

/* The perso file: exactly {"card_id","account","k_card"} (K_card clear,
 * from an issuer without the transport key) or {"card_id","account",
 * "k_card_wrapped"} (wrapped by the issuer, §5.3), nothing else. */
static int perso_parse(const char *text, struct perso_job *d)
{
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	const char *id, *acct, *k;
	int rc = 1;
	if (!json_is_object(o) || json_object_size(o) != 3) {
		json_decref(o);
		return perso_fail("perso file", "not a JSON object with exactly card_id, account, "
						"k_card or k_card_wrapped");
	}
	id = json_string_value(json_object_get(o, "card_id"));
	acct = json_string_value(json_object_get(o, "account"));
	k = json_string_value(json_object_get(o, "k_card"));
	if (k == NULL && (k = json_string_value(json_object_get(o, "k_card_wrapped"))) != NULL)
		d->have_wrapped = 1;
	if (id == NULL || acct == NULL || k == NULL)
		perso_fail("perso file", "card_id, account and k_card or k_card_wrapped must be "
					 "strings");
	else if (strlen(id) != 2 * SC_CARD_ID_LEN ||
		 sc_hex_decode(d->card_id, sizeof d->card_id, id) != (int)SC_CARD_ID_LEN)
		perso_fail("perso file", "card_id: 16 hex digits");
	else if (sc_account_id_valid(acct) != 0)
		perso_fail("perso file", "account: 1-34 of A-Z 0-9 -, not starting with -");
	else if (d->have_wrapped && (strlen(k) != 2 * SC_KCARD_WRAPPED_LEN ||
				     sc_hex_decode(d->k_card_wrapped, sizeof d->k_card_wrapped, k) !=
					     (int)SC_KCARD_WRAPPED_LEN))
		perso_fail("perso file", "k_card_wrapped: 80 hex digits");
	else if (!d->have_wrapped && (strlen(k) != 2 * SC_KCARD_LEN ||
				      sc_hex_decode(d->k_card, sizeof d->k_card, k) !=
					      (int)SC_KCARD_LEN))
		perso_fail("perso file", "k_card: 64 hex digits");
	else {
		snprintf(d->account, sizeof d->account, "%s", acct);
		rc = 0;
	}
	/* jansson keeps its own copy of k_card: wipe it before freeing. */
	if (k != NULL)
		sc_wipe((void *)(uintptr_t)k, strlen(k));
	json_decref(o);
	return rc;
}

static int perso_read_pin(const char *path, char pin[PERSO_PIN_MAX + 1])
{
	char text[64];
	const char *why;
	size_t n;
	if (priv_file_read(path, text, sizeof text, &why) != 0)
		return perso_fail(path, why);
	n = strcspn(text, "\r\n");
	if (text[n] != '\0' && strspn(text + n, "\r\n") != strlen(text + n)) {
		sc_wipe(text, sizeof text);
		return perso_fail(path, "one line of digits expected");
	}
	text[n] = '\0';
	if (n < PERSO_PIN_MIN || n > PERSO_PIN_MAX || strspn(text, "0123456789") != n) {
		sc_wipe(text, sizeof text);
		return perso_fail(path, "the PIN is 4 to 8 digits");
	}
	memcpy(pin, text, n + 1);
	sc_wipe(text, sizeof text);
	return 0;
}

/* The enrolment record, {"card_id","account","public_key"} on one line,
 * to path with af_write's rules (atomic; never through anything but a
 * regular file), or to stdout. The one writer of the format, for
 * personalise and export-record alike. */
static int perso_record_write(const char *path, const uint8_t card_id[SC_CARD_ID_LEN],
			      const char *account, const uint8_t pub[SC_PUBKEY_LEN])
{
	char id[2 * SC_CARD_ID_LEN + 1], pk[2 * SC_PUBKEY_LEN + 1];
	char *text;
	json_t *rec;
	int rc;

	sc_hex_encode(id, card_id, SC_CARD_ID_LEN);
	sc_hex_encode(pk, pub, SC_PUBKEY_LEN);
	rec = json_pack("{s:s, s:s, s:s}", "card_id", id, "account", account, "public_key", pk);
	text = rec != NULL ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	if (text == NULL)
		return perso_fail("export", "out of memory");
	/* json_dumps leaves room for no newline: the record is text + "\n". */
	if (path == NULL) {
		rc = fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) != 0;
		free(text);
		return rc != 0 ? perso_fail("export", "cannot write to stdout") : 0;
	}
	{
		size_t n = strlen(text);
		char *line = malloc(n + 2);
		if (line == NULL) {
			free(text);
			return perso_fail("export", "out of memory");
		}
		memcpy(line, text, n);
		line[n] = '\n';
		rc = af_write_file(path, 0644, 0, line, n + 1);
		free(line);
	}
	free(text);
	if (rc != 0)
		return perso_fail(path, af_strerror(rc));
	return 0;
}

/* SELECT of the signature applet, the first step of both personalise and
 * export-record. */
static int perso_select(void)
{
	uint8_t r[128];
	size_t n;

	return perso_step("SELECT", perso_transmit(SC_CLA_ISO, SC_INS_SELECT, SC_P1_SELECT_BY_NAME,
						   SC_P2_SELECT_FCI, sc_applet_aid, SC_AID_LEN, 0,
						   r, sizeof r, &n));
}

/* PUT DATA of K_card, wrapped under the transport KEK (§5.3): as the
 * issuer wrapped it, or wrapped here from an older perso file's k_card. */
static int perso_put_kcard(const struct perso_job *d, const uint8_t tk[CARD_TRANSPORT_KEY_LEN])
{
	uint8_t wrapped[SC_KCARD_WRAPPED_LEN], r[8];
	size_t n;
	int sw;

	if (d->have_wrapped)
		memcpy(wrapped, d->k_card_wrapped, sizeof wrapped);
	else if (sc_kcard_wrap(tk, CARD_TRANSPORT_KEY_LEN, d->k_card, wrapped) != SC_OK)
		return perso_fail("PUT DATA K_card", "cannot wrap K_card");
	sw = perso_transmit(SC_CLA_PROPRIETARY, SC_INS_PUT_DATA, SC_TAG_KCARD_WRAPPED >> 8,
			    SC_TAG_KCARD_WRAPPED & 0xFF, wrapped, sizeof wrapped, 0, r, sizeof r, &n);
	sc_wipe(wrapped, sizeof wrapped);
	if (sw == (int)SW_SM_DATA_INCORRECT)
		return perso_fail("PUT DATA K_card", "the card cannot unwrap it: wrapped under another "
						     "transport key than this card's, or altered");
	return perso_step("PUT DATA K_card", sw);
}

static int perso_run(const struct perso_job *d, const uint8_t tk[CARD_TRANSPORT_KEY_LEN],
		     uint8_t pub[SC_PUBKEY_LEN])
{
	uint8_t r[128];
	size_t n;
	int sw;
	if (perso_select() != 0 || perso_transport_auth(tk) != 0 ||
	    perso_put("PUT DATA card id", SC_TAG_CARD_ID, d->card_id, SC_CARD_ID_LEN) != 0 ||
	    perso_put_kcard(d, tk) != 0 ||
	    perso_put("PUT DATA PIN", SC_TAG_PIN, d->pin, strlen(d->pin)) != 0 ||
	    perso_put("PUT DATA account", SC_TAG_ACCOUNT, d->account, strlen(d->account)) != 0)
		return 1;
	sw = perso_transmit(SC_CLA_PROPRIETARY, SC_INS_GENERATE_KEY_PAIR, 0, 0, NULL, 0, 256, r,
			    sizeof r, &n);
	if (perso_step("GENERATE KEY PAIR", sw) != 0)
		return 1;
	if (n != SC_PUBKEY_LEN || r[0] != 0x04)
		return perso_fail("GENERATE KEY PAIR", "not a SEC1 uncompressed P-256 key");
	memcpy(pub, r, SC_PUBKEY_LEN);
	return perso_step("ISSUE", perso_transmit(SC_CLA_PROPRIETARY, SC_INS_ISSUE, 0, 0, NULL, 0, 0,
						   r, sizeof r, &n));
}

static void perso_usage(void)
{
	fprintf(stderr, "usage: sigcard-card --flash PATH [--transport-key-file FILE] personalise "
			"--perso FILE --pin-file FILE [--export FILE]\n");
}

struct perso_job *perso_load(int argc, char **argv, int *status)
{
	static const struct option longopts[] = {
		{"perso", required_argument, NULL, 'p'},
		{"pin-file", required_argument, NULL, 'P'},
		{"export", required_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	static struct perso_job job;
	const char *perso_path = NULL, *pin_path = NULL, *why;
	char text[PERSO_FILE_MAX];
	int c, rc;
	memset(&job, 0, sizeof job);
	*status = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': perso_path = optarg; break;
		case 'P': pin_path = optarg; break;
		case 'e': job.export_path = optarg; break;
		default: perso_usage(); return NULL;
		}
	}
	if (optind < argc || perso_path == NULL || pin_path == NULL) {
		fprintf(stderr, "sigcard-card: personalise: %s%s\n",
			optind < argc ? "unexpected argument " : perso_path == NULL
				? "--perso FILE is required" : "--pin-file FILE is required",
			optind < argc ? argv[optind] : "");
		perso_usage();
		return NULL;
	}
	*status = 1;
	/* The record is written after ISSUE, which cannot be undone: an
	 * export path that will be refused is refused now. */
	if (job.export_path != NULL && (rc = af_check(job.export_path, 0)) != 0) {
		perso_fail(job.export_path, af_strerror(rc));
		return NULL;
	}
	if (priv_file_read(perso_path, text, sizeof text, &why) != 0) {
		perso_fail(perso_path, why);
		return NULL;
	}
	rc = perso_parse(text, &job);
	sc_wipe(text, sizeof text);
	if (rc == 0)
		rc = perso_read_pin(pin_path, job.pin);
	if (rc != 0) {
		sc_wipe(&job, sizeof job);
		return NULL;
	}
	*status = 0;
	return &job;
}

int perso_apply(struct perso_job *job, const uint8_t transport_key[CARD_TRANSPORT_KEY_LEN])
{
	uint8_t pub[SC_PUBKEY_LEN];
	int rc = 0;
	if (card_boot(host_card()) != 0)
		rc = perso_fail("card", "cannot read its flash");
	if (rc == 0) {
		card_field(host_card(), CARD_IFACE_CONTACT, 1);
		rc = perso_run(job, transport_key, pub);
		card_field(host_card(), CARD_IFACE_CONTACT, 0);
	}
	if (rc == 0)
		rc = perso_record_write(job->export_path, job->card_id, job->account, pub);
	sc_wipe(job, sizeof *job);
	return rc;
}

/* GET DATA of one of the card's public items into out; its length, or -1
 * after saying why. */
static int perso_get_data(const char *what, uint16_t tag, uint8_t *out, size_t cap)
{
	size_t n;
	int sw = perso_transmit(SC_CLA_ISO, SC_INS_GET_DATA, (uint8_t)(tag >> 8), (uint8_t)tag,
				NULL, 0, 256, out, cap, &n);
	if (perso_step(what, sw) != 0)
		return -1;
	return (int)n;
}

/* The record of the issued card on the open flash, read back through the
 * applet's GET DATA as any reader would: id, public key, account. */
static int perso_reread(const char *path)
{
	uint8_t r[128], id[SC_CARD_ID_LEN], pub[SC_PUBKEY_LEN];
	char account[SC_ACCOUNT_MAX + 1];
	int got;

	if (perso_select() != 0)
		return 1;
	got = perso_get_data("GET DATA lifecycle", SC_TAG_LIFECYCLE, r, sizeof r);
	if (got < 0)
		return 1;
	if (got != 1 || (r[0] != SC_LIFECYCLE_ISSUED && r[0] != SC_LIFECYCLE_BLOCKED))
		return perso_fail("export-record",
				  "the card is not issued: personalise it (no record to export)");
	if (perso_get_data("GET DATA card id", SC_TAG_CARD_ID, id, sizeof id) !=
		    (int)sizeof id ||
	    perso_get_data("GET DATA public key", SC_TAG_PUBKEY, pub, sizeof pub) !=
		    (int)sizeof pub)
		return perso_fail("export-record", "the card's id or public key is missing");
	got = perso_get_data("GET DATA account", SC_TAG_ACCOUNT, (uint8_t *)account,
			     sizeof account - 1);
	if (got <= 0)
		return perso_fail("export-record", "the card's account is missing");
	account[got] = '\0';
	if (pub[0] != 0x04 || sc_account_id_valid(account) != 0)
		return perso_fail("export-record", "the card's public data does not parse");
	return perso_record_write(path, id, account, pub);
}

int perso_export_load(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"export", required_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	int c;

	perso_export_path = NULL;
	perso_cmd = "export-record";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'e')
			break;
		perso_export_path = optarg;
	}
	if (c != -1 || optind < argc) {
		fprintf(stderr, "usage: sigcard-card --flash PATH export-record [--export FILE]\n");
		return 2;
	}
	return 0;
}

int perso_export_apply(void)
{
	int rc = 0;
	if (card_boot(host_card()) != 0)
		rc = perso_fail("card", "cannot read its flash");
	if (rc == 0) {
		card_field(host_card(), CARD_IFACE_CONTACT, 1);
		rc = perso_reread(perso_export_path);
		card_field(host_card(), CARD_IFACE_CONTACT, 0);
	}
	return rc;
}
