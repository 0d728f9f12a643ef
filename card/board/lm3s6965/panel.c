/* The card's own screen and keys on the EK-LM3S6965: the OLED (display.c)
 * and the five buttons (keys.c). With five buttons the PIN is entered on a
 * wheel: up and down choose the digit shown on the last row, right enters
 * it, left is Backspace, select is OK, up and down together are Cancel.
 * The wheel shows while the card asks for the PIN; it starts at 0 again
 * after each digit, so the screen never shows a digit entered. */
#include "board.h"

static int wheel;
static uint8_t shown;   /* the screen's id (the core keeps no copy to redraw from) */

static bool asks_pin(uint8_t id)
{
	return id == CARD_SCREEN_REVIEW || id == CARD_SCREEN_PIN_WRONG;
}

void board_panel_start(void)
{
	display_start();
	keys_start();
}

void board_panel_show(const struct card_screen *screen)
{
	shown = screen->id;
	display_show(screen, asks_pin(shown) ? wheel : -1);
}

void board_panel_poll(struct card_core *card)
{
	uint32_t chord = keys_poll(board_tick_ms());

	switch (chord) {
	case 0:
		return;
	case KEYS_UP:
		wheel = (wheel + 1) % 10;
		break;
	case KEYS_DOWN:
		wheel = (wheel + 9) % 10;
		break;
	case KEYS_UP | KEYS_DOWN:
		card_key(card, CARD_KEY_CANCEL);
		return;
	case KEYS_RIGHT:
		card_key(card, '0' + wheel);
		wheel = 0;
		break;
	case KEYS_LEFT:
		card_key(card, CARD_KEY_BACKSPACE);
		return;
	case KEYS_SELECT:
		card_key(card, CARD_KEY_OK);
		return;
	default:
		return;   /* any other chord: nothing */
	}
	/* The wheel moved, or went back to 0 after a digit (a key the card
	 * takes may also have drawn a new screen, with the wheel): redraw its
	 * row if the screen up still asks for the PIN. */
	if (asks_pin(shown))
		display_wheel(wheel);
}
