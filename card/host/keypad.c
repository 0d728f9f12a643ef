/* The card's keypad as every input reaches it: the terminal window, the
 * control socket and the web page name keys the same way and press them
 * through keypad_press, so a key has one path into the core whatever sent
 * it. */
#include <strings.h>

#include "host.h"

int keypad_key_for_name(const char *k)
{
	if (k[0] != '\0' && k[1] == '\0') {
		char c = k[0];
		if (c >= '0' && c <= '9')
			return c;
		if (c == 'K' || c == 'k')
			return CARD_KEY_OK;
		if (c == 'C' || c == 'c')
			return CARD_KEY_CANCEL;
		if (c == 'B' || c == 'b')
			return CARD_KEY_BACKSPACE;
		return 0;
	}
	if (strcasecmp(k, "OK") == 0 || strcasecmp(k, "enter") == 0)
		return CARD_KEY_OK;
	if (strcasecmp(k, "cancel") == 0 || strcasecmp(k, "esc") == 0)
		return CARD_KEY_CANCEL;
	if (strcasecmp(k, "backspace") == 0)
		return CARD_KEY_BACKSPACE;
	return 0;
}

void keypad_press(int key)
{
	card_key(host_card(), key);
	power_check();
}
