/* card/board/lm3s6965/: TI's EK-LM3S6965 evaluation board (LM3S6965,
 * Cortex-M3, 256 KiB flash, 64 KiB RAM, an 8 MHz crystal), as QEMU's
 * lm3s6965evb machine emulates it and as docs/board-lm3s6965.md wires it:
 * UART0 is the board's USB virtual serial port (the contact slot, or a
 * console), UART1 the PN532 module, UART2 the UI events; the board's own
 * OLED on SSI0 and its five push buttons are the card's screen and keys. */
#ifndef SC_BOARD_PORT_H
#define SC_BOARD_PORT_H

enum board_uart {
	BOARD_UART_CONTACT = 0,      /* UART0 (PA0/PA1): the contact slot's frames */
	BOARD_UART_CONTACTLESS = 1,  /* UART1 (PD2/PD3): the PN532 (HSU), or bridged frames */
	BOARD_UART_UI = 2,           /* UART2 (PG0/PG1): the screen model out, keys in */
};
#define BOARD_UARTS 3

/* The PLL (400 MHz) / 2 / SYSDIV 4: the part's rated 50 MHz. */
#define BOARD_SYSCLK_HZ 50000000u

/* Register access, for the port's drivers. */
#define LM3S_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
/* The GPIO ports (LM3S6965 data sheet, "GPIO"): bases and registers. */
#define GPIO_PORT_A 0x40004000u
#define GPIO_PORT_C 0x40006000u
#define GPIO_PORT_D 0x40007000u
#define GPIO_PORT_E 0x40024000u
#define GPIO_PORT_F 0x40025000u
#define GPIO_PORT_G 0x40026000u
/* DATA is masked by address bits 9:2: this reads and writes only the pins
 * in mask. */
#define GPIO_DATA(port, mask) LM3S_REG((port) + ((uint32_t)(mask) << 2))
#define GPIO_DIR(port) LM3S_REG((port) + 0x400u)
#define GPIO_AFSEL(port) LM3S_REG((port) + 0x420u)
#define GPIO_PUR(port) LM3S_REG((port) + 0x510u)
#define GPIO_DEN(port) LM3S_REG((port) + 0x51Cu)
/* System control: clock gating of the peripherals (RCGC1: UARTs bits
 * 0-2, SSI0 bit 4; RCGC2: GPIO ports A-G bits 0-6). */
#define SYSCTL_RCGC1 LM3S_REG(0x400FE104u)
#define SYSCTL_RCGC2 LM3S_REG(0x400FE108u)

/* --- pins.c --- */

/* Routes pins of a port to their peripheral (AFSEL) or leaves them GPIO,
 * digital enabled. */
void lm3s_pins_peripheral(uint32_t port, uint32_t pins);
void lm3s_pins_gpio(uint32_t port, uint32_t pins, bool output, bool pull_up);

/* --- display.c: the OLED, half of the panel (panel.c). --- */

void display_start(void);
/* Draws screen; wheel_digit >= 0: the PIN digit being chosen, on the last row. */
void display_show(const struct card_screen *screen, int wheel_digit);
/* Draws the last row only: the wheel at digit, or blank if digit < 0. */
void display_wheel(int digit);

/* --- font.c: the OLED's 5x7 font. --- */

#define FONT_FIRST 32u
#define FONT_GLYPHS 64u
#define FONT_W 5u      /* columns a glyph; a cell is FONT_W + 1 wide, 8 high */
extern const uint8_t font5x7[FONT_GLYPHS][FONT_W];
/* The glyph drawn for byte c. */
const uint8_t *font_glyph(char c);

/* --- keys.c: the buttons, the other half of the panel, as bits of a chord. --- */

#define KEYS_UP 0x01u
#define KEYS_DOWN 0x02u
#define KEYS_LEFT 0x04u
#define KEYS_RIGHT 0x08u
#define KEYS_SELECT 0x10u
#define KEYS_ALL 0x1Fu
void keys_start(void);
/* The chord of buttons pressed and now all released (0: none yet). */
uint32_t keys_poll(uint32_t now_ms);

#endif
