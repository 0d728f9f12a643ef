/* The board's main loop: set up the clock and UARTs, find the flash image
 * named on the semihosting command line, run manufacture on first boot,
 * boot the card, then serve frames, keys and time until power is lost. */
#include <string.h>

#include "board.h"

#define POLL_MS 50u
#define CMDLINE_MAX 512u

/* The command line: "sigcard-card FLASH [cut=N] [uart2=frames]". FLASH is
 * the image; cut=N (tests) arms a power cut at the Nth flash write from
 * power-up, so that manufacture and the entropy log's boot-time commit can
 * be torn too; uart2=frames (tests without a radio) has UART2 carry frames
 * to scripts/firmware-bridge.py instead of driving a PN532. Returns the
 * path (cut into cmdline), or NULL. */
static const char *parse_cmdline(char *cmdline, unsigned long *cut, bool *frames)
{
	char *path, *p = strchr(cmdline, ' ');

	*cut = 0;
	*frames = false;
	if (p == NULL)
		return NULL;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	path = p;
	p = strchr(path, ' ');
	while (p != NULL) {
		char *word;

		*p++ = '\0';
		word = p;
		p = strchr(word, ' ');
		if (p != NULL)
			*p = '\0';
		if (strcmp(word, "uart2=frames") == 0) {
			*frames = true;
		} else {
			char *d = word + 4;

			if (strncmp(word, "cut=", 4) != 0 || *d < '1' || *d > '9')
				return NULL;
			for (*cut = 0; *d >= '0' && *d <= '9' && *cut < 100000ul; d++)
				*cut = *cut * 10u + (unsigned long)(*d - '0');
			if (*d != '\0')
				return NULL;
		}
		if (p != NULL)
			*p = ' ';
	}
	return path;
}

static void board_stop_power_lost(void)
{
	ui_event("\"event\":\"power_lost\"");
	semihost_log("sigcard-card: power lost (injected cut): the board stops");
	semihost_exit(0);
}

/* The card: its state, the one instance on this board (make firmware
 * prints its size), and the HAL it runs on. */
static struct card_core board_core;
static struct card_hal board_hal = {&board_core};

/* Opens the flash image named on the command line and arms its power cut,
 * or stops the board; true if UART2 drives a PN532 (the board's own front
 * end), false if it carries frames. Not inlined: the command line lives in this frame,
 * which is gone before the main loop, so it costs no RAM beside the stack
 * and adds nothing to the stack's deepest path (a SIGN). */
static __attribute__((noinline)) bool board_open_flash(void)
{
	char cmdline[CMDLINE_MAX];
	const char *path, *why = NULL;
	unsigned long cut;
	bool frames;

	if (semihost_cmdline(cmdline, sizeof cmdline) != 0 ||
	    (path = parse_cmdline(cmdline, &cut, &frames)) == NULL) {
		semihost_log("sigcard-card: usage: sigcard-card FLASH [cut=N] [uart2=frames]");
		semihost_exit(1);
	}
	if (flash_open(path, &why) != 0) {
		semihost_log(why);
		semihost_exit(1);
	}
	if (cut > 0)
		flash_cut_at(cut);
	return !frames;
}

int main(void)
{
	uint32_t last_poll;
	int ok;
	bool pn532;

	systick_start();
	uart_start(BOARD_UART_UI);
	board_panel_start();
	card_core_init(&board_core, &board_hal);
	pn532 = board_open_flash();
	carrier_start(&board_core, pn532);
	/* A card that cannot boot still answers: SW_MEMORY_FAILURE to all. */
	ok = mfg_first_boot(&board_core) == 0 && card_boot(&board_core) == 0;
	if (flash_power_lost())
		board_stop_power_lost();
	ui_event(ok ? "\"event\":\"boot\",\"ok\":true" : "\"event\":\"boot\",\"ok\":false");
	/* The PN532 is armed once the card has booted: with the card's ATR
	 * and a UID from its entropy. */
	if (pn532)
		pn532_start(&board_core, &board_hal);
	last_poll = board_tick_ms();
	for (;;) {
		carrier_poll();
		ui_poll(&board_core);
		board_panel_poll(&board_core);
		if ((uint32_t)(board_tick_ms() - last_poll) >= POLL_MS) {
			last_poll = board_tick_ms();
			card_poll(&board_core);
		}
		if (flash_power_lost())
			board_stop_power_lost();
		board_idle();
	}
}
