/* The camera: a source of frames (a PNG file re-read, or a V4L2 device)
 * whose QR codes zbar decodes; only the QR of this card and this ATC counts,
 * so a stale password screen from an earlier payment is never used. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zbar.h>

#include "common/applet.h"
#include "common/scheme.h"
#include "terminal/terminal.h"

#define FILE_POLL_MS 100

/* The file: camera's folder must exist and be readable now: the card
 * writes its screen there only after it signed, and a folder that is not
 * there would otherwise be found only then, with an ATC spent. */
static int file_folder_usable(struct term_camera *cam)
{
	char dir[sizeof cam->path];
	struct stat st;
	const char *slash = strrchr(cam->path, '/');

	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (slash == cam->path)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, cam->path, (size_t)(slash - cam->path));
		dir[slash - cam->path] = '\0';
	}
	if (stat(dir, &st) != 0)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "file:%s: its folder %s: %s", cam->path, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "file:%s: %s is not a folder", cam->path, dir);
	if (access(dir, R_OK | X_OK) != 0)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "file:%s: its folder %s cannot be read: %s", cam->path, dir,
				 strerror(errno));
	return 0;
}

int term_camera_open(struct term_camera *cam, const char *spec)
{
	memset(cam, 0, sizeof *cam);
	cam->poll_ms = FILE_POLL_MS;
	if (spec == NULL || strlen(spec) >= sizeof cam->path)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_USAGE,
				 "camera spec missing or too long");
	const char *path;
	if (strncmp(spec, "file:", 5) == 0) {
		cam->kind = TERM_CAMERA_FILE;
		path = spec + 5;
	} else if (strncmp(spec, "v4l2:", 5) == 0) {
		cam->kind = TERM_CAMERA_V4L2;
		path = spec + 5;
	} else {
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_USAGE,
				 "'%s': unknown camera; expected file:PATH or v4l2:/dev/videoN",
				 spec);
	}
	if (path[0] == '\0')
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_USAGE,
				 "'%s': a path is needed after the colon", spec);
	memcpy(cam->path, path, strlen(path) + 1);
	if (cam->kind == TERM_CAMERA_FILE) {
		int rc = file_folder_usable(cam);
		if (rc != 0)
			return rc;
	}

	zbar_image_scanner_t *sc = zbar_image_scanner_create();
	if (sc == NULL)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "zbar: cannot create a scanner");
	/* QR codes only: fewer false reads from other symbologies, less work. */
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	cam->scanner = sc;
	if (cam->kind == TERM_CAMERA_V4L2) {
		int rc = term_camera_v4l2_open(cam);
		if (rc != 0) {
			term_camera_close(cam);
			return rc;
		}
	}
	return 0;
}

void term_camera_close(struct term_camera *cam)
{
	if (cam->video != NULL)
		term_camera_v4l2_close(cam);
	if (cam->scanner != NULL)
		zbar_image_scanner_destroy(cam->scanner);
	cam->scanner = NULL;
}

/* A zbar image that points at the caller's grey bytes (Y800). */
static zbar_image_t *grey_image(const uint8_t *grey, unsigned width, unsigned height)
{
	zbar_image_t *img = zbar_image_create();
	if (img == NULL)
		return NULL;
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, width, height);
	zbar_image_set_data(img, grey, (unsigned long)width * height, NULL);
	return img;
}

/* 1 if payload is this card's void QR for this ATC, with cam->err saying
 * why the card voided it; 0 otherwise. */
static int is_void(struct term_camera *cam, const char *payload, size_t len,
		   const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc)
{
	static const char *const why[] = {
		[SC_VOID_CANCELLED] = "the holder cancelled on the card",
		[SC_VOID_TIMEOUT] = "the card's confirmation timed out",
		[SC_VOID_PIN_BLOCKED] = "the PIN was wrong too often and is now blocked",
	};
	struct sc_void_qr v;

	if (sc_void_qr_decode(&v, payload, len) != 0 || v.atc != atc ||
	    !sc_ct_equal(v.card_id, card_id, SC_CARD_ID_LEN))
		return 0;
	(void)term_errf(cam->err, sizeof cam->err, TERM_EXIT_CANCELLED,
			"the card voided ATC %u (%s): %s; start a new payment", atc,
			sc_void_reason_word(v.reason), why[v.reason]);
	return 1;
}

/* Looks through the symbols zbar found in img for this card's QR: 1 with
 * jp set for its password, -TERM_EXIT_CANCELLED for its void QR, else 0. */
static int match_symbols(struct term_camera *cam, zbar_image_t *img,
			 const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc,
			 char jp[SC_JP_DIGITS + 1])
{
	int found = 0;
	for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s != NULL && !found;
	     s = zbar_symbol_next(s)) {
		if (zbar_symbol_get_type(s) != ZBAR_QRCODE)
			continue;
		const char *data = zbar_symbol_get_data(s);
		size_t len = zbar_symbol_get_data_length(s);
		/* Only a payload of exactly the card's form counts: a picture of
		 * something else in the frame is never taken for a password. */
		if (is_void(cam, data, len, card_id, atc)) {
			found = -TERM_EXIT_CANCELLED;
			break;
		}
		struct sc_qr q;
		if (sc_qr_decode(&q, data, len) != 0)
			continue;
		if (q.atc == atc && sc_ct_equal(q.card_id, card_id, SC_CARD_ID_LEN)) {
			memcpy(jp, q.jp, SC_JP_DIGITS + 1);
			found = 1;
		}
		sc_wipe(&q, sizeof q);
	}
	return found;
}

int term_camera_scan_grey(struct term_camera *cam, const uint8_t *grey, unsigned width,
			  unsigned height, const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc,
			  char jp[SC_JP_DIGITS + 1])
{
	zbar_image_t *img = grey_image(grey, width, height);
	if (img == NULL)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "zbar: cannot create an image");
	cam->frames++;
	int found = 0;
	if (zbar_scan_image(cam->scanner, img) > 0)
		found = match_symbols(cam, img, card_id, atc, jp);
	zbar_image_destroy(img);
	return found;
}

int term_camera_wait_jp(struct term_camera *cam, const uint8_t card_id[SC_CARD_ID_LEN],
			uint32_t atc, int timeout_ms, char jp[SC_JP_DIGITS + 1])
{
	if (cam->scanner == NULL)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE, "camera not open");
	if (cam->kind == TERM_CAMERA_V4L2)
		return term_camera_v4l2_wait(cam, card_id, atc, timeout_ms, jp);
	return term_camera_file_wait(cam, card_id, atc, timeout_ms, jp);
}
