/* mbedTLS's heap. mbedTLS's bignum code (ECDSA) allocates through
 * mbedtls_calloc. Debian 12's libmbedcrypto 2.28.3 is built without
 * MBEDTLS_PLATFORM_MEMORY and without MBEDTLS_MEMORY_BUFFER_ALLOC_C (both
 * commented out in /usr/include/mbedtls/config.h; `nm -D
 * libmbedcrypto.so.2.28.3` shows calloc and free imported from libc, and no
 * memory_buffer_alloc), so on the host the heap is libc's, used inside the
 * library only: the core's own objects never allocate (make
 * card-freestanding checks that). A firmware build of mbedTLS enables both
 * options, and then the core hands mbedTLS the static buffer here, of
 * CORE_MBEDTLS_HEAP_SIZE bytes (the board's mbedtls_config.h sets it from a
 * measured peak), painted so that its high-water mark can be read back.
 *
 * mbedTLS's allocator is global to the library, so this buffer is the one
 * state the cards of a process share (card/card.h says how). */
#include <string.h>

#include "mbedtls/platform.h"
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(MBEDTLS_PLATFORM_MEMORY)
#include "mbedtls/memory_buffer_alloc.h"
#define CORE_STATIC_HEAP 1
#endif

#include "core.h"

#ifdef CORE_STATIC_HEAP
#ifndef CORE_MBEDTLS_HEAP_SIZE
#define CORE_MBEDTLS_HEAP_SIZE 12288u
#endif
/* Bytes at the start that the allocator's first block header (and an
 * alignment step) may take at set-up: never painted. */
#define HEAP_HEAD 64u
#define HEAP_PAINT 0xA5u

static unsigned char core_mbedtls_heap[CORE_MBEDTLS_HEAP_SIZE];
static bool heap_ready;
#endif

void core_heap_init(void)
{
#ifdef CORE_STATIC_HEAP
	if (heap_ready)
		return;
	mbedtls_memory_buffer_alloc_init(core_mbedtls_heap, sizeof core_mbedtls_heap);
	/* The allocator reads only block headers, which it writes itself, and
	 * zeroes what calloc hands out: a byte still painted was never used. */
	memset(core_mbedtls_heap + HEAP_HEAD, HEAP_PAINT, sizeof core_mbedtls_heap - HEAP_HEAD);
	heap_ready = true;
#endif
}

void card_heap_usage(size_t *high_water, size_t *size)
{
	*high_water = 0;
	*size = 0;
#ifdef CORE_STATIC_HEAP
	size_t top = sizeof core_mbedtls_heap;

	while (top > HEAP_HEAD && core_mbedtls_heap[top - 1u] == HEAP_PAINT)
		top--;
	*high_water = top;
	*size = sizeof core_mbedtls_heap;
#endif
}
