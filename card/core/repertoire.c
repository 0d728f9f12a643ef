/* The characters the card's screen shows, each one faithfully and unlike
 * every other, and the check SIGN makes with them: a transaction whose
 * displayed text has any other character is refused, because the holder
 * would confirm something the screen did not show (docs/PROTOCOL.md §5.4).
 * A renderer of the screen (the emulator's PNG, a board's panel) must have
 * a glyph for each; the emulator's font is GNU Unifont, and its tests hold
 * every glyph here against '?' and against each other. */
#include <string.h>

#include "common/utf8.h"
#include "core.h"

struct shown_range {
	uint32_t first, last;
};

/* ASCII, Latin-1 Supplement and Latin Extended-A, less three that would
 * let two different names look the same:
 *   U+00A0 NO-BREAK SPACE: drawn as a space;
 *   U+00AD SOFT HYPHEN: invisible where text is laid out, a hyphen where
 *          it is drawn as is;
 *   U+00D0 LATIN CAPITAL LETTER ETH: the same glyph as U+0110 D WITH
 *          STROKE (kept: Croatian names start with it; no Icelandic word
 *          starts with eth). */
static const struct shown_range shown[] = {
	{0x0020, 0x007E},
	{0x00A1, 0x00AC},
	{0x00AE, 0x00CF},
	{0x00D1, 0x017F},
};

bool core_can_show(uint32_t cp)
{
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (cp >= shown[i].first && cp <= shown[i].last)
			return true;
	return false;
}

bool core_text_showable(const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		uint32_t cp;
		int n = sc_utf8_next(&cp, (const uint8_t *)s + i, len - i);

		if (n < 0 || !core_can_show(cp))
			return false;
		i += (size_t)n;
	}
	return true;
}

bool core_tx_showable(const struct sc_tx *tx)
{
	/* The review screen (confirm.c) shows these three as text; the amount
	 * line comes from the currency table, all ASCII. */
	return core_text_showable(tx->payee_name) && core_text_showable(tx->payee) &&
	       core_text_showable(tx->payer);
}
