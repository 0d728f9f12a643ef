/* GPIO pin set-up: a pin is either handed to its peripheral (the UARTs,
 * SSI0) or stays a GPIO (the OLED's data/command line, the buttons). */
#include "board.h"

/* RCGC2 gates port A..G as bits 0..6; the ports' bases in that order. */
static uint32_t port_gate(uint32_t port)
{
	static const uint32_t bases[] = {
		GPIO_PORT_A, 0x40005000u, GPIO_PORT_C, GPIO_PORT_D,
		GPIO_PORT_E, GPIO_PORT_F, GPIO_PORT_G,
	};

	for (uint32_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
		if (bases[i] == port)
			return 1u << i;
	return 0;
}

static void port_clock(uint32_t port)
{
	SYSCTL_RCGC2 |= port_gate(port);
	/* The data sheet asks for a few clocks before the port is touched. */
	(void)SYSCTL_RCGC2;
	(void)SYSCTL_RCGC2;
}

void lm3s_pins_peripheral(uint32_t port, uint32_t pins)
{
	port_clock(port);
	GPIO_AFSEL(port) |= pins;
	GPIO_DEN(port) |= pins;
}

void lm3s_pins_gpio(uint32_t port, uint32_t pins, bool output, bool pull_up)
{
	port_clock(port);
	GPIO_AFSEL(port) &= ~pins;
	if (output)
		GPIO_DIR(port) |= pins;
	else
		GPIO_DIR(port) &= ~pins;
	if (pull_up)
		GPIO_PUR(port) |= pins;
	GPIO_DEN(port) |= pins;
}
