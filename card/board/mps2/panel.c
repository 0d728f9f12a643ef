/* The MPS2 AN385 has no display or keys the card could use: the screen
 * model on UART1 (ui.c) is its display and the bytes coming in there its
 * keypad. */
#include "board.h"

void board_panel_start(void)
{
}

void board_panel_show(const struct card_screen *screen)
{
	(void)screen;
}

void board_panel_poll(struct card_core *card)
{
	(void)card;
}
