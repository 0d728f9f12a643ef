/* sigcard-card screen-png: the firmware's screen as the PNG the emulator
 * writes. The board reports its screen model on UART1 as JSON lines
 * (card/board/common/ui.c, README "Firmware"); this filter reads that stream
 * on stdin, rebuilds each screen event's struct card_screen and draws it
 * with the emulator's own renderer (raster.c, pngfile.c), so the
 * terminal's camera (--camera file:PNG) scans the firmware card exactly as
 * it scans the emulated one. Every line is copied to stdout after the PNG
 * of its screen is in place: whoever watches the copy for a screen knows
 * the PNG already shows it. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hostlib/atomicfile.h"
#include "host.h"

/* A screen event is under 3 KiB even with every byte escaped; longer lines
 * are not the board's. */
#define SPNG_LINE_MAX 8192

static void spng_usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-card screen-png --png PATH < UART1-LINES\n"
"\n"
"Reads the firmware board's screen and keypad stream (UART1: one JSON\n"
"object per line, README \"Firmware\") on stdin and, at every screen event,\n"
"draws that screen into PATH as the emulator's --png does: the same\n"
"pixels, written atomically, for the terminal's --camera file:PATH. Every\n"
"line is copied to stdout once its screen is drawn.\n"
"\n"
"  -p, --png PATH   the PNG to write\n"
"\n"
"Exit status: 0 at the end of the input; 1 if a screen event, or a line\n"
"starting with '{', could not be read or drawn (named on stderr; the PNG\n"
"keeps the screen before it, and the lines after it are still handled);\n"
"2 usage.\n");
}

static int spng_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int spng_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("sigcard-card: screen-png: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'sigcard-card screen-png --help')\n", stderr);
	return 2;
}

/* Copies the JSON string v into dst[cap]; NULL, or why it does not fit. */
static const char *spng_text(char *dst, size_t cap, json_t *v, const char *what)
{
	if (!json_is_string(v))
		return what;
	if (json_string_length(v) >= cap)
		return what;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1u);
	return NULL;
}

/* The screen of a UART1 "screen" object ({id, name, title, lines, qr}, the
 * control socket's fields) in *s; NULL, or the field that is wrong. */
static const char *spng_screen(struct card_screen *s, json_t *o)
{
	json_t *id = json_object_get(o, "id"), *name = json_object_get(o, "name");
	json_t *lines = json_object_get(o, "lines"), *qr = json_object_get(o, "qr");
	const char *bad;
	size_t i;

	memset(s, 0, sizeof *s);
	if (!json_is_integer(id) || json_integer_value(id) < 0 ||
	    json_integer_value(id) > 255 ||
	    strcmp(display_screen_name((unsigned)json_integer_value(id)), "unknown") == 0)
		return "id (a known screen)";
	s->id = (uint8_t)json_integer_value(id);
	if (name != NULL && (!json_is_string(name) ||
			     strcmp(json_string_value(name), display_screen_name(s->id)) != 0))
		return "name (the id's)";
	if ((bad = spng_text(s->title, sizeof s->title, json_object_get(o, "title"),
			     "title (a string under 32 bytes)")) != NULL)
		return bad;
	if (!json_is_array(lines) || json_array_size(lines) != CARD_SCREEN_LINES)
		return "lines (6 strings)";
	for (i = 0; i < CARD_SCREEN_LINES; i++)
		if ((bad = spng_text(s->lines[i], sizeof s->lines[i], json_array_get(lines, i),
				     "lines (strings under 64 bytes)")) != NULL)
			return bad;
	if (!json_is_null(qr) &&
	    (bad = spng_text(s->qr, sizeof s->qr, qr, "qr (null or a string under 96 bytes)")) != NULL)
		return bad;
	return NULL;
}

/* Handles one line: 0 (drawn, or not a screen event), or -1 (named on stderr). */
static int spng_line(const char *path, const char *line, unsigned long n)
{
	struct card_screen s;
	struct raster r;
	json_error_t jerr;
	json_t *o, *ev;
	const char *bad;
	int rc;

	/* Whatever else the board prints (text, other events) passes; but a
	 * line the board began as an object and did not finish may be a
	 * screen that went missing. */
	if (line[0] != '{')
		return 0;
	o = json_loads(line, 0, &jerr);
	if (o == NULL) {
		fprintf(stderr, "sigcard-card: screen-png: line %lu: not JSON (%s)\n", n, jerr.text);
		return -1;
	}
	ev = json_object_get(o, "event");
	if (!json_is_string(ev) || strcmp(json_string_value(ev), "screen") != 0) {
		json_decref(o);
		return 0;
	}
	bad = spng_screen(&s, json_object_get(o, "screen"));
	json_decref(o);
	if (bad != NULL) {
		fprintf(stderr, "sigcard-card: screen-png: line %lu: a screen event with a bad %s\n",
			n, bad);
		return -1;
	}
	if (raster_screen(&r, &s) != 0) {
		fprintf(stderr, "sigcard-card: screen-png: line %lu: cannot draw the screen\n", n);
		return -1;
	}
	rc = pngfile_write(path, &r);
	raster_free(&r);
	if (rc != 0) {
		fprintf(stderr, "sigcard-card: screen-png: %s: %s\n", path, af_strerror(rc));
		return -1;
	}
	return 0;
}

int screen_png_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"png", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static char prog[] = "sigcard-card screen-png";   /* getopt's messages name it */
	const char *path = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long n = 0;
	int c, failed = 0;

	argv[0] = prog;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'h': spng_usage(stdout); return 0;
		default:
			fputs("Try 'sigcard-card screen-png --help'.\n", stderr);
			return 2;
		}
	}
	if (path == NULL)
		return spng_usage_error("--png PATH is required");
	if (optind < argc)
		return spng_usage_error("unexpected argument '%s'", argv[optind]);
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		n++;
		if (len > SPNG_LINE_MAX) {
			fprintf(stderr, "sigcard-card: screen-png: line %lu: longer than %d bytes\n",
				n, SPNG_LINE_MAX);
			failed = 1;
		} else if (spng_line(path, line, n) != 0) {
			failed = 1;
		}
		fwrite(line, 1, (size_t)len, stdout);
		fflush(stdout);
	}
	free(line);
	return failed ? 1 : 0;
}
