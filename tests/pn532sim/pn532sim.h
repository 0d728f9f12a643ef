/* pn532sim's private header: two emulated NXP PN532 chips, each behind a
 * pseudo-terminal that libnfc's pn532_uart driver opens, coupled by a
 * virtual RF field. Part of the test tree; never installed. */
#ifndef PN532SIM_H
#define PN532SIM_H

#include <stddef.h>
#include <stdint.h>

/* --- uart.c: the PN532 high-speed UART frame format (user manual §6.2). --- */

/* Host-to-chip and chip-to-host information frames carry TFI + PD0..PDn;
 * libnfc sends at most 264 bytes of PD (PN53x_EXTENDED_FRAME__DATA_MAX_LEN)
 * and reads at most 264 bytes of payload after the command code. */
#define PN_FRAME_DATA_MAX 266u      /* TFI + command code + 264 */
#define PN_FRAME_MAX (PN_FRAME_DATA_MAX + 10u)
#define PN_TFI_HOST 0xD4u
#define PN_TFI_CHIP 0xD5u

enum pn_uart_event {
	PN_UART_NONE,        /* need more bytes */
	PN_UART_FRAME,       /* an information frame: TFI + PD in the out buffer */
	PN_UART_ACK,         /* the host aborts the running command */
	PN_UART_NACK,        /* the host asks for the last reply again */
	PN_UART_BAD_LCS,     /* length checksum wrong: frame dropped */
	PN_UART_BAD_DCS,     /* data checksum wrong: frame dropped */
	PN_UART_TOO_LONG,    /* longer than the chip's buffer: frame dropped */
	PN_UART_BAD_TFI,     /* not a host-to-chip frame */
	PN_UART_BAD_POSTAMBLE, /* no 00 after the checksum: frame dropped */
};

struct pn_uart_in {
	uint8_t buf[2 * PN_FRAME_MAX];
	size_t len;
};

/* Takes the next event out of the bytes received so far. A frame starts
 * with the preamble and start code 00 00 FF and ends with the postamble
 * 00, as the user manual's frames do; bytes before a preamble (the 0x55
 * wake-up, stray zeros, a frame without its preamble) are skipped, a frame
 * without its postamble is dropped. On PN_UART_FRAME, *out holds TFI + PD and *out_len its length. */
enum pn_uart_event pn_uart_next(struct pn_uart_in *in, uint8_t out[PN_FRAME_DATA_MAX],
				size_t *out_len);
/* A chip-to-host frame answering cmd (code cmd + 1) with payload. Normal
 * frame up to 254 bytes of TFI + PD, extended above. Returns its length. */
size_t pn_uart_build(uint8_t frame[PN_FRAME_MAX], uint8_t cmd, const uint8_t *payload,
		     size_t payload_len);
const char *pn_uart_event_name(enum pn_uart_event ev);

extern const uint8_t pn_uart_ack[6];
extern const uint8_t pn_uart_nack[6];
extern const uint8_t pn_uart_error_frame[8];

/* --- chip.c: one PN532 as its host sees it. --- */

/* Largest message carried over the virtual field in one direction (a whole
 * ISO-DEP exchange, chained by the chips in 262-byte host chunks). */
#define PN_MSG_MAX 4096u
/* Host-side chunk of a chained InDataExchange / TgGetData answer. */
#define PN_CHUNK_MAX 262u

/* PN532 status byte values (user manual Table 6). */
#define PN_ST_OK 0x00u
#define PN_ST_TIMEOUT 0x01u
#define PN_ST_NOT_ACCEPTABLE 0x27u
#define PN_ST_RELEASED 0x29u
#define PN_ST_MI 0x40u

struct pn_msg {
	uint8_t buf[PN_MSG_MAX];
	size_t len;                /* bytes held */
	size_t off;                /* bytes already handed to the host */
	int ready;                 /* complete and waiting for the host */
};

enum pn_wait {
	PN_WAIT_NONE,
	PN_WAIT_INLIST,            /* InListPassiveTarget until a target shows */
	PN_WAIT_TGINIT,            /* TgInitAsTarget until an initiator selects */
	PN_WAIT_INDATA,            /* InDataExchange until the target answers */
	PN_WAIT_TGGET,             /* TgGetData until the initiator sends */
};

enum pn_tg_state { PN_TG_IDLE, PN_TG_ARMED, PN_TG_ACTIVE };

struct pn_chip {
	const char *name;          /* "reader" or "card", for logs */
	int fd;                    /* pty master; the host opens the slave */
	int slave_fd;              /* kept open so the pty survives host restarts */
	char path[128];            /* slave path for connstrings */
	struct pn_uart_in in;
	uint8_t last_reply[PN_FRAME_MAX];  /* for a NACK */
	size_t last_reply_len;
	uint8_t regs[0x10000];     /* SFR and CIU register file, by address */
	uint8_t params;            /* SetParameters flags */
	uint8_t sam_mode;
	int asleep;                /* power-on or PowerDown: frames ignored until a 0x55 */
	int faulty;                /* faults (fault.c) apply to this chip */
	long long late_due;        /* ms a held-back answer (last_reply) goes out, 0 none */
	int field_on;              /* RF field as initiator (RFConfiguration 01) */
	uint8_t mxrty_passive;     /* RFConfiguration 05, MxRtyPassiveActivation */
	enum pn_wait wait;
	long long wait_deadline;   /* ms, 0 = none */
	/* initiator role */
	int selected;              /* target 1 is selected through the field */
	uint8_t inlist_uid[10];    /* InListPassiveTarget initiator data (UID) */
	size_t inlist_uid_len;
	uint8_t autopoll;          /* the wait is InAutoPoll, not InListPassiveTarget */
	/* target role */
	enum pn_tg_state tg;
	uint8_t tg_mode;           /* TgInitAsTarget Mode */
	uint8_t tg_mifare[6];      /* SENS_RES (2), NFCID1t (3), SEL_RES */
	uint8_t tg_hist[48];       /* historical bytes for the ATS */
	size_t tg_hist_len;
	/* data in flight */
	struct pn_msg rx;          /* received over the field, handed to the host */
	struct pn_msg tx;          /* being assembled by the host (MI chaining) */
	struct pn_chip *peer;
};

/* Sets a chip to its power-on state. */
void chip_reset(struct pn_chip *c, const char *name);
/* Feeds bytes read from the host and answers every complete frame. */
void chip_on_bytes(struct pn_chip *c, const uint8_t *p, size_t n);
/* Sends c->last_reply, the answer to cmd, unless a fault hits it. */
void chip_send_reply(struct pn_chip *c, uint8_t cmd);
/* Ends waits whose deadline passed and sends a held-back answer once due;
 * returns ms to the next deadline or -1. */
int chip_tick(struct pn_chip *c, long long now);
/* A whole message arrived over the field: kept for the host, and handed to
 * it at once if it waits (InDataExchange or TgGetData). */
void chip_receive_over_field(struct pn_chip *c, const uint8_t *p, size_t n);
/* Ends the host's wait with a status byte (no target for InListPassiveTarget). */
void chip_fail_wait(struct pn_chip *c, uint8_t status);

/* --- fault.c: faults injected into the card-side chip (tests). --- */

enum pn_fault {
	PN_FAULT_NACK, PN_FAULT_BAD_DCS, PN_FAULT_LATE, PN_FAULT_REMOVE, PN_FAULT_DROP,
	PN_FAULT_SYNTAX,
};
/* Reads FILE's lines "KIND CODE N" (nack, bad-dcs, late, remove, drop or
 * syntax; the command code
 * in hex; the Nth command or answer with that code from now on); the
 * faults read before are replaced. The count, or -1 with err set. */
int fault_load(const char *file, char *err, size_t errcap);
/* 1 if this command (nack, drop, syntax) or answer (the others) with code
 * cmd is the one a fault hits. */
int fault_take(enum pn_fault kind, uint8_t cmd);
const char *fault_name(enum pn_fault kind);
/* How long a "late" answer is held back (--late-ms). */
extern long long sim_late_ms;

/* --- field.c: the virtual RF field between the two chips. --- */

void field_init(struct pn_chip *a, struct pn_chip *b);
/* Card presence: the card side can be taken out of the field (the reader
 * then sees a timeout, the card's host a release) and put back. */
void field_remove_card(const char *why);
void field_return_card(void);
int field_card_present(void);
/* Remove the card when the Nth complete InDataExchange reaches the field
 * (0 = never). */
void field_remove_at_exchange(unsigned long n);
/* An initiator's InDataExchange message is complete: send it. */
void field_initiator_send(struct pn_chip *ini);
/* A target's TgSetData message is complete: answer the initiator. 0, or a
 * PN532 status byte for the target's host when nobody listens. */
uint8_t field_target_send(struct pn_chip *tg);
/* 1 if the card is in ini's field but its host has not armed its target
 * (it is between two selections). */
int field_card_unarmed(const struct pn_chip *ini);
/* Tries to select an armed target for a waiting initiator. */
void field_try_select(struct pn_chip *ini);
/* Releases whatever is selected between ini and its peer (InRelease,
 * InDeselect, RF off). */
void field_release(struct pn_chip *ini, const char *why);
/* The target side stops emulation (InRelease as target, new TgInitAsTarget). */
void field_target_stop(struct pn_chip *tg, const char *why);
/* 1 if ini has a selected target that is still in the field. */
int field_target_reachable(const struct pn_chip *ini);
/* Target data of the peer as InListPassiveTarget returns it (Tg first);
 * length. */
size_t field_target_data(const struct pn_chip *ini, uint8_t *out, size_t cap);

/* --- main.c: I/O and logs. --- */

/* Sends a whole frame to the chip's host. */
void sim_send(struct pn_chip *c, const uint8_t *frame, size_t n);
/* Answers the host's command cmd with payload (remembered for NACK). */
void sim_reply(struct pn_chip *c, uint8_t cmd, const uint8_t *payload, size_t n);
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_trace(const struct pn_chip *c, const char *dir, const uint8_t *p, size_t n);
long long sim_now_ms(void);
/* ms an initiator waits for a target's answer before a chip timeout. */
extern long long sim_fwt_ms;
/* Test hook (--poll-wait-ms): ms a reader's single poll waits for the card's
 * host to arm its target, when the card is in the field but not armed, before
 * it reports no target (0: at once, as the chip does). */
extern long long sim_poll_wait_ms;

#endif
