/* The screen model: the core builds each screen and hands it to the HAL,
 * which draws it (PNG, terminal window, a real panel) and keeps what it
 * needs; the core keeps only which screen is up, what claim 7's logic asks
 * (issue 16: a copy of the whole model cost the board 513 bytes of RAM,
 * and the board's display, the UART1 stream, has had it since it was
 * shown). */
#include <string.h>

#include "core.h"

void screen_show(struct card_core *c, const struct card_screen *s)
{
	c->screen_id = s->id;
	hal_display_show(c->hal, s);
}

uint8_t screen_id(const struct card_core *c)
{
	return c->screen_id;
}

/* Copies src into dst[cap] truncated at a character boundary, so a long
 * UTF-8 text never ends in half a character. */
void screen_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1u;
		while (n > 0 && ((unsigned char)src[n] & 0xC0u) == 0x80u)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void screen_simple(struct card_core *c, uint8_t id, const char *title, const char *line0)
{
	struct card_screen s;

	memset(&s, 0, sizeof s);
	s.id = id;
	screen_text(s.title, sizeof s.title, title);
	if (line0 != NULL)
		screen_text(s.lines[0], sizeof s.lines[0], line0);
	screen_show(c, &s);
}
