/* The CMSDK APB UARTs of the AN385 (ARM DDI 0479, "APB UART"): received
 * bytes are moved by the RX interrupt into a ring the main loop drains;
 * transmission polls, since a byte leaves at once under QEMU and in a few
 * microseconds on the board. The UART has one receive register, and a full
 * ring leaves the byte there: the sender (QEMU, and the socket behind it)
 * waits until the main loop has made room and board_idle collects it, so
 * the rings can be small and no byte is lost. (A real UART without flow
 * control would overrun instead, unless the main loop drains the ring as
 * fast as bytes come: the PN532 on UART2 (pn532.c) speaks only to answer
 * a command, and the board waits for that answer in its main loop, never
 * inside a SIGN.) */
#include <string.h>

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

/* Ring sizes, powers of two: a full ring only makes the sender wait, so
 * a ring needs no room for a whole frame or command (issue 16: 32 bytes
 * each, 224 bytes of RAM less than 128 and 64). */
#define RING_CARRIER 32u
#define RING_UI 32u

struct ring {
	uint8_t *buf;
	uint32_t size;                 /* a power of two */
	volatile uint32_t head, tail;  /* head: ISR writes; tail: main loop */
	volatile uint32_t dropped;     /* RX overruns seen: a byte lost each */
};

static uint8_t contact_buf[RING_CARRIER];
static uint8_t ui_buf[RING_UI];
static uint8_t contactless_buf[RING_CARRIER];
static struct ring rings[BOARD_UARTS] = {
	{contact_buf, RING_CARRIER, 0, 0, 0},
	{ui_buf, RING_UI, 0, 0, 0},
	{contactless_buf, RING_CARRIER, 0, 0, 0},
};

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
static void uart_drain(enum board_uart u)
{
	struct ring *r = &rings[u];

	UART_REG(u, UART_INTCLEAR) = 0x2u;
	if ((UART_REG(u, UART_STATE) & 0x8u) != 0) {
		r->dropped++;
		UART_REG(u, UART_STATE) = 0x8u;
	}
	/* A full ring leaves the byte in DATA: nothing more arrives until it
	 * is read, which uart_rx_pending does once there is room. */
	while ((UART_REG(u, UART_STATE) & 0x2u) != 0 && r->head - r->tail < r->size) {
		r->buf[r->head & (r->size - 1u)] = (uint8_t)UART_REG(u, UART_DATA);
		r->head++;
	}
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

int uart_getc(enum board_uart u)
{
	struct ring *r = &rings[u];
	uint8_t b;

	if (r->head == r->tail)
		return -1;
	b = r->buf[r->tail & (r->size - 1u)];
	r->tail++;
	return b;
}

uint32_t uart_rx_dropped(void)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < BOARD_UARTS; i++)
		n += rings[i].dropped;
	return n;
}

bool uart_rx_pending(void)
{
	/* Called with interrupts masked: also collect what the UARTs hold. */
	for (unsigned i = 0; i < BOARD_UARTS; i++)
		uart_drain((enum board_uart)i);
	for (unsigned i = 0; i < BOARD_UARTS; i++)
		if (rings[i].head != rings[i].tail)
			return true;
	return false;
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

void uart_puts(enum board_uart u, const char *s)
{
	uart_write(u, s, strlen(s));
}
