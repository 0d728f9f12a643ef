/* The v4l2: camera: a real camera through zbar's video support. Not tested
 * on the build machine (it has no video device); --help and README say so. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <zbar.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "terminal/terminal.h"

int term_camera_v4l2_open(struct term_camera *cam)
{
	zbar_video_t *v = zbar_video_create();
	if (v == NULL)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "zbar: cannot create a video source");
	if (zbar_video_open(v, cam->path) != 0) {
		int rc = term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				   "v4l2:%s: cannot open the camera: %s", cam->path,
				   zbar_video_error_string(v, 0));
		zbar_video_destroy(v);
		return rc;
	}
	/* No window: let zbar pick the device format cheapest to turn grey. */
	if (zbar_negotiate_format(v, NULL) != 0) {
		int rc = term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				   "v4l2:%s: no usable image format: %s", cam->path,
				   zbar_video_error_string(v, 0));
		zbar_video_destroy(v);
		return rc;
	}
	cam->video = v;
	return 0;
}

void term_camera_v4l2_close(struct term_camera *cam)
{
	if (cam->video == NULL)
		return;
	zbar_video_enable(cam->video, 0);
	zbar_video_destroy(cam->video);
	cam->video = NULL;
}

/* Scans one captured frame after turning it into grey (Y800). */
static int scan_frame(struct term_camera *cam, zbar_image_t *frame,
		      const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc, char jp[SC_JP_DIGITS + 1])
{
	zbar_image_t *grey = zbar_image_convert(frame, zbar_fourcc('Y', '8', '0', '0'));
	if (grey == NULL)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "v4l2:%s: cannot convert a frame to grey", cam->path);
	int found = term_camera_scan_grey(cam, zbar_image_get_data(grey),
					  zbar_image_get_width(grey), zbar_image_get_height(grey),
					  card_id, atc, jp);
	zbar_image_destroy(grey);
	return found;
}

int term_camera_v4l2_wait(struct term_camera *cam, const uint8_t card_id[SC_CARD_ID_LEN],
			  uint32_t atc, int timeout_ms, char jp[SC_JP_DIGITS + 1])
{
	zbar_video_t *v = cam->video;
	if (zbar_video_enable(v, 1) != 0)
		return term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				 "v4l2:%s: cannot start capture: %s", cam->path,
				 zbar_video_error_string(v, 0));
	int fd = zbar_video_get_fd(v);
	int64_t deadline = term_now_ms() + timeout_ms;
	int rc = 0, got = 0;
	for (;;) {
		int64_t left = deadline - term_now_ms();
		if (left <= 0)
			break;
		/* zbar_video_next_image blocks; wait for a frame with a deadline
		 * first where the driver gives us its descriptor. */
		if (fd >= 0) {
			struct pollfd p = {fd, POLLIN, 0};
			int r = poll(&p, 1, (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				continue;
		}
		zbar_image_t *frame = zbar_video_next_image(v);
		if (frame == NULL) {
			rc = term_errf(cam->err, sizeof cam->err, TERM_EXIT_FAILURE,
				       "v4l2:%s: capture failed: %s", cam->path,
				       zbar_video_error_string(v, 0));
			break;
		}
		int found = scan_frame(cam, frame, card_id, atc, jp);
		zbar_image_destroy(frame);
		if (found != 0) {
			rc = found > 0 ? 0 : found;
			got = found > 0;
			break;
		}
	}
	zbar_video_enable(v, 0);
	if (rc != 0 || got)
		return rc;
	char id_hex[2 * SC_CARD_ID_LEN + 1];
	sc_hex_encode(id_hex, card_id, SC_CARD_ID_LEN);
	return term_errf(cam->err, sizeof cam->err, TERM_EXIT_CANCELLED,
			 "no password QR code for card %s, ATC %u seen by v4l2:%s within %d s"
			 " (cancelled, wrong PIN, or not confirmed on the card)",
			 id_hex, atc, cam->path, (timeout_ms + 999) / 1000);
}
