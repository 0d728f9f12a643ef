/* hal_display_show: the core's screen model goes to the PNG file (for the
 * terminal's camera), to the card's terminal window, to the control
 * socket's waiters, which look at display_current()/display_serial(), and
 * to the browsers watching the card's web page. The screen's JSON form is
 * made here once, for whoever shows it as data. */
#include <string.h>

#include <jansson.h>

#include "card/hal.h"
#include "hostlib/atomicfile.h"
#include "host.h"

static struct card_screen disp_screen;  /* last shown; all-zero = idle, blank */
static unsigned long disp_serial;
static const char *disp_png_path;
static int disp_png_status;       /* the last pngfile_write's result */
static int disp_tty;

static const char *const disp_names[] = {
	[CARD_SCREEN_IDLE] = "idle",
	[CARD_SCREEN_ON_READER] = "on_reader",
	[CARD_SCREEN_REVIEW] = "review",
	[CARD_SCREEN_PIN_WRONG] = "pin_wrong",
	[CARD_SCREEN_PASSWORD] = "password",
	[CARD_SCREEN_CANCELLED] = "cancelled",
	[CARD_SCREEN_TIMEOUT] = "timeout",
	[CARD_SCREEN_PIN_BLOCKED] = "pin_blocked",
	[CARD_SCREEN_RELEASED] = "released",
};
#define DISP_NAMES (sizeof disp_names / sizeof disp_names[0])

void display_init(const char *png_path, int tty)
{
	disp_png_path = png_path;
	disp_tty = tty;
}

const struct card_screen *display_current(void) { return &disp_screen; }

void display_redraw(void)
{
	struct card_screen s = disp_screen;   /* hal_display_show copies into disp_screen */

	hal_display_show(NULL, &s);
}
unsigned long display_serial(void) { return disp_serial; }

const char *display_screen_name(unsigned id)
{
	return id < DISP_NAMES && disp_names[id] != NULL ? disp_names[id] : "unknown";
}

int display_screen_id(const char *name)
{
	unsigned i;
	for (i = 0; i < DISP_NAMES; i++)
		if (disp_names[i] != NULL && strcmp(disp_names[i], name) == 0)
			return (int)i;
	return -1;
}

json_t *display_screen_json(const struct card_screen *s)
{
	json_t *lines = json_array();
	unsigned i;
	for (i = 0; i < CARD_SCREEN_LINES; i++)
		json_array_append_new(lines, json_string(s->lines[i]));
	return json_pack("{s:i, s:s, s:s, s:o, s:o}", "id", (int)s->id, "name",
			 display_screen_name(s->id), "title", s->title, "lines", lines, "qr",
			 s->qr[0] != '\0' ? json_string(s->qr) : json_null());
}

/* Copies field by field, forcing NUL termination: the model comes from the
 * core, and a missing terminator must not run the drawing off the end. */
static void disp_copy(struct card_screen *d, const struct card_screen *s)
{
	unsigned i;
	d->id = s->id;
	memcpy(d->title, s->title, sizeof d->title);
	d->title[sizeof d->title - 1] = '\0';
	for (i = 0; i < CARD_SCREEN_LINES; i++) {
		memcpy(d->lines[i], s->lines[i], sizeof d->lines[i]);
		d->lines[i][sizeof d->lines[i] - 1] = '\0';
	}
	memcpy(d->qr, s->qr, sizeof d->qr);
	d->qr[sizeof d->qr - 1] = '\0';
}

int display_png_status(void)
{
	return disp_png_status;
}

void hal_display_show(struct card_hal *hal, const struct card_screen *screen)
{
	(void)hal;
	disp_copy(&disp_screen, screen);
	disp_serial++;
	log_debug("screen %s: %s", display_screen_name(disp_screen.id), disp_screen.title);
	if (disp_png_path != NULL) {
		struct raster r;
		if (raster_screen(&r, &disp_screen) != 0) {
			log_warnx("display: cannot draw the screen");
		} else {
			disp_png_status = pngfile_write(disp_png_path, &r);
			if (disp_png_status != 0)
				log_warnx("display: %s: %s", disp_png_path,
					  af_strerror(disp_png_status));
			raster_free(&r);
		}
	}
	control_on_screen(&disp_screen);
	web_on_screen();
	if (disp_tty && tty_active())
		tty_draw(&disp_screen);
}
