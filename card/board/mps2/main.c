/* The board's main loop: set up the clock and UARTs, find the flash image
 * named on the semihosting command line, run manufacture on first boot,
 * boot the card, then serve frames, keys and time until power is lost. */
#include <string.h>

#include "board.h"

#define POLL_MS 50u
#define CMDLINE_MAX 512u

/* The flash image path: the first argument after the program name. */
static const char *flash_path(char *cmdline)
{
	char *p = strchr(cmdline, ' ');

	if (p == NULL)
		return NULL;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	cmdline = p;
	p = strchr(cmdline, ' ');
	if (p != NULL)
		*p = '\0';
	return cmdline;
}

static void board_stop_power_lost(void)
{
	ui_event("\"event\":\"power_lost\"");
	semihost_log("sigcard-card: power lost (injected cut): the board stops");
	semihost_exit(0);
}

int main(void)
{
	static char cmdline[CMDLINE_MAX];
	const char *path, *why = NULL;
	uint32_t last_poll;
	int ok;

	systick_start();
	uart_start(BOARD_UART_UI);
	carrier_start();
	if (semihost_cmdline(cmdline, sizeof cmdline) != 0 ||
	    (path = flash_path(cmdline)) == NULL) {
		semihost_log("sigcard-card: no flash image named on the command line");
		semihost_exit(1);
	}
	if (flash_open(path, &why) != 0) {
		semihost_log(why);
		semihost_exit(1);
	}
	/* A card that cannot boot still answers: SW_MEMORY_FAILURE to all. */
	ok = mfg_first_boot() == 0 && card_boot() == 0;
	if (flash_power_lost())
		board_stop_power_lost();
	ui_event(ok ? "\"event\":\"boot\",\"ok\":true" : "\"event\":\"boot\",\"ok\":false");
	last_poll = hal_tick_ms();
	for (;;) {
		carrier_poll();
		ui_poll();
		if ((uint32_t)(hal_tick_ms() - last_poll) >= POLL_MS) {
			last_poll = hal_tick_ms();
			card_poll();
		}
		if (flash_power_lost())
			board_stop_power_lost();
		board_idle();
	}
}
