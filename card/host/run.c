/* The daemon's main loop: one thread, one event loop: the slots, vpcd, the
 * control socket, the web page and the terminal window are served as they
 * become ready, and the core gets card_poll(host_card()) at least every RUN_POLL_MS. */
#include "card/hal.h"
#include "host.h"

#define RUN_POLL_MS 50

volatile sig_atomic_t run_stop_requested;

static int run_min(int a, int b)
{
	if (b < 0)
		return a;
	return b < a ? b : a;
}

int run_loop(void)
{
	uint32_t last_poll = host_tick_ms();
	while (!run_stop_requested) {
		int timeout = RUN_POLL_MS;
		timeout = run_min(timeout, vpcd_tick());
		timeout = run_min(timeout, control_tick());
		timeout = run_min(timeout, slot_tick());
		if (evloop_once(timeout) != 0) {
			log_warn("poll");
			return -1;
		}
		if ((uint32_t)(host_tick_ms() - last_poll) >= RUN_POLL_MS) {
			last_poll = host_tick_ms();
			card_poll(host_card());
			power_check();
			tty_poll();
		}
		control_tick();
		web_tick();
	}
	return 0;
}
