/* What every Cortex-M3 port shares at reset and in its interrupts: .data
 * and .bss set-up, a painted stack for the run-time high-water mark,
 * SysTick as the card's clock (from the port's BOARD_SYSCLK_HZ, port.h),
 * and faults reported on the semihosting console before the board stops.
 * The port's startup.c holds the vector table and board_clock_start. */
#include <string.h>

#include "board.h"

/* Symbols of the port's linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);

#define STACK_PAINT 0x5AC3A55Au

/* System Control Space registers (ARMv7-M ARM, B3.2 and B3.3). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)

static volatile uint32_t ticks_ms;

void Reset_Handler(void)
{
	uint32_t *p;
	uintptr_t sp;
	size_t n = (size_t)(__data_end - __data_start) * sizeof(uint32_t);

	board_clock_start();
	memcpy(__data_start, __data_load, n);
	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start) * sizeof(uint32_t));
	/* Paint the stack below the current frame, so board_stack_unused()
	 * can tell how deep the card ever went. */
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	for (p = __stack_bottom; (uintptr_t)p < sp - 64u; p++)
		*p = STACK_PAINT;
	(void)main();
	semihost_exit(1);
}

uint32_t board_stack_size(void)
{
	return (uint32_t)(__stack_top - __stack_bottom) * (uint32_t)sizeof(uint32_t);
}

uint32_t board_stack_unused(void)
{
	const uint32_t *p = __stack_bottom;

	while (p < __stack_top && *p == STACK_PAINT)
		p++;
	return (uint32_t)(p - __stack_bottom) * (uint32_t)sizeof(uint32_t);
}

void board_fault_handler(void)
{
	semihost_log("sigcard-card: processor fault: the board stops");
	semihost_exit(1);
}

void board_mbedtls_exit(int status)
{
	(void)status;
	semihost_log("sigcard-card: mbedTLS heap corrupted: the board stops");
	semihost_exit(1);
}

void SysTick_Handler(void)
{
	ticks_ms++;
}

void systick_start(void)
{
	SYST_RVR = BOARD_SYSCLK_HZ / 1000u - 1u;
	SYST_CVR = 0;
	SYST_CSR = 7u; /* enable, interrupt, processor clock */
}

uint32_t board_tick_ms(void)
{
	return ticks_ms;
}

uint32_t board_sysclk_ticks(void)
{
	uint32_t ms, down;

	/* Masked, so the millisecond count and the down-counter belong
	 * together: a wrap not yet counted by the handler shows as a pending
	 * SysTick, and the counter is read again after it. */
	__asm__ volatile("cpsid i" ::: "memory");
	ms = ticks_ms;
	down = SYST_CVR;
	if (SCB_ICSR & ICSR_PENDSTSET) {
		ms++;
		down = SYST_CVR;
	}
	__asm__ volatile("cpsie i" ::: "memory");
	return ms * (BOARD_SYSCLK_HZ / 1000u) + (SYST_RVR - down);
}

uint32_t hal_tick_ms(struct card_hal *hal)
{
	(void)hal;
	return ticks_ms;
}

void board_idle(void)
{
	__asm__ volatile("cpsid i" ::: "memory");
	if (!uart_rx_pending())
		__asm__ volatile("wfi" ::: "memory");
	__asm__ volatile("cpsie i" ::: "memory");
}
