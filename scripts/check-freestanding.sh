#!/usr/bin/env bash
# The card firmware's freestanding check (make card-freestanding): builds
# card/core/*.c, card/carrier/*.c and common/*.c as for a microcontroller
# (-ffreestanding -fno-builtin, no stack protector, no PIC) and fails, naming the
# offenders, if
#   - a source includes a system header beyond <stdint.h> <stddef.h>
#     <stdbool.h> <string.h> (mbedTLS's own headers are allowed), or
#   - the objects together need any symbol outside hal_*, mbedtls_* and
#     the mem*/str* functions a compiler may call on its own.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
CC=${CC:-cc}
out=build/freestanding
rm -rf "$out"
mkdir -p "$out"
status=0

srcs=$(ls card/core/*.c card/carrier/*.c common/*.c)
bad_includes=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' card/core/*.[ch] card/carrier/*.[ch] common/*.[ch] |
	grep -vE '<(stdint|stddef|stdbool|string)\.h>|<mbedtls/' || true)
if [ -n "$bad_includes" ]; then
	echo "card-freestanding: system headers the firmware may not use:" >&2
	echo "$bad_includes" | sed 's/^/  /' >&2
	status=1
fi

for src in $srcs; do
	obj=$out/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	if ! $CC -std=c11 -I. -Os -ffreestanding -fno-builtin -fno-stack-protector -fno-pic \
		-fno-asynchronous-unwind-tables -Wall -Wextra -Werror -c -o "$obj" "$src"; then
		echo "card-freestanding: $src does not compile freestanding" >&2
		status=1
	fi
done
[ "$status" -eq 0 ] || exit 1

objs=$(ls "$out"/*.o)
# -A --format=posix: "file: symbol type [value size]", one line each.
defined=$(nm -A -g --defined-only --format=posix $objs | awk '{ print $2 }' | sort -u)
undefined=$(nm -A -g --undefined-only --format=posix $objs | awk '{ print $2 }' | sort -u)
needed=$(comm -23 <(echo "$undefined") <(echo "$defined"))
offenders=$(echo "$needed" | grep -vE '^(hal_|mbedtls_|mem[a-z]*$|str[a-z]*$)' | grep -v '^$' || true)
if [ -n "$offenders" ]; then
	echo "card-freestanding: the firmware needs symbols outside hal_*, mbedtls_*, mem*/str*:" >&2
	for sym in $offenders; do
		users=$(nm -A -g --undefined-only --format=posix $objs | awk -v s="$sym" '$2 == s { sub(/:$/, "", $1); print $1 }' | xargs -n1 basename | tr '\n' ' ')
		echo "  $sym (used by: $users)" >&2
	done
	exit 1
fi
n_hal=$(echo "$needed" | grep -c '^hal_' || true)
n_mbed=$(echo "$needed" | grep -c '^mbedtls_' || true)
n_libc=$(echo "$needed" | grep -cE '^(mem|str)' || true)
echo "card-freestanding: ok ($(echo "$objs" | wc -w) objects; needs $n_hal hal_*, $n_mbed mbedtls_*, $n_libc mem*/str*: $(echo "$needed" | grep -E '^(mem|str)' | tr '\n' ' '))"
