/* The receive rings between the UARTs' interrupts and the main loop: the
 * port's uart_drain fills them in the RX interrupt, the main loop empties
 * them. A full ring leaves the byte in the UART (see uart_drain), so the
 * rings can be small. */
#include <string.h>

#include "board.h"

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
	[BOARD_UART_CONTACT] = {contact_buf, RING_CARRIER, 0, 0, 0},
	[BOARD_UART_UI] = {ui_buf, RING_UI, 0, 0, 0},
	[BOARD_UART_CONTACTLESS] = {contactless_buf, RING_CARRIER, 0, 0, 0},
};

bool uart_ring_room(enum board_uart u)
{
	return rings[u].head - rings[u].tail < rings[u].size;
}

void uart_ring_put(enum board_uart u, uint8_t b)
{
	struct ring *r = &rings[u];

	r->buf[r->head & (r->size - 1u)] = b;
	r->head++;
}

void uart_ring_lost(enum board_uart u)
{
	rings[u].dropped++;
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

void uart_puts(enum board_uart u, const char *s)
{
	uart_write(u, s, strlen(s));
}
