/* The board's contactless front end: an NXP PN532 on UART2, driven over
 * the chip's high-speed UART (HSU) protocol (PN532 User Manual UM0701-02
 * §6.2) in target mode, as the host emulator drives one through libnfc
 * (card/host/nfc_target.c), with the same ATQA, SAK, UID and ATS rules:
 *
 *   wake-up (0x55 then zeros) and SAMConfiguration (normal mode), then
 *   SetParameters (the chip answers RATS itself: ISO/IEC 14443-4 PICC),
 *   TgInitAsTarget as a 14443-4A card; once a reader selects it, TgGetData
 *   (a C-APDU, chained by the chip with the MI bit) -> the carrier engine
 *   and the core -> TgSetData (the R-APDU), until a status says the reader
 *   released the card or the field went (0x29 and the like): then the
 *   card left the reader and the chip is armed again.
 *
 * Every frame is checked (LCS, DCS, TFI, the answer's command code); the
 * chip ACKs each command, and a command without ACK in ACK_MS is sent
 * again (a NACK too), a reply with a bad checksum is NACKed (the chip sends
 * it again), and a command whose answer is late (REPLY_MS; not the ones
 * that wait for a reader) is aborted with an ACK: a session it belonged to
 * is over. A chip that keeps failing is woken and configured again. UART1
 * gets an "nfc" event for each of these, and for selections and releases.
 *
 * No buffer of its own for APDUs: a TgGetData answer's data bytes go
 * straight into the card's command buffer (carrier_nfc_window), and
 * TgSetData is written out of the engine's reply, built again on a resend. */
#include <string.h>

#include "board.h"
#include "card/hal.h"

#define TFI_HOST 0xD4u
#define TFI_CHIP 0xD5u
#define TFI_ERROR 0x7Fu   /* the chip's application-level error frame */
enum {
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_TG_GET_DATA = 0x86,
	CMD_TG_INIT_AS_TARGET = 0x8C,
	CMD_TG_SET_DATA = 0x8E,
};
#define PARAM_14443_4_PICC 0x20u   /* SetParameters: the chip handles RATS */
#define TG_MODE_PASSIVE 0x01u
#define TG_MODE_PICC 0x04u
#define ST_ERROR 0x3Fu             /* status: error code bits */
#define ST_MI 0x40u                /* status: more information follows */
/* ISO/IEC 14443-3A for a 14443-4 card: ATQA 00 04, SAK 20, and a single
 * size UID whose first byte the PN53x fixes at 08 (random UIDs). */
#define ATQA0 0x00u
#define ATQA1 0x04u
#define SAK_ISO14443_4 0x20u

/* The chip ACKs a command within a millisecond; a loaded host running the
 * emulation may be slower, so this is generous. */
#define ACK_MS 300u
/* A command that does not wait for the reader is answered at once. */
#define REPLY_MS 1500u
/* Sends without ACK before the chip counts as lost and is woken again. */
#define SEND_TRIES 3u
/* As nfc_target.c's NFC_PRESENCE_MS: after a release the card is armed
 * again with the same UID, and counts as out of the field (a new UID)
 * once no reader selected it in this time. */
#define PRESENCE_MS 1000u
/* The answer's bytes kept apart from the APDU: TFI, code, then what a
 * TgInitAsTarget or status answer needs. */
#define HEAD_MAX 4u

enum step {
	STEP_SAM,       /* SAMConfiguration, after the wake-up */
	STEP_PARAMS,    /* SetParameters */
	STEP_ARM,       /* TgInitAsTarget: waits for a reader */
	STEP_GET,       /* TgGetData: waits for the reader's command */
	STEP_SET,       /* TgSetData: the R-APDU */
};

enum rx_state { RX_START0, RX_START1, RX_LEN, RX_LCS, RX_XLEN_M, RX_XLEN_L, RX_XLCS, RX_BODY, RX_DCS };

static struct {
	struct card_core *card;
	struct card_hal *hal;
	enum step step;
	bool acked;               /* the command in flight was ACKed */
	uint8_t tries;            /* sends of it so far */
	uint32_t sent_ms;
	/* the card in the field */
	uint8_t uid[3];
	bool presence;            /* armed after a release: PRESENCE_MS runs */
	uint32_t presence_ms;
	/* the C-APDU gathered in the card's buffer, chunk after chunk */
	size_t got;
	bool too_long;
	const uint8_t *rapdu;     /* the engine's reply, for TgSetData */
	size_t rapdu_len;
	/* the frame being received */
	enum rx_state rx;
	uint8_t lcs_len;
	size_t len, pos;
	uint8_t sum;
	uint32_t rx_ms;           /* when the last byte came */
	uint8_t head[HEAD_MAX];
	uint8_t *win;
	size_t win_cap;
} pn;

static void event(const char *fields)
{
	ui_event(fields);
}

/* --- frames out --- */

static uint8_t tx_sum;

static void tx_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tx_sum = (uint8_t)(tx_sum + p[i]);
	uart_write(BOARD_UART_CONTACTLESS, p, n);
}

static void tx_zeros(size_t n)
{
	static const uint8_t zero = 0;

	while (n-- > 0)
		uart_write(BOARD_UART_CONTACTLESS, &zero, 1);
}

/* Preamble, start code, LEN LCS (len: TFI, code and data), TFI, code. */
static void tx_begin(uint8_t cmd, size_t data_len)
{
	uint8_t h[7] = {0x00, 0x00, 0xFF, (uint8_t)(data_len + 2u),
			(uint8_t)(0x100u - ((data_len + 2u) & 0xFFu)), TFI_HOST, cmd};

	/* TgSetData carries at most CORE_RESP_MAX + 2 bytes: a normal frame. */
	uart_write(BOARD_UART_CONTACTLESS, h, 5);
	tx_sum = 0;
	tx_bytes(h + 5, 2);
}

static void tx_end(void)
{
	uint8_t t[2] = {(uint8_t)(0x100u - tx_sum), 0x00};

	uart_write(BOARD_UART_CONTACTLESS, t, sizeof t);
}

static void tx_ack(void)
{
	static const uint8_t ack[6] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};

	uart_write(BOARD_UART_CONTACTLESS, ack, sizeof ack);
}

static void tx_nack(void)
{
	static const uint8_t nack[6] = {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};

	uart_write(BOARD_UART_CONTACTLESS, nack, sizeof nack);
}

_Static_assert(CORE_RESP_MAX + 2u + 2u <= 0xFFu,
	       "an R-APDU fits one normal TgSetData frame: no TgSetMetaData chaining");

/* (Re)sends the command of the current step. */
static void send_step(void)
{
	switch (pn.step) {
	case STEP_SAM: {
		/* HSU wake-up: 0x55, then zeros while the chip's oscillator
		 * starts (libnfc's pn532_uart sends the same). */
		static const uint8_t wake[2] = {0x55, 0x55};
		static const uint8_t sam[3] = {0x01, 0x00, 0x01};   /* normal, no timeout, IRQ */

		uart_write(BOARD_UART_CONTACTLESS, wake, sizeof wake);
		tx_zeros(14);
		tx_begin(CMD_SAM_CONFIGURATION, sizeof sam);
		tx_bytes(sam, sizeof sam);
		break;
	}
	case STEP_PARAMS: {
		static const uint8_t params = PARAM_14443_4_PICC;

		tx_begin(CMD_SET_PARAMETERS, 1);
		tx_bytes(&params, 1);
		break;
	}
	case STEP_ARM: {
		/* Mode, MIFARE params (SENS_RES, NFCID1t, SEL_RES), FeliCa
		 * params (18) and NFCID3t (10) unused, no general bytes, the
		 * historical bytes of the ATS. */
		uint8_t hist[CARD_ATR_MAX];
		size_t k = card_historical_bytes(pn.card, CARD_IFACE_CONTACTLESS, hist, sizeof hist);
		uint8_t head[7] = {TG_MODE_PASSIVE | TG_MODE_PICC, ATQA1, ATQA0,
				   pn.uid[0], pn.uid[1], pn.uid[2], SAK_ISO14443_4};
		uint8_t lens[2] = {0, (uint8_t)k};

		tx_begin(CMD_TG_INIT_AS_TARGET, sizeof head + 28u + sizeof lens + k);
		tx_bytes(head, sizeof head);
		tx_zeros(28);   /* zeros add nothing to the checksum */
		tx_bytes(lens, sizeof lens);
		tx_bytes(hist, k);
		break;
	}
	case STEP_GET:
		tx_begin(CMD_TG_GET_DATA, 0);
		break;
	case STEP_SET:
		tx_begin(CMD_TG_SET_DATA, pn.rapdu_len);
		tx_bytes(pn.rapdu, pn.rapdu_len);
		break;
	}
	tx_end();
	pn.acked = false;
	pn.sent_ms = board_tick_ms();
}

static uint8_t step_cmd(void)
{
	static const uint8_t cmds[] = {CMD_SAM_CONFIGURATION, CMD_SET_PARAMETERS,
				       CMD_TG_INIT_AS_TARGET, CMD_TG_GET_DATA, CMD_TG_SET_DATA};
	return cmds[pn.step];
}

static void go(enum step s)
{
	pn.step = s;
	pn.tries = 1;
	send_step();
}

static void new_uid(void)
{
	if (hal_entropy(pn.hal, pn.uid, sizeof pn.uid) != 0)
		memset(pn.uid, 0x5A, sizeof pn.uid);
}

/* The chip is woken and set up from the start: a new field presence. */
static void restart(void)
{
	carrier_nfc_leave();
	pn.presence = false;
	new_uid();
	go(STEP_SAM);
}

/* The reader let go of the card (or the field went): the card left it,
 * and is armed again with the same UID while it may still be in the field. */
static void session_over(void)
{
	carrier_nfc_leave();
	pn.presence = true;
	pn.presence_ms = board_tick_ms();
	go(STEP_ARM);
}

/* --- frames in --- */

/* A whole information frame from the chip, checksums good. */
static void on_frame(void)
{
	uint8_t status;

	if (pn.head[0] == TFI_ERROR) {
		event("\"event\":\"nfc\",\"what\":\"error_frame\"");
		restart();
		return;
	}
	if (pn.len < 2u || pn.head[0] != TFI_CHIP || pn.head[1] != (uint8_t)(step_cmd() + 1u))
		return;   /* not the answer to the command in flight: ignored */
	/* The answer also says the command was taken, should its ACK have
	 * been lost. */
	pn.acked = true;
	status = pn.len > 2u ? pn.head[2] : ST_ERROR;
	switch (pn.step) {
	case STEP_SAM:
		go(STEP_PARAMS);
		return;
	case STEP_PARAMS:
		go(STEP_ARM);
		return;
	case STEP_ARM: {
		static const uint8_t on = 0x01;   /* SC_CTRL_POWER_ON */
		size_t rlen;

		/* Mode, then the reader's activation command (RATS). */
		pn.presence = false;
		(void)carrier_nfc_serve(&on, 1, false, &rlen);
		event("\"event\":\"nfc\",\"what\":\"selected\"");
		pn.got = 0;
		pn.too_long = false;
		go(STEP_GET);
		return;
	}
	case STEP_GET:
		if ((status & ST_ERROR) != 0 || pn.len < 3u) {
			event("\"event\":\"nfc\",\"what\":\"released\"");
			session_over();
			return;
		}
		pn.got += pn.len - 3u;
		if (pn.got > pn.win_cap)
			pn.too_long = true;
		if ((status & ST_MI) != 0) {
			go(STEP_GET);   /* the chip chains the rest */
			return;
		}
		pn.rapdu = carrier_nfc_serve(pn.win, pn.got, pn.too_long, &pn.rapdu_len);
		pn.got = 0;
		pn.too_long = false;
		if (pn.rapdu == NULL || pn.rapdu_len == 0) {
			/* Power died in the command (the board stops), or the
			 * engine gave no answer: the reader times out. */
			go(STEP_GET);
			return;
		}
		go(STEP_SET);
		return;
	case STEP_SET:
		if ((status & ST_ERROR) != 0) {
			event("\"event\":\"nfc\",\"what\":\"released\"");
			session_over();
			return;
		}
		go(STEP_GET);
		return;
	}
}

static void on_ack(void)
{
	pn.acked = true;
}

/* The chip did not take the frame: the same command again. */
static void resend(const char *fields)
{
	event(fields);
	if (++pn.tries > SEND_TRIES) {
		event("\"event\":\"nfc\",\"what\":\"chip_lost\"");
		restart();
		return;
	}
	send_step();
}

static void begin_body(size_t len)
{
	pn.len = len;
	pn.pos = 0;
	pn.sum = 0;
	pn.win = NULL;
	pn.win_cap = 0;
	if (pn.step == STEP_GET) {
		size_t cap;
		uint8_t *w = carrier_nfc_window(&cap);

		pn.win = w;
		pn.win_cap = cap;
	}
	pn.rx = RX_BODY;
}

/* A bad checksum: the chip is asked to send its answer again. */
static void bad_frame(const char *fields)
{
	event(fields);
	tx_nack();
	pn.rx = RX_START0;
}

static void rx_byte(uint8_t b)
{
	switch (pn.rx) {
	case RX_START0:
		if (b == 0x00)
			pn.rx = RX_START1;
		return;
	case RX_START1:
		pn.rx = b == 0xFF ? RX_LEN : b == 0x00 ? RX_START1 : RX_START0;
		return;
	case RX_LEN:
		pn.lcs_len = b;
		pn.rx = RX_LCS;
		return;
	case RX_LCS:
		pn.rx = RX_START0;
		if (pn.lcs_len == 0x00 && b == 0xFF)
			on_ack();
		else if (pn.lcs_len == 0xFF && b == 0x00)
			resend("\"event\":\"nfc\",\"what\":\"nack\"");
		else if (pn.lcs_len == 0xFF && b == 0xFF)
			pn.rx = RX_XLEN_M;
		else if (pn.lcs_len == 0 || (uint8_t)(pn.lcs_len + b) != 0)
			bad_frame("\"event\":\"nfc\",\"what\":\"bad_lcs\"");
		else
			begin_body(pn.lcs_len);
		return;
	case RX_XLEN_M:
		pn.len = (size_t)b << 8;
		pn.lcs_len = b;
		pn.rx = RX_XLEN_L;
		return;
	case RX_XLEN_L:
		pn.len |= b;
		pn.lcs_len = (uint8_t)(pn.lcs_len + b);
		pn.rx = RX_XLCS;
		return;
	case RX_XLCS:
		if ((uint8_t)(pn.lcs_len + b) != 0 || pn.len == 0)
			bad_frame("\"event\":\"nfc\",\"what\":\"bad_lcs\"");
		else
			begin_body(pn.len);
		return;
	case RX_BODY:
		pn.sum = (uint8_t)(pn.sum + b);
		if (pn.pos < HEAD_MAX)
			pn.head[pn.pos] = b;
		/* A TgGetData answer's data goes straight to the card's buffer,
		 * after what earlier chunks brought; beyond it, only counted. */
		if (pn.pos >= 3u && pn.win != NULL && pn.head[1] == CMD_TG_GET_DATA + 1u &&
		    pn.got + pn.pos - 3u < pn.win_cap)
			pn.win[pn.got + pn.pos - 3u] = b;
		if (++pn.pos == pn.len)
			pn.rx = RX_DCS;
		return;
	case RX_DCS:
		pn.rx = RX_START0;
		if ((uint8_t)(pn.sum + b) != 0) {
			bad_frame("\"event\":\"nfc\",\"what\":\"bad_dcs\"");
			return;
		}
		on_frame();
		return;
	}
}

void pn532_start(struct card_core *card, struct card_hal *hal)
{
	memset(&pn, 0, sizeof pn);
	pn.card = card;
	pn.hal = hal;
	restart();
}

void pn532_poll(void)
{
	int b;
	uint32_t now;

	while (!flash_power_lost() && (b = uart_getc(BOARD_UART_CONTACTLESS)) >= 0) {
		rx_byte((uint8_t)b);
		pn.rx_ms = board_tick_ms();
	}
	if (flash_power_lost())
		return;
	/* After the bytes: a command they caused was sent after this. */
	now = board_tick_ms();
	if (pn.rx > RX_START1) {
		/* A frame is arriving: its end decides, unless it stopped. */
		if ((uint32_t)(now - pn.rx_ms) < ACK_MS)
			return;
		pn.rx = RX_START0;
	}
	if (!pn.acked) {
		if ((uint32_t)(now - pn.sent_ms) >= ACK_MS)
			resend("\"event\":\"nfc\",\"what\":\"no_ack\"");
		return;
	}
	if (pn.step == STEP_ARM && pn.presence && (uint32_t)(now - pn.presence_ms) >= PRESENCE_MS) {
		/* Not selected again: out of the field. The chip stops
		 * waiting on an ACK; the next reader sees a new UID. */
		tx_ack();
		pn.presence = false;
		new_uid();
		event("\"event\":\"nfc\",\"what\":\"out_of_field\"");
		go(STEP_ARM);
		return;
	}
	if ((pn.step == STEP_SAM || pn.step == STEP_PARAMS || pn.step == STEP_SET) &&
	    (uint32_t)(now - pn.sent_ms) >= REPLY_MS) {
		/* Late: the command is aborted (ACK). A TgSetData's reader
		 * has its answer or never will: the session is over. */
		tx_ack();
		event("\"event\":\"nfc\",\"what\":\"late\"");
		if (pn.step == STEP_SET)
			session_over();
		else
			restart();
	}
}
