/* The MPS2 AN385's vector table. Its system clock is fixed at 25 MHz
 * (BOARD_SYSCLK_HZ, port.h): nothing to set up. */
#include <stdint.h>

#include "board.h"

void board_clock_start(void)
{
}

/* The vector table: initial stack pointer, then the handlers. AN385 wires
 * UARTn RX to IRQ 2n (QEMU hw/arm/mps2.c). */
#define IRQ_VECTORS 32
__attribute__((section(".vectors"), used)) static const vector_fn vectors[16 + IRQ_VECTORS] = {
	[0] = (vector_fn)(uintptr_t)__stack_top,
	[1] = Reset_Handler,
	[2] = board_fault_handler,   /* NMI */
	[3] = board_fault_handler,   /* HardFault */
	[4] = board_fault_handler,   /* MemManage */
	[5] = board_fault_handler,   /* BusFault */
	[6] = board_fault_handler,   /* UsageFault */
	[11] = board_fault_handler,  /* SVCall: unused */
	[14] = board_fault_handler,  /* PendSV: unused */
	[15] = SysTick_Handler,
	[16 + 0] = UART0RX_Handler,
	[16 + 2] = UART1RX_Handler,
	[16 + 4] = UART2RX_Handler,
};
