/* mbedTLS 2.28 configuration of the card firmware (MBEDTLS_CONFIG_FILE):
 * only what card/core/, the common/ code it links and this board use:
 * AES-256 (schemes, CTR_DRBG), SHA-256, HMAC and HKDF, P-256 ECDSA with
 * its bignum and ASN.1 DER, and mbedTLS's own static-buffer allocator
 * (the core hands it its heap, card/core/rng.c). No platform entropy (the
 * HAL seeds the DRBG), no time, no file or network I/O. */
#ifndef SC_BOARD_MBEDTLS_CONFIG_H
#define SC_BOARD_MBEDTLS_CONFIG_H

/* System support: bare metal, Thumb-2 bignum assembly. */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
/* No libc defaults (calloc, printf, exit): nothing falls back to a heap. */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/* The allocator stops the card on heap corruption: the board halts. */
void board_mbedtls_exit(int status) __attribute__((noreturn));
#define MBEDTLS_PLATFORM_EXIT_MACRO board_mbedtls_exit
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* The size of the card core's static heap for mbedTLS (card/core/heap.c):
 * the measured peak plus a margin. The peak is the heap's high-water mark
 * (the highest byte the allocator ever handed out, its block headers and
 * any gap between blocks included: what the buffer must hold) over key
 * generation and a SIGN of every scheme, with the ECP options below: `make
 * firmware-bench` prints it after each, and tests/integration/
 * firmware_claim7.sh fails if a run goes past this figure (then measure
 * again and set it). The margin: a P-256 signature allocates the same
 * sizes whatever the data, but a bignum grows by a limb when a value has
 * one more, which moves the later blocks; 128 bytes are four of the
 * allocator's 32-byte block headers, or a 32-limb number. */
#define CORE_MBEDTLS_HEAP_PEAK 2303u
#define CORE_MBEDTLS_HEAP_MARGIN 128u
#define CORE_MBEDTLS_HEAP_SIZE (CORE_MBEDTLS_HEAP_PEAK + CORE_MBEDTLS_HEAP_MARGIN)

/* Symmetric: tables in flash, not built in RAM at run time. */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_MD_C
#define MBEDTLS_HKDF_C
#define MBEDTLS_CTR_DRBG_C
/* The longest seed material the DRBG takes in one go, which sizes a buffer
 * on the stack of every reseed (block_cipher_df, the deepest frame under a
 * SIGN): mbedTLS's default of 384 bytes is for long personalisation
 * strings. The card's longest is the first seed: 32 bytes of entropy, a
 * 16-byte nonce and card/core/rng.c's 20-byte label, 68 bytes; a reseed
 * takes 32. 96 holds either (a longer label makes seeding fail, never
 * overflow: mbedTLS checks the length). Saves 288 bytes of stack. */
#define MBEDTLS_CTR_DRBG_MAX_SEED_INPUT 96

/* P-256 ECDSA. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C

/* Sizes: P-256 needs 32-byte numbers. The P-256 scalar multiplication is
 * 96 % of a SIGN's instructions (make firmware-bench): its comb window
 * trades heap for speed. Measured per SIGN and heap peak: window 2, 20.4 M
 * instructions, 2119 B; window 3, 18.1 M (-11 %), 2303 B; window 4, 17.2 M
 * (-16 %), 3623 B. 3 gains most of it for 184 bytes. No fixed-point
 * precomputation: mbedTLS 2.28 would keep G's table in RAM. */
#define MBEDTLS_MPI_MAX_SIZE 64
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_ECP_WINDOW_SIZE 3
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0

#include "mbedtls/check_config.h"

#endif
