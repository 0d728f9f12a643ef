/* The card's own terminal window: the screen drawn with text and UTF-8
 * half blocks for the QR code, and the keypad read from the same terminal
 * in raw mode (digits, Enter = OK, Esc = Cancel, Backspace). The terminal's
 * settings are restored on exit, whatever the exit path. The window is used
 * only while the card is the terminal's foreground job: a background job
 * that reads a terminal is stopped (SIGTTIN), so then it is left alone and
 * drawn again when the job comes back to the foreground. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "host.h"

static int tty_fd = -1;
static struct termios tty_saved;
static int tty_raw;
static int tty_paused;   /* in the background: keypad not read, screen not drawn */

int tty_is_foreground(int fd)
{
	pid_t fg;
	if (!isatty(fd))
		return 0;
	fg = tcgetpgrp(fd);
	return fg != -1 && fg == getpgrp();
}

static void tty_restore(void)
{
	if (tty_raw) {
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
		tty_raw = 0;
		/* Show the cursor again and leave the screen as it is. */
		fputs("\033[0m\033[?25h\n", stdout);
		fflush(stdout);
	}
}

int tty_open(int fd)
{
	static int registered;
	struct termios t;
	if (!isatty(fd) || tcgetattr(fd, &tty_saved) != 0)
		return -1;
	t = tty_saved;
	/* No line editing or echo (keys go to the card, not to a line), but
	 * keep ISIG so ^C still stops the emulator cleanly, and OPOST so
	 * "\n" still starts a new line. */
	t.c_lflag &= (tcflag_t) ~(ICANON | ECHO | IEXTEN);
	t.c_iflag &= (tcflag_t) ~(ICRNL | INLCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0)
		return -1;
	tty_fd = fd;
	tty_raw = 1;
	if (!registered) {
		atexit(tty_restore);
		registered = 1;
	}
	return 0;
}

void tty_close(void)
{
	tty_restore();
	tty_fd = -1;
}

int tty_active(void) { return tty_fd >= 0; }

int tty_key_for_byte(unsigned char b)
{
	if (b >= '0' && b <= '9')
		return b;
	switch (b) {
	case '\r':
	case '\n':
		return CARD_KEY_OK;
	case 0x1B:
		return CARD_KEY_CANCEL;
	case 0x7F:
	case 0x08:
		return CARD_KEY_BACKSPACE;
	default:
		return 0;
	}
}

/* Hands off the terminal while in the background: no reads (they would
 * stop the card, or fail at once and spin the loop), no drawing. */
static int tty_pause_if_background(void)
{
	if (tty_is_foreground(tty_fd))
		return 0;
	if (!tty_paused)
		evloop_set_events(tty_fd, 0);
	tty_paused = 1;
	return 1;
}

void tty_poll(void)
{
	if (tty_fd < 0 || !tty_paused || !tty_is_foreground(tty_fd))
		return;
	tty_paused = 0;
	evloop_set_events(tty_fd, POLLIN);
	tty_draw(display_current());
}

int tty_on_readable(void)
{
	unsigned char buf[64];
	ssize_t n, i;
	if (tty_pause_if_background())
		return 0;
	n = read(tty_fd, buf, sizeof buf);
	if (n == 0)
		return -1;
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		int key;
		/* An escape sequence (arrow keys, function keys) arrives in one
		 * read: skip it instead of taking its ESC as Cancel. */
		if (buf[i] == 0x1B && i + 1 < n && (buf[i + 1] == '[' || buf[i + 1] == 'O')) {
			i += 2;
			while (i < n && !(buf[i] >= 0x40 && buf[i] <= 0x7E))
				i++;
			continue;
		}
		key = tty_key_for_byte(buf[i]);
		if (key != 0)
			keypad_press(key);
	}
	return 0;
}

/* Two module rows per text row: the upper half block shows the top module,
 * its background the bottom one; black on white whatever the terminal's
 * own colours, so the code scans from the window too. */
static void tty_draw_qr(FILE *f, const struct qr_modules *q)
{
	uint32_t x, y;
	for (y = 0; y < q->size; y += 2) {
		fputs("  \033[30;47m", f);
		for (x = 0; x < q->size; x++) {
			int top = q->dark[(size_t)y * q->size + x];
			int bottom = y + 1 < q->size ? q->dark[(size_t)(y + 1) * q->size + x] : 0;
			fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", f);
		}
		fputs("\033[0m\n", f);
	}
}

void tty_draw(const struct card_screen *s)
{
	FILE *f = stdout;
	unsigned i;
	if (tty_fd < 0 || tty_pause_if_background())
		return;
	fputs("\033[H\033[2J\033[?25l", f);
	fprintf(f, "+-- sigcard --------------------------------------------+\n");
	fprintf(f, "  \033[1m%s\033[0m\n\n", s->title);
	for (i = 0; i < CARD_SCREEN_LINES; i++)
		fprintf(f, "  %s\n", s->lines[i]);
	if (s->qr[0] != '\0') {
		struct qr_modules q;
		fputc('\n', f);
		if (qr_modules_make(&q, s->qr) == 0) {
			tty_draw_qr(f, &q);
			qr_modules_free(&q);
		}
	}
	fprintf(f, "\n+-------------------------------------------------------+\n"
		   "  keys: 0-9  Enter = OK  Esc = Cancel  Backspace\n");
	fflush(f);
}
