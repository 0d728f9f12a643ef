/* The card's own screen and keypad, on UART1 as text lines a host can
 * watch and drive (tests, demos, a person at a terminal):
 *   out: one JSON object per line: {"event":"screen","screen":{...}} at
 *        every screen change, with the fields of the host emulator's
 *        control socket (id, name, title, lines, qr): the whole screen
 *        model, which `sigcard-card screen-png` rebuilds and draws into
 *        the emulator's PNG for the terminal's camera; also "boot",
 *        "status" (flash writes, bytes lost, the stack's and mbedTLS's
 *        heap's high-water marks and sizes, the slowest frame since the
 *        last status line in system clock periods, which screen is up: its id
 *        and name, as the core keeps no copy of the screen itself), "cut",
 *        "power_lost" and "bad_frame" events.
 *   in:  keys, one byte each: 0-9; K or CR = OK; C or ESC = Cancel; B, DEL
 *        or BS = Backspace; ? = print a status line. A line
 *        starting with '!' is a board command: "!cut N" arms a power cut at
 *        the Nth flash write from now (0 = now). Other bytes are ignored. */
#include <string.h>

#include "board.h"

#define UI_CMD_MAX 32u

static char cmd[UI_CMD_MAX];
static size_t cmd_len;
static bool in_cmd;

static const char *const screen_names[] = {
	"idle", "on_reader", "review", "pin_wrong", "password",
	"cancelled", "timeout", "pin_blocked", "released",
};

static void ui_put(const char *s)
{
	uart_puts(BOARD_UART_UI, s);
}

static void ui_put_u32(uint32_t v)
{
	char buf[11];
	size_t i = sizeof buf;

	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v > 0);
	ui_put(buf + i);
}

/* A JSON string: quotes, backslashes and control bytes escaped; UTF-8 as is. */
static void ui_put_string(const char *s)
{
	static const char hex[] = "0123456789abcdef";

	uart_write(BOARD_UART_UI, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			uart_write(BOARD_UART_UI, e, 2);
		} else if (c < 0x20u) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15u]};
			uart_write(BOARD_UART_UI, e, 6);
		} else {
			uart_write(BOARD_UART_UI, s, 1);
		}
	}
	uart_write(BOARD_UART_UI, "\"", 1);
}

/* "id":N,"name":"..." of a screen. */
static void ui_put_screen_id(uint8_t id)
{
	ui_put("\"id\":");
	ui_put_u32(id);
	ui_put(",\"name\":");
	ui_put_string(id < sizeof screen_names / sizeof screen_names[0] ? screen_names[id]
									: "unknown");
}

static void ui_put_screen(const struct card_screen *s)
{
	ui_put("{");
	ui_put_screen_id(s->id);
	ui_put(",\"title\":");
	ui_put_string(s->title);
	ui_put(",\"lines\":[");
	for (unsigned i = 0; i < CARD_SCREEN_LINES; i++) {
		if (i > 0)
			ui_put(",");
		ui_put_string(s->lines[i]);
	}
	ui_put("],\"qr\":");
	if (s->qr[0] != '\0')
		ui_put_string(s->qr);
	else
		ui_put("null");
	ui_put("}");
}

void ui_event(const char *json_fields)
{
	ui_put("{");
	ui_put(json_fields);
	ui_put("}\n");
}

void hal_display_show(struct card_hal *hal, const struct card_screen *screen)
{
	(void)hal;
	ui_put("{\"event\":\"screen\",\"screen\":");
	ui_put_screen(screen);
	ui_put("}\n");
	board_panel_show(screen);
}

static void ui_status(const struct card_core *card)
{
	size_t heap_used, heap_size;

	ui_put("{\"event\":\"status\",\"flash_writes\":");
	ui_put_u32((uint32_t)flash_writes());
	ui_put(",\"rx_dropped\":");
	ui_put_u32(uart_rx_dropped());
	ui_put(",\"stack_unused\":");
	ui_put_u32(board_stack_unused());
	ui_put(",\"stack_size\":");
	ui_put_u32(board_stack_size());
	card_heap_usage(&heap_used, &heap_size);
	ui_put(",\"heap_used\":");
	ui_put_u32((uint32_t)heap_used);
	ui_put(",\"heap_size\":");
	ui_put_u32((uint32_t)heap_size);
	ui_put(",\"slowest_frame_sysclk\":");
	ui_put_u32(carrier_take_slowest_frame());
	ui_put(",\"screen\":{");
	ui_put_screen_id(card_screen_id(card));
	ui_put("}}\n");
}

static void ui_command(void)
{
	uint32_t n = 0;
	size_t i = 4;

	cmd[cmd_len] = '\0';
	if (strncmp(cmd, "cut ", 4) != 0 || cmd[4] == '\0') {
		ui_event("\"event\":\"error\",\"why\":\"unknown command (cut N)\"");
		return;
	}
	for (; cmd[i] >= '0' && cmd[i] <= '9' && n < 100000u; i++)
		n = n * 10u + (uint32_t)(cmd[i] - '0');
	if (cmd[i] != '\0') {
		ui_event("\"event\":\"error\",\"why\":\"cut: a write count\"");
		return;
	}
	flash_cut_at(n);
	ui_put("{\"event\":\"cut\",\"armed\":");
	ui_put_u32(n);
	ui_put(",\"flash_writes\":");
	ui_put_u32((uint32_t)flash_writes());
	ui_put("}\n");
}

static int ui_key(int b)
{
	if (b >= '0' && b <= '9')
		return b;
	switch (b) {
	case 'K': case '\r': return CARD_KEY_OK;
	case 'C': case 0x1B: return CARD_KEY_CANCEL;
	case 'B': case 0x7F: case 0x08: return CARD_KEY_BACKSPACE;
	default: return 0;
	}
}

void ui_poll(struct card_core *card)
{
	int b, key;

	while (!flash_power_lost() && (b = uart_getc(BOARD_UART_UI)) >= 0) {
		if (in_cmd) {
			if (b == '\n' || b == '\r') {
				in_cmd = false;
				ui_command();
			} else if (cmd_len < UI_CMD_MAX - 1u) {
				cmd[cmd_len++] = (char)b;
			}
			continue;
		}
		if (b == '!') {
			in_cmd = true;
			cmd_len = 0;
		} else if (b == '?') {
			ui_status(card);
		} else if ((key = ui_key(b)) != 0) {
			card_key(card, key);
		}
	}
}
