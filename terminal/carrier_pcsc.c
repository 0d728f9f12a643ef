/* The pcsc: carrier: a reader of pcscd, by name, through libpcsclite. The
 * emulated card reaches it through vpcd; a real card through any reader.
 * PC/SC return codes become the terminal's failure classes here, with the
 * code's name in the message, so "no card" and "card pulled" stay distinct. */
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>

#include "terminal/terminal.h"

struct pcsc_name {
	LONG rv;
	const char *name;
};

static const struct pcsc_name pcsc_names[] = {
	{(LONG)SCARD_E_NO_SERVICE, "SCARD_E_NO_SERVICE"},
	{(LONG)SCARD_E_SERVICE_STOPPED, "SCARD_E_SERVICE_STOPPED"},
	{(LONG)SCARD_E_UNKNOWN_READER, "SCARD_E_UNKNOWN_READER"},
	{(LONG)SCARD_E_NO_READERS_AVAILABLE, "SCARD_E_NO_READERS_AVAILABLE"},
	{(LONG)SCARD_E_READER_UNAVAILABLE, "SCARD_E_READER_UNAVAILABLE"},
	{(LONG)SCARD_E_NO_SMARTCARD, "SCARD_E_NO_SMARTCARD"},
	{(LONG)SCARD_W_REMOVED_CARD, "SCARD_W_REMOVED_CARD"},
	{(LONG)SCARD_W_RESET_CARD, "SCARD_W_RESET_CARD"},
	{(LONG)SCARD_W_UNPOWERED_CARD, "SCARD_W_UNPOWERED_CARD"},
	{(LONG)SCARD_W_UNRESPONSIVE_CARD, "SCARD_W_UNRESPONSIVE_CARD"},
	{(LONG)SCARD_W_UNSUPPORTED_CARD, "SCARD_W_UNSUPPORTED_CARD"},
	{(LONG)SCARD_E_SHARING_VIOLATION, "SCARD_E_SHARING_VIOLATION"},
	{(LONG)SCARD_E_PROTO_MISMATCH, "SCARD_E_PROTO_MISMATCH"},
	{(LONG)SCARD_E_COMM_DATA_LOST, "SCARD_E_COMM_DATA_LOST"},
	{(LONG)SCARD_E_NOT_TRANSACTED, "SCARD_E_NOT_TRANSACTED"},
	{(LONG)SCARD_E_TIMEOUT, "SCARD_E_TIMEOUT"},
	{(LONG)SCARD_E_INSUFFICIENT_BUFFER, "SCARD_E_INSUFFICIENT_BUFFER"},
	{(LONG)SCARD_E_INVALID_HANDLE, "SCARD_E_INVALID_HANDLE"},
	{(LONG)SCARD_E_INVALID_PARAMETER, "SCARD_E_INVALID_PARAMETER"},
	{(LONG)SCARD_E_NO_MEMORY, "SCARD_E_NO_MEMORY"},
	{(LONG)SCARD_F_INTERNAL_ERROR, "SCARD_F_INTERNAL_ERROR"},
	{(LONG)SCARD_F_COMM_ERROR, "SCARD_F_COMM_ERROR"},
};

static const char *pcsc_name(LONG rv)
{
	for (size_t i = 0; i < sizeof pcsc_names / sizeof pcsc_names[0]; i++)
		if (pcsc_names[i].rv == rv)
			return pcsc_names[i].name;
	return "SCARD_?";
}

/* The class of a PC/SC failure: during_command says the card was already
 * connected, so a vanished card is "removed", not "absent". */
static enum term_exit pcsc_class(LONG rv, int during_command)
{
	switch (rv) {
	case (LONG)SCARD_E_NO_SERVICE:
	case (LONG)SCARD_E_SERVICE_STOPPED:
	case (LONG)SCARD_E_UNKNOWN_READER:
	case (LONG)SCARD_E_NO_READERS_AVAILABLE:
	case (LONG)SCARD_E_READER_UNAVAILABLE:
		return during_command ? TERM_EXIT_CARD_REMOVED : TERM_EXIT_CARD_ABSENT;
	case (LONG)SCARD_E_NO_SMARTCARD:
	case (LONG)SCARD_W_REMOVED_CARD:
	case (LONG)SCARD_W_RESET_CARD:
		return during_command ? TERM_EXIT_CARD_REMOVED : TERM_EXIT_CARD_ABSENT;
	case (LONG)SCARD_W_UNPOWERED_CARD:
	case (LONG)SCARD_W_UNRESPONSIVE_CARD:
	case (LONG)SCARD_W_UNSUPPORTED_CARD:
	case (LONG)SCARD_E_SHARING_VIOLATION:
	case (LONG)SCARD_E_PROTO_MISMATCH:
	case (LONG)SCARD_E_COMM_DATA_LOST:
	case (LONG)SCARD_E_TIMEOUT:
	case (LONG)SCARD_E_INSUFFICIENT_BUFFER:
	case (LONG)SCARD_F_COMM_ERROR:
		return TERM_EXIT_CARD_ERROR;
	default:
		return TERM_EXIT_FAILURE;
	}
}

static const char *pcsc_hint(LONG rv)
{
	switch (rv) {
	case (LONG)SCARD_E_NO_SERVICE:
	case (LONG)SCARD_E_SERVICE_STOPPED:
		return " (is pcscd running?)";
	case (LONG)SCARD_E_SHARING_VIOLATION:
		return " (another program holds the card)";
	default:
		return "";
	}
}

static int pcsc_fail(struct term_carrier *c, LONG rv, const char *call, int during_command)
{
	return term_errf(c->err, sizeof c->err, pcsc_class(rv, during_command),
			 "%s: %s: %s (%s)%s", c->spec, call, pcsc_stringify_error(rv),
			 pcsc_name(rv), pcsc_hint(rv));
}

static int pcsc_context(struct term_carrier *c)
{
	if (c->pcsc_has_ctx)
		return 0;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->pcsc_ctx);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(c, rv, "SCardEstablishContext", 0);
	c->pcsc_has_ctx = 1;
	return 0;
}

/* An unknown reader name is the usual mistake: list the names pcscd knows. */
static int unknown_reader(struct term_carrier *c, LONG rv)
{
	char names[1024] = "";
	DWORD len = 0;
	char *multi = NULL;
	if (SCardListReaders(c->pcsc_ctx, NULL, NULL, &len) == SCARD_S_SUCCESS && len > 0 &&
	    (multi = malloc(len)) != NULL &&
	    SCardListReaders(c->pcsc_ctx, NULL, multi, &len) == SCARD_S_SUCCESS) {
		size_t at = 0;
		for (const char *r = multi; *r != '\0' && at < sizeof names; r += strlen(r) + 1) {
			int n = snprintf(names + at, sizeof names - at, "%s\"%s\"",
					 at ? ", " : "", r);
			if (n < 0)
				break;
			at += (size_t)n;
		}
	}
	free(multi);
	return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
			 "%s: no reader named \"%s\" (%s); readers: %s", c->spec, c->reader,
			 pcsc_name(rv), names[0] ? names : "none");
}

static int pcsc_power_on(struct term_carrier *c, uint8_t *atr, size_t cap, size_t *atr_len)
{
	int rc = pcsc_context(c);
	if (rc != 0)
		return rc;
	if (c->pcsc_connected) {
		SCardDisconnect(c->pcsc_card, SCARD_RESET_CARD);
		c->pcsc_connected = 0;
	}
	/* Exclusive: no other program may talk to the card between our SIGN
	 * and the moment it leaves the reader. */
	LONG rv = SCardConnect(c->pcsc_ctx, c->reader, SCARD_SHARE_EXCLUSIVE,
			       SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->pcsc_card,
			       &c->pcsc_proto);
	if (rv == (LONG)SCARD_E_UNKNOWN_READER || rv == (LONG)SCARD_E_READER_UNAVAILABLE)
		return unknown_reader(c, rv);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(c, rv, "SCardConnect", 0);
	c->pcsc_connected = 1;

	char name[256];
	DWORD name_len = sizeof name, state = 0, proto = 0;
	BYTE buf[MAX_ATR_SIZE];
	DWORD buf_len = sizeof buf;
	rv = SCardStatus(c->pcsc_card, name, &name_len, &state, &proto, buf, &buf_len);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(c, rv, "SCardStatus", 1);
	if (buf_len > cap)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: an ATR of %lu bytes is too long", c->spec,
				 (unsigned long)buf_len);
	memcpy(atr, buf, buf_len);
	*atr_len = buf_len;
	return 0;
}

static int pcsc_transmit(struct term_carrier *c, const uint8_t *capdu, size_t len,
			 uint8_t *rapdu, size_t cap, size_t *rlen)
{
	if (!c->pcsc_connected)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
				 "%s: the card is not powered (no power on)", c->spec);
	const SCARD_IO_REQUEST *pci =
		c->pcsc_proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD out_len = cap > 0xFFFFFFu ? 0xFFFFFFu : (DWORD)cap;
	LONG rv = SCardTransmit(c->pcsc_card, pci, capdu, (DWORD)len, NULL, rapdu, &out_len);
	if (rv != SCARD_S_SUCCESS) {
		int rc = pcsc_fail(c, rv, "SCardTransmit", 1);
		if (rc == -TERM_EXIT_CARD_REMOVED) {
			SCardDisconnect(c->pcsc_card, SCARD_LEAVE_CARD);
			c->pcsc_connected = 0;
		}
		return rc;
	}
	*rlen = out_len;
	return 0;
}

static int pcsc_power_off(struct term_carrier *c)
{
	if (!c->pcsc_connected)
		return 0;
	/* Unpower: to the card this is leaving the reader (claim 7 starts). A
	 * card already gone has left anyway, so the result does not matter. */
	(void)SCardDisconnect(c->pcsc_card, SCARD_UNPOWER_CARD);
	c->pcsc_connected = 0;
	return 0;
}

static int pcsc_present(struct term_carrier *c)
{
	int rc = pcsc_context(c);
	if (rc != 0)
		return rc;
	SCARD_READERSTATE st;
	memset(&st, 0, sizeof st);
	st.szReader = c->reader;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	LONG rv = SCardGetStatusChange(c->pcsc_ctx, 0, &st, 1);
	if (rv == (LONG)SCARD_E_UNKNOWN_READER || rv == (LONG)SCARD_E_READER_UNAVAILABLE)
		return 0;
	if (rv != SCARD_S_SUCCESS && rv != (LONG)SCARD_E_TIMEOUT)
		return pcsc_fail(c, rv, "SCardGetStatusChange", 0);
	return (st.dwEventState & SCARD_STATE_PRESENT) != 0;
}

static void pcsc_close(struct term_carrier *c)
{
	if (c->pcsc_connected)
		SCardDisconnect(c->pcsc_card, SCARD_LEAVE_CARD);
	c->pcsc_connected = 0;
	if (c->pcsc_has_ctx)
		SCardReleaseContext(c->pcsc_ctx);
	c->pcsc_has_ctx = 0;
}

const struct term_carrier_ops term_carrier_pcsc_ops = {
	.kind = "pcsc",
	.power_on = pcsc_power_on,
	.transmit = pcsc_transmit,
	.power_off = pcsc_power_off,
	.present = pcsc_present,
	.close = pcsc_close,
};
