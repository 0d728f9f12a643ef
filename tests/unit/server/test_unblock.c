/* The issuer-script path of a PIN unblock on a real server (server/unblock.c,
 * docs/PROTOCOL.md §6 "Issuer scripts"): no approval gives no script; an
 * approval gives exactly one, MAC'd under K_card for the challenge asked;
 * the report is recorded once, for that challenge only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "common/issuer_script.h"
#include "common/sw.h"
#include "mbedtls/md.h"
#include "server_fixture.h"

/* Approves an unblock of card id as `card unblock-pin` does: 0 or -1;
 * *already as srv_unblock_approve sets it. */
static int approve(struct fx *f, const uint8_t id[SC_CARD_ID_LEN], int *already)
{
	struct srv_db db;
	char err[256];
	int rc;

	if (srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)) != 0)
		return -1;
	rc = srv_unblock_approve(&db, id, already, err, sizeof(err));
	srv_db_close(&db);
	return rc;
}

static void ref_of(struct sc_script_ref *r, const struct soft_card *c, uint8_t fill)
{
	memcpy(r->card_id, c->id, SC_CARD_ID_LEN);
	memset(r->challenge, fill, SC_CARD_CHALLENGE_LEN);
}

/* GET ISSUER SCRIPT for r: the result code, or 0 with *s set when the
 * answer is an ISSUER SCRIPT. */
static int get_script(int fd, const struct sc_script_ref *r, struct sc_issuer_script *s)
{
	uint8_t body[SC_SCRIPT_MSG_MAX];
	struct fx_reply rep;
	int n = sc_get_issuer_script_encode(body, sizeof(body), r);
	int code;

	assert_true(n > 0);
	code = fx_send(fd, body, (size_t)n, &rep);
	if (code >= 0)
		return code;
	assert_int_equal(sc_issuer_script_decode(s, rep.buf, rep.len), 0);
	return 0;
}

/* SCRIPT REPORT: the result code, or 0 for SCRIPT RECORDED. */
static int send_report(int fd, const struct sc_script_ref *r, uint16_t sw)
{
	uint8_t body[SC_SCRIPT_MSG_MAX];
	struct fx_reply rep;
	int n = sc_script_report_encode(body, sizeof(body), r, sw);
	int code;

	assert_true(n > 0);
	code = fx_send(fd, body, (size_t)n, &rep);
	if (code >= 0)
		return code;
	assert_int_equal(sc_script_recorded_decode(rep.buf, rep.len), 0);
	return 0;
}

/* The command the card must get, computed apart from the server's OpenSSL
 * code: common's K_card and the card's own MAC input under mbedTLS. */
static void expected_apdu(struct fx *f, const struct sc_script_ref *r,
			  uint8_t apdu[SC_UNBLOCK_APDU_LEN])
{
	uint8_t k[SC_KCARD_LEN], msg[SC_UNBLOCK_MSG_LEN], mac[SC_ISSUER_MAC_LEN];

	assert_int_equal(sc_kcard_derive(f->master, r->card_id, k), 0);
	sc_unblock_mac_input(msg, r);
	assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), k, sizeof(k),
					 msg, sizeof(msg), mac), 0);
	sc_unblock_apdu(apdu, mac);
}

static void no_approval_no_script(void **state)
{
	struct fx *f = *state;
	struct sc_script_ref r;
	struct sc_issuer_script s;
	int fd = fx_connect(f);

	ref_of(&r, &f->a1, 0x11);
	assert_int_equal(get_script(fd, &r, &s), SC_RES_NO_ISSUER_SCRIPT);
	assert_int_equal(send_report(fd, &r, SW_NO_ERROR), SC_RES_NO_ISSUER_SCRIPT);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM pin_unblocks"), 0);
	/* an unknown card, and one the issuer blocked */
	memset(r.card_id, 0x77, SC_CARD_ID_LEN);
	assert_int_equal(get_script(fd, &r, &s), SC_RES_UNKNOWN_CARD);
	close(fd);
}

static void approval_gives_one_script(void **state)
{
	struct fx *f = *state;
	struct sc_script_ref r, other;
	struct sc_issuer_script s;
	uint8_t want[SC_UNBLOCK_APDU_LEN];
	int already = -1, fd = fx_connect(f);

	assert_int_equal(approve(f, f->a1.id, &already), 0);
	assert_int_equal(already, 0);
	assert_int_equal(approve(f, f->a1.id, &already), 0);
	assert_int_equal(already, 1); /* still one approval, not two */
	ref_of(&r, &f->a1, 0x22);
	assert_int_equal(get_script(fd, &r, &s), 0);
	assert_memory_equal(&s.ref, &r, sizeof(r));
	expected_apdu(f, &r, want);
	assert_int_equal(s.apdu_len, sizeof(want));
	assert_memory_equal(s.apdu, want, sizeof(want));
	/* spent at delivery: not for the same challenge, nor for a new one */
	assert_int_equal(get_script(fd, &r, &s), SC_RES_NO_ISSUER_SCRIPT);
	ref_of(&other, &f->a1, 0x23);
	assert_int_equal(get_script(fd, &other, &s), SC_RES_NO_ISSUER_SCRIPT);
	/* nor for another card */
	ref_of(&other, &f->a2, 0x22);
	assert_int_equal(get_script(fd, &other, &s), SC_RES_NO_ISSUER_SCRIPT);
	assert_int_equal(fx_count(f, "SELECT state FROM pin_unblocks"), 1);

	/* the report counts for the delivered challenge only, and once */
	ref_of(&other, &f->a1, 0x23);
	assert_int_equal(send_report(fd, &other, SW_NO_ERROR), SC_RES_NO_ISSUER_SCRIPT);
	assert_int_equal(send_report(fd, &r, SW_NO_ERROR), 0);
	assert_int_equal(fx_count(f, "SELECT state FROM pin_unblocks"), 2);
	assert_int_equal(fx_count(f, "SELECT sw FROM pin_unblocks"), 0x9000);
	assert_int_equal(send_report(fd, &r, SW_SECURITY_STATUS_NOT_SATISFIED),
			 SC_RES_NO_ISSUER_SCRIPT);
	assert_int_equal(fx_count(f, "SELECT sw FROM pin_unblocks"), 0x9000);
	close(fd);
}

static void refusal_recorded_and_reapproval(void **state)
{
	struct fx *f = *state;
	struct sc_script_ref r;
	struct sc_issuer_script s;
	struct srv_db db;
	char err[256], line[256];
	int already = 0, fd = fx_connect(f);

	assert_int_equal(approve(f, f->b.id, &already), 0);
	ref_of(&r, &f->b, 0x33);
	assert_int_equal(get_script(fd, &r, &s), 0);
	assert_int_equal(send_report(fd, &r, SW_SECURITY_STATUS_NOT_SATISFIED), 0);
	assert_int_equal(fx_count(f, "SELECT state FROM pin_unblocks"), 3);
	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_unblock_describe(&db, f->b.id, line, sizeof(line)), 1);
	assert_non_null(strstr(line, "refused by the card (6982"));
	assert_int_equal(srv_unblock_describe(&db, f->c.id, line, sizeof(line)), 0);
	srv_db_close(&db);
	/* the issuer approves again: one more script, for a new challenge */
	assert_int_equal(approve(f, f->b.id, &already), 0);
	assert_int_equal(already, 0);
	ref_of(&r, &f->b, 0x34);
	assert_int_equal(get_script(fd, &r, &s), 0);
	assert_int_equal(get_script(fd, &r, &s), SC_RES_NO_ISSUER_SCRIPT);
	close(fd);
}

static void blocked_and_unknown_cards(void **state)
{
	struct fx *f = *state;
	struct sc_script_ref r;
	struct sc_issuer_script s;
	struct srv_db db;
	uint8_t unknown[SC_CARD_ID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9};
	char err[256];
	int already = 0, fd = fx_connect(f);
	const uint8_t junk[] = {SC_MSG_GET_ISSUER_SCRIPT, 1, 2, 3};
	struct fx_reply rep;

	assert_int_equal(approve(f, unknown, &already), -1);
	assert_int_equal(approve(f, f->c.id, &already), 0);
	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_card_set_status(&db, f->c.id, CARD_BLOCKED, err, sizeof(err)), 0);
	srv_db_close(&db);
	/* a card the issuer blocked gets no script, and keeps its approval */
	ref_of(&r, &f->c, 0x44);
	assert_int_equal(get_script(fd, &r, &s), SC_RES_NO_ISSUER_SCRIPT);
	assert_int_equal(fx_count(f, "SELECT state FROM pin_unblocks"), 0);
	assert_int_equal(approve(f, f->c.id, &already), -1);
	/* a malformed request: MALFORMED, the peer dropped */
	assert_int_equal(fx_send(fd, junk, sizeof(junk), &rep), SC_RES_MALFORMED);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest both[] = {
		fx_unit_test(no_approval_no_script),
		fx_unit_test(approval_gives_one_script),
		fx_unit_test(refusal_recorded_and_reapproval),
		fx_unit_test(blocked_and_unknown_cards),
	};

	return FX_RUN_ALL("server PIN unblock", both);
}
