/* The emulated card (its struct card_core, one per emulator) and its
 * power. A power loss (injected through the control
 * socket, or a reset) is handled in-process: the readers see the card go
 * (their connections close), the flash comes back as the file holds it,
 * and the core boots again, recovering its store from the journal, as a
 * chip does at its next power-up. The process itself keeps running. */
#include <stdbool.h>

#include "host.h"

static struct card_core card;
static struct card_hal card_hal = {&card};
static bool card_ready;
static unsigned long power_boot_count;

struct card_core *host_card(void)
{
	if (!card_ready) {
		card_core_init(&card, &card_hal);
		card_ready = true;
	}
	return &card;
}
static int power_in_cycle;
static int power_stop;

int power_cycling(void) { return power_in_cycle || power_stop; }
void power_stopping(void) { power_stop = 1; }
unsigned long power_boots(void) { return power_boot_count; }

void power_cycle(const char *why)
{
	if (power_in_cycle)
		return;
	power_in_cycle = 1;
	log_info("power: %s: card restarts", why);
	slot_drop_clients(why);
	vpcd_drop(why);
	nfc_target_drop(why);
	flashfile_power_restore();
	if (card_boot(host_card()) != 0)
		log_warnx("power: card_boot failed: the card answers only SW_MEMORY_FAILURE");
	power_boot_count++;
	power_in_cycle = 0;
}

int power_check(void)
{
	if (!flashfile_power_lost() || power_in_cycle)
		return 0;
	power_cycle("power cut");
	return 1;
}
