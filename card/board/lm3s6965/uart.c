/* The LM3S6965's three UARTs (ARM PL011 cells; data sheet "UART"), 8N1 at
 * 115200 baud (the PN532's HSU default), with their 16-byte FIFOs on.
 * Received bytes move into uart_ring.c's rings in the RX interrupt (and
 * its receive time-out, for the last bytes of a burst); transmission polls.
 * A full ring leaves bytes in the FIFO: under QEMU the sender then waits;
 * on the board the PN532 only answers commands, as on the MPS2 (see
 * card/board/mps2/uart.c), and an overrun is counted (uart_rx_dropped). */
#include "board.h"

#define UART_BASE(u) (0x4000C000u + (uint32_t)(u) * 0x1000u)
#define UART_REG(u, off) LM3S_REG(UART_BASE(u) + (off))
#define UART_DR 0x000u
#define UART_RSR 0x004u       /* write: clears the error flags */
#define UART_FR 0x018u        /* bit 4 RX FIFO empty, bit 5 TX FIFO full */
#define UART_IBRD 0x024u
#define UART_FBRD 0x028u
#define UART_LCRH 0x02Cu
#define UART_CTL 0x030u
#define UART_IM 0x038u
#define UART_ICR 0x044u
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define DR_OE (1u << 11)
#define LCRH_8N1_FIFO 0x70u   /* 8 data bits, FIFOs on */
#define CTL_ON 0x301u         /* UART, TX and RX enabled */
#define INT_RX_RT 0x50u       /* RX and receive time-out */
#define NVIC_ISER0 LM3S_REG(0xE000E100u)
#define NVIC_ISER1 LM3S_REG(0xE000E104u)

/* 50 MHz / (16 * 115200) = 27.127: integer 27, fraction 0.127 * 64 = 8. */
#define UART_IBRD_115200 27u
#define UART_FBRD_115200 8u

static const struct {
	uint32_t port, pins;     /* its RX and TX pins */
	uint8_t irq;
} uart_wiring[BOARD_UARTS] = {
	{GPIO_PORT_A, 0x03u, 5},   /* UART0: PA0 RX, PA1 TX */
	{GPIO_PORT_D, 0x0Cu, 6},   /* UART1: PD2 RX, PD3 TX */
	{GPIO_PORT_G, 0x03u, 33},  /* UART2: PG0 RX, PG1 TX */
};

void uart_start(enum board_uart u)
{
	SYSCTL_RCGC1 |= 1u << (uint32_t)u;
	(void)SYSCTL_RCGC1;
	lm3s_pins_peripheral(uart_wiring[u].port, uart_wiring[u].pins);
	UART_REG(u, UART_CTL) = 0;
	UART_REG(u, UART_IBRD) = UART_IBRD_115200;
	UART_REG(u, UART_FBRD) = UART_FBRD_115200;
	UART_REG(u, UART_LCRH) = LCRH_8N1_FIFO;
	UART_REG(u, UART_IM) = INT_RX_RT;
	UART_REG(u, UART_CTL) = CTL_ON;
	if (uart_wiring[u].irq < 32)
		NVIC_ISER0 = 1u << uart_wiring[u].irq;
	else
		NVIC_ISER1 = 1u << (uart_wiring[u].irq - 32u);
}

/* Clears the interrupt before reading, as on the MPS2: a byte landing
 * after the last read raises it again. */
void uart_drain(enum board_uart u)
{
	UART_REG(u, UART_ICR) = INT_RX_RT;
	while ((UART_REG(u, UART_FR) & FR_RXFE) == 0 && uart_ring_room(u)) {
		uint32_t d = UART_REG(u, UART_DR);

		if ((d & DR_OE) != 0) {
			uart_ring_lost(u);
			UART_REG(u, UART_RSR) = 0;
		}
		uart_ring_put(u, (uint8_t)d);
	}
}

void UART0RX_Handler(void)
{
	uart_drain((enum board_uart)0);
}

void UART1RX_Handler(void)
{
	uart_drain((enum board_uart)1);
}

void UART2RX_Handler(void)
{
	uart_drain((enum board_uart)2);
}

void uart_write(enum board_uart u, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < n; i++) {
		while ((UART_REG(u, UART_FR) & FR_TXFF) != 0)
			;
		UART_REG(u, UART_DR) = p[i];
	}
}
