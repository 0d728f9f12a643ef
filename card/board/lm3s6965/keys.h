/* The buttons (keys.c) as bits of a chord. */
#ifndef SC_BOARD_KEYS_H
#define SC_BOARD_KEYS_H

#include <stdint.h>

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
