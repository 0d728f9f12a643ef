/* The board image without a debugger's host: what main.c and the fault
 * handlers ask of semihosting, answered on the board. The command line is
 * fixed: the flash image is the chip's own (hw/flashctl.c ignores the
 * name), UART1 drives the PN532, no cut is armed. Log lines go to the UI
 * UART as "# " comment lines (a JSON reader skips them); stopping halts the
 * core with interrupts off, for the debugger to inspect. */
#include <string.h>

#include "board.h"

int semihost_cmdline(char *buf, size_t cap)
{
	static const char fixed[] = "sigcard-card chip-flash";

	if (cap < sizeof fixed)
		return -1;
	memcpy(buf, fixed, sizeof fixed);
	return 0;
}

void semihost_log(const char *s)
{
	uart_puts(BOARD_UART_UI, "# ");
	uart_puts(BOARD_UART_UI, s);
	uart_puts(BOARD_UART_UI, "\n");
}

void semihost_exit(int failed)
{
	(void)failed;
	__asm__ volatile("cpsid i" ::: "memory");
	for (;;)
		__asm__ volatile("wfi");
}
