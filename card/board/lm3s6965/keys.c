/* The EK-LM3S6965's five push buttons, on GPIOs with pull-ups, low while
 * pressed: up PE0, down PE1, left PE2, right PE3, select PF1 (QEMU's
 * lm3s6965evb presses them from the keyboard: the arrow keys and Ctrl).
 * Sampled from the main loop (SysTick wakes it every millisecond), a level
 * counts once it has held for DEBOUNCE_MS. A press acts when every button
 * is up again, with the set of buttons held meanwhile (a chord): so up and
 * down together can mean Cancel. A button counts only once it has been
 * seen up since reset: one held (or stuck) at power-up does nothing until
 * released. (QEMU 7.2 needs this: its gamepad drives a line only once the
 * key has been pressed, so until then every button reads low, pressed.) */
#include "board.h"

#define PINS_E 0x0Fu    /* PE0-PE3 */
#define PIN_F 0x02u     /* PF1 */
#define DEBOUNCE_MS 10u

static uint32_t raw_last, raw_since, held, chord, armed;

void keys_start(void)
{
	lm3s_pins_gpio(GPIO_PORT_E, PINS_E, false, true);
	lm3s_pins_gpio(GPIO_PORT_F, PIN_F, false, true);
}

/* The buttons down now, as KEYS_* bits. */
static uint32_t keys_read(void)
{
	uint32_t down = ~GPIO_DATA(GPIO_PORT_E, PINS_E) & PINS_E;

	if ((GPIO_DATA(GPIO_PORT_F, PIN_F) & PIN_F) == 0)
		down |= KEYS_SELECT;
	return down;
}

uint32_t keys_poll(uint32_t now_ms)
{
	uint32_t raw = keys_read(), done = 0;

	armed |= ~raw & KEYS_ALL;
	raw &= armed;

	if (raw != raw_last) {
		raw_last = raw;
		raw_since = now_ms;
		return 0;
	}
	if (raw == held || (uint32_t)(now_ms - raw_since) < DEBOUNCE_MS)
		return 0;
	held = raw;
	chord |= held;
	if (held == 0) {
		done = chord;
		chord = 0;
	}
	return done;
}
