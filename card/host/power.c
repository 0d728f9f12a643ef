/* Power for the emulated card. A power loss (injected through the control
 * socket, or a reset) is handled in-process: the readers see the card go
 * (their connections close), the flash comes back as the file holds it,
 * and the core boots again, recovering its store from the journal, as a
 * chip does at its next power-up. The process itself keeps running. */
#include "host.h"

static unsigned long power_boot_count;
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
	if (card_boot() != 0)
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
