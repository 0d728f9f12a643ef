/* The LM3S6965's vector table and its clock: the main oscillator (the
 * EK-LM3S6965's 8 MHz crystal) through the PLL to 50 MHz (data sheet,
 * "System Control", the RCC set-up sequence). QEMU's lm3s6965evb takes the
 * same RCC writes and sets its CPU clock from SYSDIV. */
#include <stdint.h>

#include "board.h"

#define SYSCTL_RIS LM3S_REG(0x400FE050u)
#define SYSCTL_RCC LM3S_REG(0x400FE060u)
#define RCC_MOSCDIS (1u << 0)
#define RCC_OSCSRC_MASK (3u << 4)       /* 0: the main oscillator */
#define RCC_XTAL_MASK (0x1Fu << 6)
#define RCC_XTAL_8MHZ (0xEu << 6)
#define RCC_BYPASS (1u << 11)
#define RCC_PWRDN (1u << 13)
#define RCC_USESYSDIV (1u << 22)
#define RCC_SYSDIV_MASK (0xFu << 23)
#define RCC_SYSDIV_4 (3u << 23)         /* 200 MHz / 4 = 50 MHz */
#define RIS_PLLLRIS (1u << 6)

void board_clock_start(void)
{
	uint32_t rcc = SYSCTL_RCC;

	/* Run from the oscillator, undivided, while the PLL is set up. */
	rcc = (rcc | RCC_BYPASS) & ~RCC_USESYSDIV;
	SYSCTL_RCC = rcc;
	rcc &= ~(RCC_MOSCDIS | RCC_OSCSRC_MASK | RCC_XTAL_MASK | RCC_PWRDN);
	rcc |= RCC_XTAL_8MHZ;
	SYSCTL_RCC = rcc;
	rcc = (rcc & ~RCC_SYSDIV_MASK) | RCC_SYSDIV_4 | RCC_USESYSDIV;
	SYSCTL_RCC = rcc;
	while ((SYSCTL_RIS & RIS_PLLLRIS) == 0)
		;
	SYSCTL_RCC = rcc & ~RCC_BYPASS;
}

/* The vector table: initial stack pointer, then the handlers. The
 * LM3S6965 wires UART0 RX/TX to IRQ 5, UART1 to 6, UART2 to 33. */
#define IRQ_VECTORS 48
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
	[16 + 5] = UART0RX_Handler,
	[16 + 6] = UART1RX_Handler,
	[16 + 33] = UART2RX_Handler,
};
