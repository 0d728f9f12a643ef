#!/usr/bin/env python3
"""Worst-case stack of the card firmware, from GCC's -fcallgraph-info=su
files (.ci: each function's frame from -fstack-usage, and its direct calls).

Method: the call graph's deepest path from the reset handler, summing the
frames along it, plus the deepest interrupt handler on top (with the 32-byte
exception frame the Cortex-M3 pushes). Indirect calls are resolved with the
table below, which lists every function pointer the card's code calls
through (the applet table, mbedTLS's f_rng/f_entropy, its calloc/free and
the P-256 reduction); an indirect call not in the table is reported. Frames
of picolibc's routines (memcpy, memset, ...) are not in the graph: they are
small leaf functions and counted as 0, which the output says. A recursive
cycle would make the bound unknown: it is reported too.

The stack reservation is the bound plus a margin for what the bound does
not count (the libc and libgcc leaves above, GCC's split function parts):
with --margin N --ld FILE the script writes FILE, a linker-script line
setting STACK_SIZE to bound + N rounded up to 8 (the stack's alignment),
which the board's linker script includes (card/board/firmware.mk).

usage: firmware-stack.py OBJ_DIR [--margin N --ld FILE]"""
import os
import re
import sys

# caller (function name) -> the functions it can reach through a pointer.
INDIRECT = {
    "runtime_apdu": ["sig_process"],
    "sig_process": ["perso_get_challenge", "sig_get_data", "perso_external_auth",
                    "perso_put_data", "perso_generate_key", "perso_issue", "sig_sign",
                    "sig_get_jp", "admin_reset_retry", "admin_block"],
    "mpi_fill_random_internal": ["core_rng"],
    "mbedtls_ctr_drbg_reseed_internal": ["entropy_from_hal"],
    "mbedtls_mpi_mul_mod": ["ecp_mod_p256"],
    "ecp_modp": ["ecp_mod_p256"],
    "mbedtls_calloc": ["buffer_alloc_calloc"],
    "mbedtls_free": ["buffer_alloc_free"],
    "mbedtls_platform_zeroize": ["memset"],
}
ROOT = "Reset_Handler"
ISRS = ["SysTick_Handler", "UART0RX_Handler", "UART1RX_Handler", "UART2RX_Handler",
        "board_fault_handler"]
EXCEPTION_FRAME = 32

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def short(title):
    return title.rsplit(":", 1)[-1]


def load(obj_dir):
    frames, calls, qualifiers = {}, {}, {}
    for base, _, files in os.walk(obj_dir):
        for f in files:
            if not f.endswith(".ci"):
                continue
            for line in open(os.path.join(base, f), encoding="utf-8", errors="replace"):
                m = NODE.search(line)
                if m:
                    size = re.search(r"\\n(\d+) bytes \(([a-z,]+)\)", m.group(2))
                    if size:
                        name = short(m.group(1))
                        frames[name] = max(frames.get(name, 0), int(size.group(1)))
                        qualifiers[name] = size.group(2)
                    continue
                m = EDGE.search(line)
                if m:
                    calls.setdefault(short(m.group(1)), set()).add(short(m.group(2)))
    return frames, calls, qualifiers


def usage():
    print(__doc__.strip().splitlines()[-1], file=sys.stderr)
    sys.exit(2)


def reservation(bound, margin):
    return (bound + margin + 7) // 8 * 8


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        usage()
    obj_dir, opts = args[0], dict(zip(args[1::2], args[2::2]))
    if len(args) % 2 != 1 or set(opts) - {"--margin", "--ld"} or \
            ("--margin" in opts) != ("--ld" in opts) or \
            not opts.get("--margin", "0").isdigit():
        usage()
    frames, calls, qualifiers = load(obj_dir)
    unresolved, cycles, unknown = set(), set(), set()
    memo = {}

    def callees(fn):
        out = set(calls.get(fn, ()))
        if "__indirect_call" in out:
            out.discard("__indirect_call")
            if fn in INDIRECT:
                out.update(INDIRECT[fn])
            else:
                unresolved.add(fn)
        return out

    def deepest(fn, stack):
        if fn in memo:
            return memo[fn]
        if fn in stack:
            cycles.add(" -> ".join(stack[stack.index(fn):] + [fn]))
            return 0, [fn]
        if fn not in frames:
            unknown.add(fn)
        best, best_path = 0, []
        for c in sorted(callees(fn)):
            d, p = deepest(c, stack + [fn])
            if d > best:
                best, best_path = d, p
        memo[fn] = (frames.get(fn, 0) + best, [fn] + best_path)
        return memo[fn]

    total, path = deepest(ROOT, [])
    isr = max((deepest(i, [])[0] for i in ISRS if i in frames), default=0) + EXCEPTION_FRAME
    apdu, apdu_path = deepest("card_apdu", [])
    dynamic = sorted(f for f, q in qualifiers.items() if q.startswith("dynamic") and f in memo)
    print("  stack bound %7d B  (%.1f KiB: deepest call path %d B + interrupt %d B; "
          "the stack reservation must hold it)" % (total + isr, (total + isr) / 1024, total, isr))
    print("              card_apdu alone: %d B; path: %s" % (apdu, " > ".join(
        "%s(%d)" % (f, frames.get(f, 0)) for f in path if frames.get(f, 0) > 0)))
    libc = sorted(f for f in unknown if not f.startswith("__") or f.startswith("__aeabi"))
    print("              method: -fcallgraph-info=su call graph, indirect calls from a table\n"
          "              "
          "(scripts/firmware-stack.py); not counted (no frame in the graph: libc leaves, GCC split parts): %s" % ", ".join(libc[:8]) +
          (" ..." if len(libc) > 8 else ""))
    if dynamic:
        print("              dynamic frames (bounded by GCC or not): %s" % ", ".join(dynamic))
    if unresolved:
        print("  WARNING: indirect calls not in the table, not counted: %s" %
              ", ".join(sorted(unresolved)))
    if cycles:
        print("  WARNING: recursion, bound unknown: %s" % "; ".join(sorted(cycles)))
    if "--ld" in opts:
        # An unknown bound (recursion, indirect calls not in the table) is
        # no bound: no stack size is made from it.
        if cycles or unresolved:
            sys.exit("firmware-stack.py: no stack bound, no reservation")
        margin = int(opts["--margin"])
        with open(opts["--ld"], "w", encoding="utf-8") as f:
            f.write("/* Made by scripts/firmware-stack.py: the stack bound %d B + margin %d B. */\n"
                    "STACK_SIZE = %d;\n" % (total + isr, margin, reservation(total + isr, margin)))


if __name__ == "__main__":
    main()
