/* The EK-LM3S6965's OLED on SSI0: a 4-bit grey panel behind a Solomon
 * controller, driven as eight text rows of 21 cells (the 5x7 font in 6x8
 * cells), 128 x 64 pixels: row 0 the screen's title, rows 1-6 its lines,
 * row 7 the PIN digit being chosen with the buttons (keys.c). Bytes are
 * drawn straight from the font, one pixel row after another, so the driver
 * keeps no frame buffer. The controller takes commands with D/C (PC7) low
 * and pixel data (two pixels a byte, the left one in the high nibble) with
 * it high. QEMU emulates the SSD0323 of the board's first revision; the
 * later ones carry an SSD1329 (RiT 128x96): the commands used here are
 * common to both, and only the top 64 rows are drawn. The QR code of the
 * joint password is not drawn (the UI UART's screen model carries it). */
#include <string.h>

#include "board.h"

#define SSI0 0x40008000u
#define SSI_CR0 LM3S_REG(SSI0 + 0x000u)
#define SSI_CR1 LM3S_REG(SSI0 + 0x004u)
#define SSI_DR LM3S_REG(SSI0 + 0x008u)
#define SSI_SR LM3S_REG(SSI0 + 0x00Cu)
#define SSI_CPSR LM3S_REG(SSI0 + 0x010u)
#define SR_TNF (1u << 1)
#define SR_RNE (1u << 2)
#define CR1_SSE (1u << 1)
/* Freescale SPI mode 3 (SPO = SPH = 1), 8-bit frames; 50 MHz / (2 * (1 +
 * 6)) = 3.6 MHz, inside the controllers' serial clock. */
#define CR0_MODE3_8BIT ((6u << 8) | (1u << 7) | (1u << 6) | 0x7u)
#define CPSR_DIV 2u

#define PIN_DC 0x80u        /* PC7: data (high) or command (low) */
#define PIN_OLED_EN 0x40u   /* PC6: the panel's supply enable */
#define PIN_SD_CS 0x01u     /* PD0: the microSD card's select, kept high */
#define SSI_PINS 0x2Cu      /* PA2 clock, PA3 frame select (the OLED's CS), PA5 TX */

#define COLS 64u            /* bytes a pixel row: 128 pixels, two a byte */
#define TEXT_ROWS 8u
#define CELL_W (FONT_W + 1u)
#define CELLS (128u / CELL_W)
#define INK 0xFu

/* One byte out; waits for the byte coming back, so the transfer is over
 * (before D/C changes) and the receive FIFO never fills. */
static void ssi_byte(uint8_t b)
{
	while ((SSI_SR & SR_TNF) == 0)
		;
	SSI_DR = b;
	while ((SSI_SR & SR_RNE) == 0)
		;
	(void)SSI_DR;
}

static void oled_cmd(const uint8_t *c, size_t n)
{
	GPIO_DATA(GPIO_PORT_C, PIN_DC) = 0;
	for (size_t i = 0; i < n; i++)
		ssi_byte(c[i]);
	GPIO_DATA(GPIO_PORT_C, PIN_DC) = PIN_DC;
}

void display_start(void)
{
	static const uint8_t init[] = {
		0xAE,         /* display off while set up */
		0xA0, 0x52,   /* remap: horizontal address increment, COM split */
		0xA1, 0x00,   /* start line 0 */
		0xA2, 0x00,   /* offset 0 */
		0xA4,         /* normal display */
		0xA8, 0x5F,   /* multiplex: 96 rows (the RiT panel) */
		0x81, 0x80,   /* contrast */
		0xAF,         /* display on */
	};

	SYSCTL_RCGC1 |= 1u << 4;
	(void)SYSCTL_RCGC1;
	lm3s_pins_peripheral(GPIO_PORT_A, SSI_PINS);
	lm3s_pins_gpio(GPIO_PORT_C, PIN_DC | PIN_OLED_EN, true, false);
	lm3s_pins_gpio(GPIO_PORT_D, PIN_SD_CS, true, false);
	GPIO_DATA(GPIO_PORT_D, PIN_SD_CS) = PIN_SD_CS;
	GPIO_DATA(GPIO_PORT_C, PIN_OLED_EN | PIN_DC) = PIN_OLED_EN | PIN_DC;
	SSI_CR1 = 0;
	SSI_CPSR = CPSR_DIV;
	SSI_CR0 = CR0_MODE3_8BIT;
	SSI_CR1 = CR1_SSE;
	oled_cmd(init, sizeof init);
}

/* Draws text (at most CELLS bytes of it, blank-padded) on text row r. */
static void draw_row(unsigned r, const char *text)
{
	const uint8_t window[] = {0x15, 0x00, COLS - 1u, 0x75, (uint8_t)(r * 8u),
				  (uint8_t)(r * 8u + 7u)};
	size_t len = strnlen(text, CELLS);

	oled_cmd(window, sizeof window);
	for (unsigned y = 0; y < 8u; y++) {
		uint8_t pair = 0;

		for (unsigned x = 0; x < 2u * COLS; x++) {
			unsigned cell = x / CELL_W, col = x % CELL_W;
			unsigned on = 0;

			if (cell < len && col < FONT_W)
				on = (font_glyph(text[cell])[col] >> y) & 1u;
			pair = (uint8_t)((pair << 4) | (on ? INK : 0u));
			if (x % 2u == 1u) {
				ssi_byte(pair);
				pair = 0;
			}
		}
	}
}

void display_wheel(int digit)
{
	char last[CELLS + 1] = "";

	if (digit >= 0) {
		memcpy(last, "PIN DIGIT  [ ]", 15);
		last[12] = (char)('0' + digit);
	}
	draw_row(TEXT_ROWS - 1u, last);
}

void display_show(const struct card_screen *screen, int wheel_digit)
{
	draw_row(0, screen->title);
	for (unsigned i = 0; i < CARD_SCREEN_LINES; i++)
		draw_row(1u + i, screen->lines[i]);
	display_wheel(wheel_digit);
}
