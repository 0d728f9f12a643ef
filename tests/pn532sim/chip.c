/* One emulated PN532 as its host sees it: frames in, ACK then the answer
 * out, a register file, and the commands libnfc 1.8's pn53x code sends.
 * Whatever crosses the RF field goes through field.c. */
#include <string.h>

#include "tests/pn532sim/pn532sim.h"

enum {
	CMD_DIAGNOSE = 0x00,
	CMD_GET_FIRMWARE_VERSION = 0x02,
	CMD_GET_GENERAL_STATUS = 0x04,
	CMD_READ_REGISTER = 0x06,
	CMD_WRITE_REGISTER = 0x08,
	CMD_READ_GPIO = 0x0C,
	CMD_WRITE_GPIO = 0x0E,
	CMD_SET_SERIAL_BAUD_RATE = 0x10,
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_POWER_DOWN = 0x16,
	CMD_RF_CONFIGURATION = 0x32,
	CMD_IN_DATA_EXCHANGE = 0x40,
	CMD_IN_COMMUNICATE_THRU = 0x42,
	CMD_IN_DESELECT = 0x44,
	CMD_IN_JUMP_FOR_PSL = 0x46,
	CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
	CMD_IN_PSL = 0x4E,
	CMD_IN_ATR = 0x50,
	CMD_IN_RELEASE = 0x52,
	CMD_IN_SELECT = 0x54,
	CMD_IN_JUMP_FOR_DEP = 0x56,
	CMD_IN_AUTO_POLL = 0x60,
	CMD_TG_GET_DATA = 0x86,
	CMD_TG_GET_INITIATOR_COMMAND = 0x88,
	CMD_TG_GET_TARGET_STATUS = 0x8A,
	CMD_TG_INIT_AS_TARGET = 0x8C,
	CMD_TG_SET_DATA = 0x8E,
	CMD_TG_RESPONSE_TO_INITIATOR = 0x90,
	CMD_TG_SET_GENERAL_BYTES = 0x92,
	CMD_TG_SET_META_DATA = 0x94,
};

/* SetParameters bit: the chip sends RATS itself after selecting a 14443-4
 * target (libnfc's PARAM_AUTO_RATS). */
#define PARAM_AUTO_RATS 0x10u
/* TgInitAsTarget mode bit: ISO/IEC 14443-4 PICC only. */
#define TG_MODE_PICC 0x04u

void chip_reset(struct pn_chip *c, const char *name)
{
	int fd = c->fd, slave = c->slave_fd;
	char path[sizeof c->path];
	memcpy(path, c->path, sizeof path);
	struct pn_chip *peer = c->peer;
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->slave_fd = slave;
	memcpy(c->path, path, sizeof path);
	c->peer = peer;
	c->name = name;
	c->field_on = 1;
	c->mxrty_passive = 0xFF;
	c->sam_mode = 0x01;
	/* On the HSU the chip starts in low-power mode (LowVbat): it hears
	 * nothing until a 0x55 wakes it (user manual §7.2.11, libnfc's
	 * pn532_uart_wakeup). */
	c->asleep = 1;
}

static void reply_status(struct pn_chip *c, uint8_t cmd, uint8_t status)
{
	sim_reply(c, cmd, &status, 1);
}

static void error_frame(struct pn_chip *c, const char *why)
{
	sim_log("%s: syntax error (%s): error frame", c->name, why);
	memcpy(c->last_reply, pn_uart_error_frame, sizeof pn_uart_error_frame);
	c->last_reply_len = sizeof pn_uart_error_frame;
	sim_send(c, pn_uart_error_frame, sizeof pn_uart_error_frame);
}

/* Stops whatever the host was waiting for: an ACK from the host, or a new
 * command that supersedes it (the host gave up on its side). */
static void abort_wait(struct pn_chip *c, const char *why)
{
	if (c->wait == PN_WAIT_NONE)
		return;
	sim_log("%s: pending command aborted (%s)", c->name, why);
	if (c->wait == PN_WAIT_TGINIT)
		field_target_stop(c, "emulation aborted by its host");
	c->wait = PN_WAIT_NONE;
	c->wait_deadline = 0;
}

/* Hands the next chunk of c->rx to the host as the answer to cmd: status
 * (with MI while more follows) then up to PN_CHUNK_MAX bytes. */
static void reply_rx_chunk(struct pn_chip *c, uint8_t cmd)
{
	uint8_t out[1 + PN_CHUNK_MAX];
	size_t left = c->rx.len - c->rx.off;
	size_t n = left > PN_CHUNK_MAX ? PN_CHUNK_MAX : left;
	out[0] = (uint8_t)(PN_ST_OK | (left > n ? PN_ST_MI : 0));
	memcpy(out + 1, c->rx.buf + c->rx.off, n);
	c->rx.off += n;
	if (c->rx.off >= c->rx.len)
		memset(&c->rx, 0, sizeof c->rx);
	c->wait = PN_WAIT_NONE;
	c->wait_deadline = 0;
	sim_reply(c, cmd, out, 1 + n);
}

static int msg_append(struct pn_msg *m, const uint8_t *p, size_t n)
{
	if (n > sizeof m->buf - m->len)
		return -1;
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	return 0;
}

void chip_receive_over_field(struct pn_chip *c, const uint8_t *p, size_t n)
{
	memset(&c->rx, 0, sizeof c->rx);
	memcpy(c->rx.buf, p, n);
	c->rx.len = n;
	c->rx.ready = 1;
	if (c->wait == PN_WAIT_INDATA)
		reply_rx_chunk(c, CMD_IN_DATA_EXCHANGE);
	else if (c->wait == PN_WAIT_TGGET)
		reply_rx_chunk(c, CMD_TG_GET_DATA);
}

void chip_fail_wait(struct pn_chip *c, uint8_t status)
{
	enum pn_wait w = c->wait;
	c->wait = PN_WAIT_NONE;
	c->wait_deadline = 0;
	switch (w) {
	case PN_WAIT_INDATA:
		memset(&c->tx, 0, sizeof c->tx);
		reply_status(c, CMD_IN_DATA_EXCHANGE, status);
		break;
	case PN_WAIT_TGGET:
		reply_status(c, CMD_TG_GET_DATA, status);
		break;
	case PN_WAIT_INLIST: {
		uint8_t none = 0;
		sim_reply(c, c->autopoll ? CMD_IN_AUTO_POLL : CMD_IN_LIST_PASSIVE_TARGET, &none, 1);
		break;
	}
	case PN_WAIT_TGINIT:
	case PN_WAIT_NONE:
		break;
	}
}

static void cmd_diagnose(struct pn_chip *c, const uint8_t *a, size_t n)
{
	if (n < 1)
		return error_frame(c, "Diagnose without NumTst");
	switch (a[0]) {
	case 0x00:   /* communication line test: echo */
		sim_reply(c, CMD_DIAGNOSE, a, n);
		return;
	case 0x06: { /* card presence */
		uint8_t st = field_target_reachable(c) ? PN_ST_OK : PN_ST_TIMEOUT;
		reply_status(c, CMD_DIAGNOSE, st);
		return;
	}
	default:
		return error_frame(c, "Diagnose test not emulated");
	}
}

static void cmd_read_register(struct pn_chip *c, const uint8_t *a, size_t n)
{
	uint8_t out[PN_FRAME_DATA_MAX];
	if (n == 0 || n % 2 || n / 2 > sizeof out)
		return error_frame(c, "ReadRegister with a partial address");
	for (size_t i = 0; i < n / 2; i++)
		out[i] = c->regs[((size_t)a[2 * i] << 8) | a[2 * i + 1]];
	sim_reply(c, CMD_READ_REGISTER, out, n / 2);
}

static void cmd_write_register(struct pn_chip *c, const uint8_t *a, size_t n)
{
	if (n == 0 || n % 3)
		return error_frame(c, "WriteRegister with a partial address/value");
	for (size_t i = 0; i < n; i += 3)
		c->regs[((size_t)a[i] << 8) | a[i + 1]] = a[i + 2];
	sim_reply(c, CMD_WRITE_REGISTER, NULL, 0);
}

static void cmd_rf_configuration(struct pn_chip *c, const uint8_t *a, size_t n)
{
	if (n < 1)
		return error_frame(c, "RFConfiguration without CfgItem");
	switch (a[0]) {
	case 0x01:   /* RF field */
		if (n < 2)
			return error_frame(c, "RFConfiguration 01 without value");
		c->field_on = a[1] & 0x01;
		if (!c->field_on)
			field_release(c, "reader switched its RF field off");
		break;
	case 0x05:   /* MaxRetries: ATR, PSL, passive activation */
		if (n < 4)
			return error_frame(c, "RFConfiguration 05 needs 3 values");
		c->mxrty_passive = a[3];
		break;
	case 0x02: case 0x04: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
		break;   /* timings and analog settings: nothing to emulate */
	default:
		return error_frame(c, "RFConfiguration item unknown");
	}
	sim_reply(c, CMD_RF_CONFIGURATION, NULL, 0);
}

static void cmd_in_list_passive_target(struct pn_chip *c, uint8_t cmd, const uint8_t *a,
				       size_t n)
{
	if (n < 2 || a[0] < 1 || a[0] > 2)
		return error_frame(c, "InListPassiveTarget needs MaxTg 1..2 and BrTy");
	c->inlist_uid_len = 0;
	c->autopoll = 0;
	if (a[1] != 0x00) {
		/* FeliCa, type B, Jewel: no such target is ever in this field. */
		uint8_t none = 0;
		sim_reply(c, cmd, &none, 1);
		return;
	}
	if (n > 2) {
		if (n - 2 > sizeof c->inlist_uid)
			return error_frame(c, "InListPassiveTarget UID too long");
		memcpy(c->inlist_uid, a + 2, n - 2);
		c->inlist_uid_len = n - 2;
	}
	c->wait = PN_WAIT_INLIST;
	field_try_select(c);
	if (c->wait == PN_WAIT_INLIST && c->mxrty_passive != 0xFF) {
		if (sim_poll_wait_ms > 0 && field_card_unarmed(c)) {
			/* Test hook: the poll waits for the card's host to arm
			 * again, so a card re-armed at once after a release is
			 * always found by the reader's next poll. */
			sim_log("%s: poll held until the card is armed (--poll-wait-ms)", c->name);
			c->wait_deadline = sim_now_ms() + sim_poll_wait_ms;
			return;
		}
		/* Finite retries: the chip gives up and reports no target. */
		uint8_t none = 0;
		c->wait = PN_WAIT_NONE;
		sim_reply(c, cmd, &none, 1);
	}
}

static void cmd_in_auto_poll(struct pn_chip *c, const uint8_t *a, size_t n)
{
	if (n < 3)
		return error_frame(c, "InAutoPoll needs PollNr, Period and a type");
	int want = 0;
	for (size_t i = 2; i < n; i++)
		if (a[i] == 0x00 || a[i] == 0x10 || a[i] == 0x20)
			want = 1;
	c->inlist_uid_len = 0;
	if (want) {
		c->autopoll = 1;
		c->wait = PN_WAIT_INLIST;
		field_try_select(c);
		if (c->wait != PN_WAIT_INLIST)
			return;
		c->wait = PN_WAIT_NONE;
	}
	uint8_t none = 0;
	sim_reply(c, CMD_IN_AUTO_POLL, &none, 1);
}

static void cmd_in_data_exchange(struct pn_chip *c, const uint8_t *a, size_t n)
{
	if (n < 1)
		return error_frame(c, "InDataExchange without Tg");
	if ((a[0] & 0x3F) != 1 || !c->selected) {
		reply_status(c, CMD_IN_DATA_EXCHANGE, PN_ST_NOT_ACCEPTABLE);
		return;
	}
	/* Tg alone while a chained answer is pending: the host fetches the next
	 * part (libnfc's MI loop). */
	if (n == 1 && c->rx.ready && c->rx.off < c->rx.len) {
		reply_rx_chunk(c, CMD_IN_DATA_EXCHANGE);
		return;
	}
	memset(&c->rx, 0, sizeof c->rx);
	if (msg_append(&c->tx, a + 1, n - 1) < 0) {
		memset(&c->tx, 0, sizeof c->tx);
		reply_status(c, CMD_IN_DATA_EXCHANGE, 0x0B);   /* internal buffer overflow */
		return;
	}
	if (a[0] & PN_ST_MI) {
		/* More follows: the chip chains it over the field. */
		reply_status(c, CMD_IN_DATA_EXCHANGE, PN_ST_OK);
		return;
	}
	c->wait = PN_WAIT_INDATA;
	c->wait_deadline = sim_now_ms() + sim_fwt_ms;
	field_initiator_send(c);
}

static void cmd_tg_init_as_target(struct pn_chip *c, const uint8_t *a, size_t n)
{
	/* Mode, MIFARE params (6), FeliCa params (18), NFCID3t (10), LEN Gt, Gt,
	 * LEN Tk, Tk. */
	if (n < 37)
		return error_frame(c, "TgInitAsTarget shorter than its fixed part");
	size_t p = 35;
	size_t gt = a[p++];
	if (p + gt > n)
		return error_frame(c, "TgInitAsTarget general bytes overrun");
	p += gt;
	size_t tk = 0;
	if (p < n) {
		tk = a[p++];
		if (p + tk > n || tk > sizeof c->tg_hist)
			return error_frame(c, "TgInitAsTarget historical bytes overrun");
	}
	field_target_stop(c, "target re-initialised");
	c->tg_mode = a[0];
	memcpy(c->tg_mifare, a + 1, 6);
	memcpy(c->tg_hist, a + p, tk);
	c->tg_hist_len = tk;
	c->tg = PN_TG_ARMED;
	c->wait = PN_WAIT_TGINIT;
	memset(&c->rx, 0, sizeof c->rx);
	memset(&c->tx, 0, sizeof c->tx);
	sim_log("%s: target armed (UID 08%02x%02x%02x, SAK %02x, %zu historical bytes)", c->name,
		c->tg_mifare[2], c->tg_mifare[3], c->tg_mifare[4], c->tg_mifare[5], tk);
	if (c->peer->wait == PN_WAIT_INLIST)
		field_try_select(c->peer);
}

static void cmd_tg_get_data(struct pn_chip *c)
{
	if (c->tg != PN_TG_ACTIVE) {
		reply_status(c, CMD_TG_GET_DATA, PN_ST_RELEASED);
		return;
	}
	if (c->rx.ready) {
		reply_rx_chunk(c, CMD_TG_GET_DATA);
		return;
	}
	c->wait = PN_WAIT_TGGET;
}

static void cmd_tg_set_data(struct pn_chip *c, uint8_t cmd, const uint8_t *a, size_t n)
{
	if (c->tg != PN_TG_ACTIVE) {
		memset(&c->tx, 0, sizeof c->tx);
		reply_status(c, cmd, PN_ST_RELEASED);
		return;
	}
	if (msg_append(&c->tx, a, n) < 0) {
		memset(&c->tx, 0, sizeof c->tx);
		reply_status(c, cmd, 0x0B);
		return;
	}
	if (cmd == CMD_TG_SET_META_DATA) {
		/* MI: the answer continues in the next TgSetMetaData/TgSetData. */
		reply_status(c, cmd, PN_ST_OK);
		return;
	}
	reply_status(c, cmd, field_target_send(c));
}

static void dispatch(struct pn_chip *c, const uint8_t *d, size_t len)
{
	if (len < 2)
		return error_frame(c, "frame without a command code");
	uint8_t cmd = d[1];
	const uint8_t *a = d + 2;
	size_t n = len - 2;

	abort_wait(c, "superseded by a new command");
	switch (cmd) {
	case CMD_DIAGNOSE:
		return cmd_diagnose(c, a, n);
	case CMD_GET_FIRMWARE_VERSION: {
		/* IC PN532, firmware 1.6, supports ISO 14443-A, -B and 18092. */
		static const uint8_t fw[] = {0x32, 0x01, 0x06, 0x07};
		return sim_reply(c, cmd, fw, sizeof fw);
	}
	case CMD_GET_GENERAL_STATUS: {
		uint8_t st[8] = {0x00, (uint8_t)c->field_on, 0x00};
		size_t k = 3;
		if (field_target_reachable(c)) {
			st[2] = 1;
			st[k++] = 1;      /* Tg */
			st[k++] = 0x00;   /* BrRx 106 kbps */
			st[k++] = 0x00;   /* BrTx 106 kbps */
			st[k++] = 0x00;   /* type A */
		}
		st[k++] = 0x00;           /* SAM status */
		return sim_reply(c, cmd, st, k);
	}
	case CMD_READ_REGISTER:
		return cmd_read_register(c, a, n);
	case CMD_WRITE_REGISTER:
		return cmd_write_register(c, a, n);
	case CMD_READ_GPIO: {
		static const uint8_t gpio[] = {0xFF, 0xFF, 0x00};
		return sim_reply(c, cmd, gpio, sizeof gpio);
	}
	case CMD_WRITE_GPIO:
	case CMD_SET_SERIAL_BAUD_RATE:
		return sim_reply(c, cmd, NULL, 0);
	case CMD_SET_PARAMETERS:
		if (n < 1)
			return error_frame(c, "SetParameters without flags");
		c->params = a[0];
		return sim_reply(c, cmd, NULL, 0);
	case CMD_SAM_CONFIGURATION:
		if (n < 1 || a[0] < 1 || a[0] > 4)
			return error_frame(c, "SAMConfiguration mode must be 1..4");
		c->sam_mode = a[0];
		return sim_reply(c, cmd, NULL, 0);
	case CMD_POWER_DOWN:
		if (n < 1)
			return error_frame(c, "PowerDown without WakeUpEnable");
		reply_status(c, cmd, PN_ST_OK);
		c->asleep = 1;   /* until the host's next wake-up */
		sim_log("%s: powered down: asleep until a 0x55 wake-up", c->name);
		return;
	case CMD_RF_CONFIGURATION:
		return cmd_rf_configuration(c, a, n);
	case CMD_IN_LIST_PASSIVE_TARGET:
		return cmd_in_list_passive_target(c, cmd, a, n);
	case CMD_IN_AUTO_POLL:
		return cmd_in_auto_poll(c, a, n);
	case CMD_IN_DATA_EXCHANGE:
		return cmd_in_data_exchange(c, a, n);
	case CMD_IN_DESELECT:
	case CMD_IN_RELEASE:
		if (n < 1)
			return error_frame(c, "InDeselect/InRelease without Tg");
		if (c->tg != PN_TG_IDLE)   /* as target: stop the emulation */
			field_target_stop(c, "emulation released by its host");
		field_release(c, cmd == CMD_IN_RELEASE ? "InRelease" : "InDeselect");
		return reply_status(c, cmd, PN_ST_OK);
	case CMD_IN_SELECT:
		return reply_status(c, cmd, c->selected ? PN_ST_OK : PN_ST_NOT_ACCEPTABLE);
	case CMD_IN_COMMUNICATE_THRU:
	case CMD_IN_JUMP_FOR_DEP:
	case CMD_IN_JUMP_FOR_PSL:
	case CMD_IN_ATR:
	case CMD_IN_PSL:
		/* Raw frames, type B probes and NFC-DEP: nothing in this field
		 * answers them. */
		return reply_status(c, cmd, PN_ST_TIMEOUT);
	case CMD_TG_INIT_AS_TARGET:
		return cmd_tg_init_as_target(c, a, n);
	case CMD_TG_GET_DATA:
		return cmd_tg_get_data(c);
	case CMD_TG_SET_DATA:
	case CMD_TG_SET_META_DATA:
		return cmd_tg_set_data(c, cmd, a, n);
	case CMD_TG_GET_TARGET_STATUS: {
		uint8_t st[2] = {c->tg == PN_TG_ACTIVE ? 0x01 : 0x00, 0x00};
		return sim_reply(c, cmd, st, sizeof st);
	}
	case CMD_TG_SET_GENERAL_BYTES:
	case CMD_TG_GET_INITIATOR_COMMAND:
	case CMD_TG_RESPONSE_TO_INITIATOR:
		/* Only ISO 14443-4 PICC emulation is modelled. */
		return reply_status(c, cmd, PN_ST_NOT_ACCEPTABLE);
	default:
		return error_frame(c, "unknown command code");
	}
}

/* A held-back answer the host no longer waits for. */
static void drop_late(struct pn_chip *c, const char *why)
{
	if (c->late_due == 0)
		return;
	c->late_due = 0;
	sim_log("%s: late answer withdrawn (%s)", c->name, why);
}

/* Skips what an asleep chip hears, up to and with the 0x55 that wakes it;
 * the bytes after it are heard. Returns how many were skipped. */
static size_t wake_up(struct pn_chip *c, const uint8_t *p, size_t n)
{
	const uint8_t *w = memchr(p, 0x55, n);
	if (w == NULL) {
		sim_log("%s: asleep: %zu bytes ignored (no 0x55 wake-up)", c->name, n);
		return n;
	}
	c->asleep = 0;
	sim_log("%s: woken up by 0x55", c->name);
	return (size_t)(w - p) + 1;
}

void chip_on_bytes(struct pn_chip *c, const uint8_t *p, size_t n)
{
	if (c->asleep) {
		size_t k = wake_up(c, p, n);
		p += k;
		n -= k;
		c->in.len = 0;
	}
	while (n > 0) {
		size_t room = sizeof c->in.buf - c->in.len;
		size_t k = n < room ? n : room;
		memcpy(c->in.buf + c->in.len, p, k);
		c->in.len += k;
		p += k;
		n -= k;
		for (;;) {
			uint8_t d[PN_FRAME_DATA_MAX];
			size_t len = 0;
			enum pn_uart_event ev = pn_uart_next(&c->in, d, &len);
			if (ev == PN_UART_NONE)
				break;
			switch (ev) {
			case PN_UART_FRAME:
				sim_trace(c, "<-", d, len);
				drop_late(c, "superseded by a new command");
				if (c->faulty && len >= 2 && fault_take(PN_FAULT_NACK, d[1])) {
					sim_log("%s: fault: NACK instead of ACK for command %02x:"
						" dropped", c->name, d[1]);
					sim_send(c, pn_uart_nack, sizeof pn_uart_nack);
					break;
				}
				if (c->faulty && len >= 2 && fault_take(PN_FAULT_DROP, d[1])) {
					sim_log("%s: fault: command %02x lost on the line: no ACK",
						c->name, d[1]);
					break;
				}
				sim_send(c, pn_uart_ack, sizeof pn_uart_ack);
				if (c->faulty && len >= 2 && fault_take(PN_FAULT_SYNTAX, d[1])) {
					error_frame(c, "fault: command answered as a syntax error");
					break;
				}
				dispatch(c, d, len);
				break;
			case PN_UART_ACK:
				drop_late(c, "host sent ACK");
				abort_wait(c, "host sent ACK");
				break;
			case PN_UART_NACK:
				sim_log("%s: NACK: the last answer again", c->name);
				c->late_due = 0;
				if (c->last_reply_len)
					sim_send(c, c->last_reply, c->last_reply_len);
				break;
			case PN_UART_BAD_TFI:
				sim_send(c, pn_uart_ack, sizeof pn_uart_ack);
				error_frame(c, pn_uart_event_name(ev));
				break;
			default:
				/* The chip ignores a frame it cannot trust; the host
				 * times out waiting for the ACK. */
				sim_log("%s: frame dropped: %s", c->name, pn_uart_event_name(ev));
				break;
			}
		}
		if (c->in.len == sizeof c->in.buf)
			c->in.len = 0;   /* only junk: no start code in a full buffer */
	}
}

/* An answer out, unless a fault hits it: sent with a corrupt DCS (the
 * good one stays for a NACK), or held back for sim_late_ms; or, once it
 * is out, the card leaves the field. */
void chip_send_reply(struct pn_chip *c, uint8_t cmd)
{
	if (c->faulty && fault_take(PN_FAULT_BAD_DCS, cmd)) {
		uint8_t bad[PN_FRAME_MAX];
		memcpy(bad, c->last_reply, c->last_reply_len);
		bad[c->last_reply_len - 2] ^= 0x5A;
		sim_log("%s: fault: answer to %02x sent with a bad checksum", c->name, cmd);
		sim_send(c, bad, c->last_reply_len);
		return;
	}
	if (c->faulty && fault_take(PN_FAULT_LATE, cmd)) {
		sim_log("%s: fault: answer to %02x held back %lld ms", c->name, cmd, sim_late_ms);
		c->late_due = sim_now_ms() + sim_late_ms;
		return;
	}
	sim_send(c, c->last_reply, c->last_reply_len);
	if (c->faulty && fault_take(PN_FAULT_REMOVE, cmd))
		field_remove_card("fault: after an answer to the card's host");
}

static int chip_tick_wait(struct pn_chip *c, long long now)
{
	if (c->wait_deadline == 0)
		return -1;
	if (now >= c->wait_deadline && c->wait == PN_WAIT_INLIST) {
		sim_log("%s: no card armed in %lld ms: no target", c->name, sim_poll_wait_ms);
		chip_fail_wait(c, PN_ST_OK);
		return -1;
	}
	if (now >= c->wait_deadline) {
		sim_log("%s: no answer from the target in %lld ms: timeout", c->name, sim_fwt_ms);
		c->wait = PN_WAIT_NONE;
		c->wait_deadline = 0;
		memset(&c->tx, 0, sizeof c->tx);
		reply_status(c, CMD_IN_DATA_EXCHANGE, PN_ST_TIMEOUT);
		return -1;
	}
	long long left = c->wait_deadline - now;
	return left > 60000 ? 60000 : (int)left;
}

int chip_tick(struct pn_chip *c, long long now)
{
	if (c->late_due != 0 && now >= c->late_due) {
		c->late_due = 0;
		sim_log("%s: late answer sent", c->name);
		sim_send(c, c->last_reply, c->last_reply_len);
	}
	int t = chip_tick_wait(c, now);
	if (c->late_due != 0) {
		long long left = c->late_due - now;
		if (t < 0 || left < t)
			t = (int)left;
	}
	return t;
}
