/* The screen model: the core keeps the current screen and hands every
 * change to the HAL, which draws it (PNG, terminal window, a real panel). */
#include <string.h>

#include "core.h"

void screen_show(struct card_core *c, const struct card_screen *s)
{
	if (s != &c->screen)
		c->screen = *s;
	hal_display_show(c->hal, &c->screen);
}

const struct card_screen *screen_current(const struct card_core *c)
{
	return &c->screen;
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
