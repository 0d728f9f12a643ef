/* The persistent store: a journal of whole-state records over the HAL's
 * flash pages, so a commit is one record program and a power cut at any
 * single write leaves the old state or the new one, never a mix.
 *
 * Flash layout: every page holds slots of STORE_SLOT bytes; a record is
 *   magic "SCS1" (4) | seq (4) | format (1) | payload length (2) | 00 |
 *   payload | CRC-32 of everything before it (4)
 * padded with 0xFF to the slot. Mount takes the valid record (magic, length
 * and CRC) with the highest seq. Records are written in slot order; a page
 * is erased just before its first slot is written, and since the newest
 * record always lies in the page before, an erase never touches it. After a
 * mount the next record goes to the start of the page after the newest one,
 * so the card never programs over bytes a torn write may have left.
 *
 * RAM holds the state once (struct core_store): a transaction changes it in
 * place, a commit writes it, and an abort reads the committed record back
 * from flash, which always holds it. */
#include <string.h>

#include "core.h"

#define STORE_MAGIC 0x53435331u /* "SCS1" */
#define STORE_FORMAT 1u
/* The sizes are in card/core_state.h, where the slot buffer is. */
#define STORE_HDR CORE_STORE_HDR
#define STORE_PAYLOAD CORE_STORE_PAYLOAD
#define STORE_RECORD CORE_STORE_RECORD
#define STORE_SLOT CORE_STORE_SLOT

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void encode_payload(struct sc_writer *w, const struct core_persist *p)
{
	uint8_t account[SC_ACCOUNT_MAX];
	size_t alen = 0;

	while (alen < SC_ACCOUNT_MAX && p->account[alen] != '\0')
		alen++;
	memset(account, 0, sizeof account);
	memcpy(account, p->account, alen);
	sc_put_u8(w, p->lifecycle);
	sc_put_u8(w, p->have);
	sc_put_bytes(w, p->transport_key, sizeof p->transport_key);
	sc_put_bytes(w, p->card_id, sizeof p->card_id);
	sc_put_bytes(w, p->kcard, sizeof p->kcard);
	sc_put_u8(w, p->pin_len);
	sc_put_bytes(w, p->pin, sizeof p->pin);
	sc_put_u8(w, p->pin_tries);
	sc_put_u8(w, (uint8_t)alen);
	sc_put_bytes(w, account, sizeof account);
	sc_put_bytes(w, p->privkey, sizeof p->privkey);
	sc_put_bytes(w, p->pubkey, sizeof p->pubkey);
	sc_put_u32(w, p->atc);
}

static int decode_payload(struct sc_reader *r, struct core_persist *p)
{
	size_t alen;

	memset(p, 0, sizeof *p);
	p->lifecycle = sc_get_u8(r);
	p->have = sc_get_u8(r);
	sc_get_bytes(r, p->transport_key, sizeof p->transport_key);
	sc_get_bytes(r, p->card_id, sizeof p->card_id);
	sc_get_bytes(r, p->kcard, sizeof p->kcard);
	p->pin_len = sc_get_u8(r);
	sc_get_bytes(r, p->pin, sizeof p->pin);
	p->pin_tries = sc_get_u8(r);
	alen = sc_get_u8(r);
	sc_get_bytes(r, (uint8_t *)p->account, SC_ACCOUNT_MAX);
	sc_get_bytes(r, p->privkey, sizeof p->privkey);
	sc_get_bytes(r, p->pubkey, sizeof p->pubkey);
	p->atc = sc_get_u32(r);
	/* A record that passed its CRC but holds values no commit writes is
	 * not trusted either. */
	if (r->err != 0 || alen > SC_ACCOUNT_MAX || p->pin_len > CORE_PIN_MAX ||
	    p->pin_tries > CORE_PIN_TRIES || (p->have & ~CORE_HAVE_ALL) != 0 ||
	    p->lifecycle < CORE_LC_PERSONALISING || p->lifecycle > CORE_LC_BLOCKED ||
	    memchr(p->account, '\0', alen) != NULL)
		return -1;
	p->account[alen] = '\0';
	return 0;
}

static int geometry(struct card_core *c)
{
	struct core_store *st = &c->store;
	struct hal_flash_geometry g;

	hal_flash_geometry(c->hal, &g);
	if (g.page_size < STORE_SLOT || g.page_count < 2u)
		return -1;
	st->page_size = g.page_size;
	st->page_count = g.page_count;
	st->slots_per_page = g.page_size / STORE_SLOT;
	return 0;
}

/* Writes the record for p with sequence seq at the next slot, erasing the
 * page first when the slot opens a page. The record is built on the stack
 * (it holds the private key, wiped after): a commit is never under the
 * ECDSA, the stack's deepest path, so it costs no RAM of its own. */
static int write_record(struct card_core *c, const struct core_persist *p, uint32_t seq)
{
	struct core_store *st = &c->store;
	uint8_t rec[STORE_SLOT];
	struct sc_writer w;
	uint32_t page = st->next_page, slot = st->next_slot;
	int rc = -1;

	memset(rec, 0xFF, sizeof rec);
	sc_writer_init(&w, rec, STORE_RECORD);
	sc_put_u32(&w, STORE_MAGIC);
	sc_put_u32(&w, seq);
	sc_put_u8(&w, STORE_FORMAT);
	sc_put_u16(&w, (uint16_t)STORE_PAYLOAD);
	sc_put_u8(&w, 0);
	encode_payload(&w, p);
	sc_put_u32(&w, crc32(rec, w.len));
	if (w.err != 0 || w.len != STORE_RECORD)
		goto out;

	/* The slot is consumed whatever happens, so a retry never programs
	 * over a torn record. */
	if (++st->next_slot == st->slots_per_page) {
		st->next_slot = 0;
		st->next_page = (st->next_page + 1u) % st->page_count;
	}
	if (slot == 0 && hal_flash_erase(c->hal, page) != 0)
		goto out;
	if (hal_flash_program(c->hal, page, slot * STORE_SLOT, rec, STORE_SLOT) == 0) {
		st->page = page;
		st->slot = slot;
		rc = 0;
	}
out:
	sc_wipe(rec, sizeof rec);
	return rc;
}

int store_format(struct card_core *c, const struct core_persist *initial)
{
	struct core_store *st = &c->store;

	st->mounted = false;
	if (geometry(c) != 0)
		return -1;
	/* Page 0 is erased by write_record, before its first slot. */
	for (uint32_t i = 1; i < st->page_count; i++)
		if (hal_flash_erase(c->hal, i) != 0)
			return -1;
	st->next_page = 0;
	st->next_slot = 0;
	if (write_record(c, initial, 1) != 0)
		return -1;
	st->state = *initial;
	st->open = false;
	st->seq = 1;
	st->mounted = true;
	return 0;
}

/* Reads and checks the record in one slot; 1 if valid (p and seq set).
 * The record is read onto the stack, wiped after (see write_record). */
static int read_slot(struct card_core *c, uint32_t page, uint32_t slot, struct core_persist *p,
		     uint32_t *seq)
{
	uint8_t rec[STORE_SLOT];
	struct sc_reader r;
	uint32_t magic, crc;
	uint16_t len;
	int ok, rc = 0;

	if (hal_flash_read(c->hal, page, slot * STORE_SLOT, rec, STORE_SLOT) != 0) {
		rc = -1;
		goto out;
	}
	sc_reader_init(&r, rec, STORE_RECORD);
	magic = sc_get_u32(&r);
	*seq = sc_get_u32(&r);
	ok = sc_get_u8(&r) == STORE_FORMAT;
	len = sc_get_u16(&r);
	(void)sc_get_u8(&r);
	if (magic != STORE_MAGIC || !ok || len != STORE_PAYLOAD || r.err != 0)
		goto out;
	crc = (uint32_t)rec[STORE_RECORD - 4u] << 24 | (uint32_t)rec[STORE_RECORD - 3u] << 16 |
	      (uint32_t)rec[STORE_RECORD - 2u] << 8 | rec[STORE_RECORD - 1u];
	if (crc != crc32(rec, STORE_RECORD - 4u))
		goto out;
	sc_reader_init(&r, rec + STORE_HDR, STORE_PAYLOAD);
	rc = decode_payload(&r, p) == 0 ? 1 : 0;
out:
	sc_wipe(rec, sizeof rec);
	return rc;
}

static bool holds_transport_key(const struct core_persist *p)
{
	uint8_t any = 0;

	for (size_t i = 0; i < sizeof p->transport_key; i++)
		any |= p->transport_key[i];
	return any != 0;
}

int store_scrub(struct card_core *c)
{
	struct core_store *st = &c->store;
	uint32_t keep;

	if (!st->mounted)
		return -1;
	/* A fresh page for the copy: never the one that holds the newest
	 * record, which must stand until the copy does. */
	if (st->next_slot != 0) {
		st->next_page = (st->next_page + 1u) % st->page_count;
		st->next_slot = 0;
	}
	keep = st->next_page;
	if (write_record(c, &st->state, st->seq + 1u) != 0)
		goto fail;
	st->seq++;
	for (uint32_t page = 0; page < st->page_count; page++)
		if (page != keep && hal_flash_erase(c->hal, page) != 0)
			goto fail;
	return 0;
fail:
	st->mounted = false;
	return -1;
}

int store_mount(struct card_core *c)
{
	struct core_store *st = &c->store;
	struct core_persist cand;
	uint32_t seq, best_seq = 0, best_page = 0, best_slot = 0;
	bool found = false, stale_key = false;

	st->mounted = false;
	if (geometry(c) != 0)
		return -1;
	for (uint32_t page = 0; page < st->page_count; page++) {
		for (uint32_t slot = 0; slot < st->slots_per_page; slot++) {
			int v = read_slot(c, page, slot, &cand, &seq);
			if (v < 0)
				return -1;
			if (v == 1 && holds_transport_key(&cand))
				stale_key = true;
			if (v == 1 && (!found || seq > best_seq)) {
				found = true;
				best_seq = seq;
				best_page = page;
				best_slot = slot;
				st->state = cand;
			}
		}
	}
	sc_wipe(&cand, sizeof cand);
	if (!found)
		return -1;
	st->seq = best_seq;
	st->open = false;
	st->page = best_page;
	st->slot = best_slot;
	st->next_page = (best_page + 1u) % st->page_count;
	st->next_slot = 0;
	st->mounted = true;
	/* A power cut during the scrub that follows ISSUE can leave records
	 * that still hold the transport key: finish the job now. */
	if (stale_key && st->state.lifecycle != CORE_LC_PERSONALISING)
		return store_scrub(c);
	return 0;
}

const struct core_persist *store_committed(const struct card_core *c)
{
	return &c->store.state;
}

struct core_persist *store_begin(struct card_core *c)
{
	struct core_store *st = &c->store;

	/* An earlier transaction left open (a command refused after
	 * store_begin) is dropped, so that this one starts from the
	 * committed state. */
	if (st->open)
		store_abort(c);
	st->open = true;
	return &st->state;
}

int store_commit(struct card_core *c)
{
	struct core_store *st = &c->store;

	st->open = false;
	if (!st->mounted || st->seq == UINT32_MAX)
		goto fail;
	if (write_record(c, &st->state, st->seq + 1u) != 0)
		goto fail;
	st->seq++;
	return 0;
fail:
	/* Power is gone as far as the card knows: what is on flash (the old
	 * state or the new one) is decided at the next mount, and the state in
	 * RAM counts for nothing until then. */
	st->mounted = false;
	return -1;
}

void store_abort(struct card_core *c)
{
	struct core_store *st = &c->store;
	uint32_t seq;

	st->open = false;
	sc_wipe(&st->state, sizeof st->state);
	/* The committed record is where the last write or the mount left it;
	 * if it cannot be read back, commits are refused until store_mount. */
	if (!st->mounted || read_slot(c, st->page, st->slot, &st->state, &seq) != 1 ||
	    seq != st->seq)
		st->mounted = false;
}

uint32_t store_seq(const struct card_core *c)
{
	return c->store.seq;
}
