/* The card's contactless interface on a PN532 through libnfc: the chip
 * emulates an ISO/IEC 14443-4A card (nfc_target_init), and each C-APDU a
 * reader sends (nfc_target_receive_bytes) goes to the core, its R-APDU back
 * (nfc_target_send_bytes). libnfc blocks, so it runs on a worker thread;
 * the core stays on the main thread. For each selection the worker hands
 * the main loop one end of a fresh socketpair, on which it speaks the
 * carrier framing (power on, APDUs, power off) like any other reader: the
 * core sees the reader come and go exactly as through the contactless
 * socket. A power cut on the card closes that end: the worker then goes
 * silent until the next selection, as a card without power does.
 *
 * The card's random UID lives as long as the card stays in one field, as
 * ISO/IEC 14443-3 has it chosen at power-up: a reader that releases the
 * card and polls again finds the same card (nfc-list polls until it meets
 * a card it has listed: with a new UID at each selection it listed the one
 * card up to 16 times), and only the next field presence shows a new one,
 * so that two taps cannot be linked by their UID. */
#include <errno.h>
#include <fcntl.h>
#include <nfc/nfc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/frame.h"
#include "host.h"

/* TgSetData carries at most 263 bytes after its command code in one PN532
 * frame, and libnfc sends no more: a longer answer cannot leave the chip. */
#define NFC_TARGET_RAPDU_MAX 263u
/* The worker's descriptors block (a write waits for the main loop), so
 * this deadline of fio_write_all's, which bounds only a write that would
 * block on a non-blocking descriptor, does not come into play. */
#define NFC_WRITE_TIMEOUT_MS 2000
/* When a field presence ends. A PN532 target cannot see the field go: a
 * reader's release and the field's loss both end its session with status
 * 29 ("released by its initiator", the only status its user manual has for
 * a target that lost its reader), and while it waits to be selected it
 * reports nothing. So after a release the card is armed again at once with
 * the same UID, and if no reader selects it within this time it counts as
 * out of the field and is armed again with a new UID. A reader that still
 * wants it polls again well within it (nfc-list at once, the terminal every
 * 50 ms). The PN532 takes a UID only when armed: a reader selecting the
 * card in the instant it is armed again finds it silent, as a card that
 * left the field, and must poll again. */
#define NFC_PRESENCE_MS 1000
/* Historical bytes when the contactless ATR gives none. */
static const uint8_t nfc_default_hist[] = {'S', 'I', 'G', 'C', 'A', 'R', 'D'};

static nfc_context *nfc_ctx;
static nfc_device *nfc_dev;
static char nfc_name[NFC_BUFSIZE_CONNSTRING];
static pthread_t nfc_thread;
static int nfc_thread_started;
static atomic_int nfc_stopping;      /* set by the main thread, read by the worker */
static int nfc_notify[2] = {-1, -1};   /* worker -> main: new session fds */
static struct carrier nfc_car;
static uint8_t nfc_hist[48];
static size_t nfc_hist_len;

/* --- worker thread --- */

static int send_frame(int fd, const uint8_t *body, size_t len)
{
	return fio_write_frame(fd, body, len, NFC_WRITE_TIMEOUT_MS) == 0 ? 0 : -1;
}

/* One reply frame from the main loop; its length, or -1 (closed: the card
 * lost power). */
static long recv_frame(int fd, uint8_t *body, size_t cap)
{
	size_t got;
	return fio_read_frame(fd, body, cap, &got, -1, 0) == 0 ? (long)got : -1;
}

/* The random part of a single-size UID, whose first byte, 08, the PN53x
 * fixes (ISO/IEC 14443-3 reserves it for random UIDs). */
static void new_uid(uint8_t uid[3])
{
	if (getrandom(uid, 3, 0) != 3)
		memset(uid, 0x5A, 3);
}

static void target_template(nfc_target *nt, const uint8_t uid[3])
{
	memset(nt, 0, sizeof *nt);
	nt->nm.nmt = NMT_ISO14443A;
	nt->nm.nbr = NBR_UNDEFINED;
	nt->nti.nai.abtAtqa[0] = 0x00;
	nt->nti.nai.abtAtqa[1] = 0x04;
	nt->nti.nai.btSak = 0x20;   /* ISO/IEC 14443-4 compliant */
	nt->nti.nai.szUidLen = 4;
	nt->nti.nai.abtUid[0] = 0x08;
	memcpy(nt->nti.nai.abtUid + 1, uid, 3);
	/* ATS: T0 (TA, TB, TC present, FSCI 8 = 256 bytes), TA 106 kbit/s,
	 * TB FWI 7, TC CID supported, then the historical bytes. */
	static const uint8_t ats[4] = {0x78, 0x80, 0x70, 0x02};
	memcpy(nt->nti.nai.abtAts, ats, sizeof ats);
	memcpy(nt->nti.nai.abtAts + sizeof ats, nfc_hist, nfc_hist_len);
	nt->nti.nai.szAtsLen = sizeof ats + nfc_hist_len;
}

/* One selection: APDUs until the reader releases the card or the field
 * goes; then the card has left the reader. 1 if the card is still powered
 * (it may be selected again in the same field), 0 if it lost power. */
static int serve_session(void)
{
	int sv[2];
	uint8_t capdu[4096], rapdu[SC_FRAME_MAX_BODY];
	static const uint8_t power_on = SC_CTRL_POWER_ON, power_off = SC_CTRL_POWER_OFF;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("nfc: socketpair");
		return 1;
	}
	if (fio_write_all(nfc_notify[1], &sv[0], sizeof sv[0], NFC_WRITE_TIMEOUT_MS) != 0) {
		close(sv[0]);
		close(sv[1]);
		return 1;
	}
	int alive = send_frame(sv[1], &power_on, 1) == 0;
	while (alive && !nfc_stopping) {
		int r = nfc_target_receive_bytes(nfc_dev, capdu, sizeof capdu, 0);
		if (r < 0) {
			log_info("nfc: reader gone (%s)", nfc_strerror(nfc_dev));
			break;
		}
		long n;
		if (send_frame(sv[1], capdu, (size_t)r) != 0 ||
		    (n = recv_frame(sv[1], rapdu, sizeof rapdu)) < 0) {
			/* The card lost power in the command: no answer, as a
			 * chip without power gives none. */
			log_info("nfc: card lost power: silent until the next selection");
			alive = 0;
			break;
		}
		if ((size_t)n > NFC_TARGET_RAPDU_MAX) {
			log_warnx("nfc: an answer of %ld bytes does not fit a PN532 frame (%u):"
				  " answering 6700; the reader must ask with a short Le", n,
				  NFC_TARGET_RAPDU_MAX);
			rapdu[0] = 0x67;
			rapdu[1] = 0x00;
			n = 2;
		}
		if (nfc_target_send_bytes(nfc_dev, rapdu, (size_t)n, 0) < 0) {
			log_info("nfc: reader gone while answering (%s)", nfc_strerror(nfc_dev));
			break;
		}
	}
	if (alive)
		(void)send_frame(sv[1], &power_off, 1);
	close(sv[1]);
	return alive;
}

static void *worker(void *arg)
{
	uint8_t uid[3];
	int in_field = 0;   /* released, perhaps still in the reader's field */
	(void)arg;
	while (!nfc_stopping) {
		nfc_target nt;
		uint8_t rx[264];
		if (!in_field)
			new_uid(uid);
		target_template(&nt, uid);
		int r = nfc_target_init(nfc_dev, &nt, rx, sizeof rx, in_field ? NFC_PRESENCE_MS : 0);
		if (nfc_stopping)
			break;
		if (r == NFC_ETIMEOUT && in_field) {
			log_info("nfc: not selected again within %d ms: out of the field,"
				 " a new UID for the next reader", NFC_PRESENCE_MS);
			in_field = 0;
			continue;
		}
		if (r < 0) {
			log_warnx("nfc: %s: target mode failed: %s; retrying", nfc_name,
				  nfc_strerror(nfc_dev));
			in_field = 0;
			sleep(1);
			continue;
		}
		log_info("nfc: selected by a reader (UID %02X%02X%02X%02X%s)", nt.nti.nai.abtUid[0],
			 nt.nti.nai.abtUid[1], nt.nti.nai.abtUid[2], nt.nti.nai.abtUid[3],
			 in_field ? ", again in the same field" : "");
		in_field = serve_session();
	}
	return NULL;
}

/* --- main thread --- */

static void on_session(int fd, short revents, void *arg)
{
	const char *why = "hung up";
	(void)fd;
	(void)arg;
	if ((revents & POLLIN) != 0 && carrier_on_readable(&nfc_car, &why) == 0)
		return;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0)
		carrier_detach(&nfc_car, why);
}

static void on_notify(int fd, short revents, void *arg)
{
	int sfd;
	(void)revents;
	(void)arg;
	if (read(fd, &sfd, sizeof sfd) != (ssize_t)sizeof sfd)
		return;
	if (nfc_car.fd >= 0) {
		/* The last session's goodbye may still be unread: serve it. */
		struct pollfd p = {nfc_car.fd, POLLIN, 0};
		while (nfc_car.fd >= 0 && poll(&p, 1, 0) > 0)
			on_session(nfc_car.fd, p.revents, NULL);
		carrier_detach(&nfc_car, "superseded by a new selection");
	}
	if (evloop_add(sfd, POLLIN, on_session, NULL) != 0) {
		log_warnx("nfc: too many descriptors: dropping the reader");
		close(sfd);
		return;
	}
	carrier_attach(&nfc_car, sfd);
}

/* The historical bytes of the contactless ATR, for the ATS (PC/SC maps
 * one to the other for contactless cards). */
static void take_historical_bytes(void)
{
	nfc_hist_len = card_historical_bytes(host_card(), CARD_IFACE_CONTACTLESS, nfc_hist,
					     sizeof nfc_hist);
	if (nfc_hist_len == 0) {
		memcpy(nfc_hist, nfc_default_hist, sizeof nfc_default_hist);
		nfc_hist_len = sizeof nfc_default_hist;
	}
}

int nfc_target_open(const char *connstring, const char **why)
{
	if (strlen(connstring) >= sizeof nfc_name) {
		*why = "connstring too long";
		return -1;
	}
	memcpy(nfc_name, connstring, strlen(connstring) + 1);
	nfc_init(&nfc_ctx);
	if (nfc_ctx == NULL) {
		*why = "libnfc could not start";
		return -1;
	}
	nfc_dev = nfc_open(nfc_ctx, connstring);
	if (nfc_dev == NULL) {
		nfc_exit(nfc_ctx);
		nfc_ctx = NULL;
		*why = "libnfc cannot open this device (check the connstring and the port)";
		return -1;
	}
	if (pipe2(nfc_notify, O_CLOEXEC) != 0 ||
	    evloop_add(nfc_notify[0], POLLIN, on_notify, NULL) != 0) {
		*why = "cannot set up the session pipe";
		nfc_target_close();
		return -1;
	}
	carrier_init(&nfc_car, "nfc", CARD_IFACE_CONTACTLESS);
	return 0;
}

int nfc_target_run(const char **why)
{
	if (nfc_dev == NULL)
		return 0;
	take_historical_bytes();
	if (pthread_create(&nfc_thread, NULL, worker, NULL) != 0) {
		*why = "cannot start the NFC thread";
		return -1;
	}
	nfc_thread_started = 1;
	log_info("nfc: card emulation on %s (%s)", nfc_name, nfc_device_get_name(nfc_dev));
	return 0;
}

void nfc_target_drop(const char *why)
{
	carrier_detach(&nfc_car, why);
}

void nfc_target_close(void)
{
	nfc_stopping = 1;
	nfc_target_drop("stopping");
	if (nfc_thread_started) {
		/* Abort until the worker notices: it may be between two libnfc
		 * calls when the first abort lands. */
		for (int i = 0; i < 50; i++) {
			nfc_abort_command(nfc_dev);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(nfc_thread, NULL, &ts) == 0)
				break;
		}
		nfc_thread_started = 0;
	}
	if (nfc_notify[0] >= 0) {
		evloop_del(nfc_notify[0]);
		close(nfc_notify[0]);
		close(nfc_notify[1]);
		nfc_notify[0] = nfc_notify[1] = -1;
	}
	if (nfc_dev != NULL)
		nfc_close(nfc_dev);
	if (nfc_ctx != NULL)
		nfc_exit(nfc_ctx);
	nfc_dev = NULL;
	nfc_ctx = NULL;
}
