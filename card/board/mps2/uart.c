/* The CMSDK APB UARTs of the AN385 (ARM DDI 0479, "APB UART"): received
 * bytes are moved by the RX interrupt into a ring (uart_ring.c) the main
 * loop drains;
 * transmission polls, since a byte leaves at once under QEMU and in a few
 * microseconds on the board. The UART has one receive register, and a full
 * ring leaves the byte there: the sender (QEMU, and the socket behind it)
 * waits until the main loop has made room and board_idle collects it, so
 * the rings can be small and no byte is lost. (A real UART without flow
 * control would overrun instead, unless the main loop drains the ring as
 * fast as bytes come: the PN532 on UART2 (pn532.c) speaks only to answer
 * a command, and the board waits for that answer in its main loop, never
 * inside a SIGN.) */
#include "board.h"

#define UART_BASE(u) (0x40004000u + (uint32_t)(u) * 0x1000u)
#define UART_REG(u, off) (*(volatile uint32_t *)(UART_BASE(u) + (off)))
#define UART_DATA 0x00u
#define UART_STATE 0x04u     /* bit 0 TX full, bit 1 RX full, bit 3 RX overrun (write 1: clear) */
#define UART_CTRL 0x08u      /* bit 0 TX enable, bit 1 RX enable, bit 3 RX interrupt */
#define UART_INTCLEAR 0x0Cu  /* bit 1 clears the RX interrupt */
#define UART_BAUDDIV 0x10u
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)

/* 25 MHz / 115200 baud; QEMU ignores the rate but requires a divider >= 16. */
#define UART_DIVIDER 217u

void uart_start(enum board_uart u)
{
	UART_REG(u, UART_BAUDDIV) = UART_DIVIDER;
	UART_REG(u, UART_CTRL) = 0x1u | 0x2u | 0x8u;
	/* AN385: UARTn RX is IRQ 2n. */
	NVIC_ISER0 = 1u << (2u * (uint32_t)u);
}

/* Moves what the UART holds into its ring. The interrupt is cleared
 * before reading, never after: a byte that lands between the last read
 * and a late clear would leave RX full with no interrupt pending, and QEMU
 * (like the hardware) delivers nothing more until DATA is read. */
void uart_drain(enum board_uart u)
{
	UART_REG(u, UART_INTCLEAR) = 0x2u;
	if ((UART_REG(u, UART_STATE) & 0x8u) != 0) {
		uart_ring_lost(u);
		UART_REG(u, UART_STATE) = 0x8u;
	}
	/* A full ring leaves the byte in DATA: nothing more arrives until it
	 * is read, which uart_rx_pending does once there is room. */
	while ((UART_REG(u, UART_STATE) & 0x2u) != 0 && uart_ring_room(u))
		uart_ring_put(u, (uint8_t)UART_REG(u, UART_DATA));
}

void UART0RX_Handler(void)
{
	uart_drain(BOARD_UART_CONTACT);
}

void UART1RX_Handler(void)
{
	uart_drain(BOARD_UART_UI);
}

void UART2RX_Handler(void)
{
	uart_drain(BOARD_UART_CONTACTLESS);
}

void uart_write(enum board_uart u, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < n; i++) {
		while ((UART_REG(u, UART_STATE) & 0x1u) != 0)
			;
		UART_REG(u, UART_DATA) = p[i];
	}
}
