/* card/board/mps2/: ARM's MPS2 AN385 board (Cortex-M3) as QEMU's
 * mps2-an385 machine emulates it: three CMSDK UARTs and no panel of its
 * own (the UI UART's screen model is its display, its keys the keypad). */
#ifndef SC_BOARD_PORT_H
#define SC_BOARD_PORT_H

enum board_uart {
	BOARD_UART_CONTACT = 0,      /* UART0: the contact slot's frames */
	BOARD_UART_UI = 1,           /* UART1: display model out, keypad in */
	BOARD_UART_CONTACTLESS = 2,  /* UART2: the PN532 (HSU), or bridged frames */
};
#define BOARD_UARTS 3

/* The FPGA image's fixed system clock. */
#define BOARD_SYSCLK_HZ 25000000u

#endif
