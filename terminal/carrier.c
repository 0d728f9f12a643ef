/* Carrier selection by spec, and the ISO 7816-4 exchange every carrier
 * shares: 61xx answered by GET RESPONSE, 6Cxx by resending with the right
 * Le, so the flow above sees one command and one complete answer. */
#include <stdlib.h>
#include <string.h>

#include "common/apdu.h"
#include "common/errors.h"
#include "common/scheme.h"
#include "common/sw.h"
#include "terminal/terminal.h"

/* A card that keeps saying 61xx is broken; stop long before RAM runs out. */
#define GET_RESPONSE_MAX_ROUNDS 64

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int term_carrier_open(struct term_carrier *c, const char *spec, int timeout_ms)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	if (spec == NULL || spec[0] == '\0')
		return term_errf(c->err, sizeof c->err, TERM_EXIT_USAGE, "empty card carrier");
	if (strlen(spec) >= sizeof c->spec)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_USAGE,
				 "card carrier spec too long (at most %zu bytes)", sizeof c->spec - 1);
	memcpy(c->spec, spec, strlen(spec) + 1);

	if (starts_with(spec, "unix:")) {
		const char *path = spec + 5;
		if (path[0] == '\0' || strlen(path) >= sizeof c->path)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_USAGE,
					 "'%s': a socket path of 1..%zu bytes is needed after unix:",
					 spec, sizeof c->path - 1);
		memcpy(c->path, path, strlen(path) + 1);
		c->ops = &term_carrier_unix_ops;
		return 0;
	}
	if (starts_with(spec, "pcsc:")) {
		const char *reader = spec + 5;
		if (reader[0] == '\0' || strlen(reader) >= sizeof c->reader)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_USAGE,
					 "'%s': a reader name of 1..%zu bytes is needed after pcsc:"
					 " (pcsc_scan lists them)", spec, sizeof c->reader - 1);
		memcpy(c->reader, reader, strlen(reader) + 1);
		c->ops = &term_carrier_pcsc_ops;
		return 0;
	}
	if (starts_with(spec, "nfc:")) {
		const char *cs = spec + 4;
		if (cs[0] == '\0' || strchr(cs, ':') == NULL || strlen(cs) >= sizeof c->connstring)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_USAGE,
					 "'%s': a libnfc connstring (DRIVER:PORT, e.g."
					 " pn532_uart:/dev/ttyUSB0) is needed after nfc:", spec);
		memcpy(c->connstring, cs, strlen(cs) + 1);
		c->ops = &term_carrier_nfc_ops;
		return 0;
	}
	return term_errf(c->err, sizeof c->err, TERM_EXIT_USAGE,
			 "'%s': unknown carrier; expected unix:PATH, pcsc:READER NAME or"
			 " nfc:CONNSTRING", spec);
}

void term_carrier_close(struct term_carrier *c)
{
	if (c->ops != NULL)
		c->ops->close(c);
	c->ops = NULL;
}

static int not_open(struct term_carrier *c)
{
	return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE, "carrier not opened");
}

int term_carrier_power_on(struct term_carrier *c, uint8_t *atr, size_t cap, size_t *atr_len)
{
	return c->ops ? c->ops->power_on(c, atr, cap, atr_len) : not_open(c);
}

int term_carrier_power_off(struct term_carrier *c)
{
	return c->ops ? c->ops->power_off(c) : not_open(c);
}

int term_carrier_present(struct term_carrier *c)
{
	return c->ops ? c->ops->present(c) : not_open(c);
}

/* Appends the data part of an R-APDU to out; keeps its status word. */
static int take_rapdu(struct term_carrier *c, const uint8_t *raw, size_t rlen, uint8_t *out,
		      size_t cap, size_t *have, uint16_t *sw)
{
	const uint8_t *d;
	size_t dlen;
	if (sc_rapdu_parse(raw, rlen, &d, &dlen, sw) != 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: the card answered %zu byte(s), not an R-APDU", c->spec, rlen);
	if (dlen > cap - *have)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: the card's answer is longer than the %zu bytes expected",
				 c->spec, cap);
	if (dlen > 0)
		memcpy(out + *have, d, dlen);
	*have += dlen;
	return 0;
}

int term_carrier_apdu(struct term_carrier *c, const uint8_t *capdu, size_t len,
		      uint8_t *data, size_t cap, size_t *data_len, uint16_t *sw)
{
	if (c->ops == NULL)
		return not_open(c);
	if (len < 4)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "a C-APDU of %zu bytes is too short", len);
	uint8_t *raw = malloc(TERM_RAPDU_MAX);
	uint8_t *again = NULL;
	if (raw == NULL)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE, "out of memory");
	size_t rlen = 0;
	*data_len = 0;
	*sw = 0;
	int rc = c->ops->transmit(c, capdu, len, raw, TERM_RAPDU_MAX, &rlen);
	if (rc == 0 && rlen == 2 && (raw[0] == 0x6Cu)) {
		/* Wrong Le: the card told us the right one; send it once more. */
		struct sc_apdu a;
		again = malloc(SC_APDU_MAX_CMD);
		if (again == NULL) {
			rc = term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE, "out of memory");
		} else if (sc_apdu_parse(&a, capdu, len) != 0) {
			rc = term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				       "%s: 6Cxx answer to a command that could not be reparsed",
				       c->spec);
		} else {
			size_t le = raw[1] == 0 ? 256u : raw[1];
			int n = sc_apdu_build(again, SC_APDU_MAX_CMD, a.cla, a.ins, a.p1, a.p2,
					      a.data, a.lc, le);
			if (n < 0)
				rc = term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
					       "%s: cannot resend with Le %zu: %s", c->spec, le,
					       sc_strerror(n));
			else
				rc = c->ops->transmit(c, again, (size_t)n, raw, TERM_RAPDU_MAX,
						      &rlen);
		}
	}
	if (rc == 0)
		rc = take_rapdu(c, raw, rlen, data, cap, data_len, sw);
	for (int round = 0; rc == 0 && (*sw & 0xFF00u) == SW_BYTES_REMAINING_00; round++) {
		if (round == GET_RESPONSE_MAX_ROUNDS) {
			rc = term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				       "%s: the card kept answering 61xx", c->spec);
			break;
		}
		uint8_t get[5] = {(uint8_t)(capdu[0] & 0x03u), SC_INS_GET_RESPONSE, 0, 0,
				  (uint8_t)(*sw & 0xFFu)};
		rc = c->ops->transmit(c, get, sizeof get, raw, TERM_RAPDU_MAX, &rlen);
		if (rc == 0)
			rc = take_rapdu(c, raw, rlen, data, cap, data_len, sw);
	}
	/* Answers carry the joint password (GET JOINT PASSWORD): wipe them. */
	sc_wipe(raw, TERM_RAPDU_MAX);
	free(again);
	free(raw);
	return rc;
}
