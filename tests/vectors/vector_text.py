"""How the vector scripts print: the fenced `vector NAME` blocks of
docs/PROTOCOL.md, with long hex lines wrapped at 64 digits as the doc holds
them. Imported by the gen_*_vectors.py scripts beside it."""
import builtins, re

def print(*args):
    """Prints with long hex lines wrapped at 64 digits, as the doc holds them."""
    for line in " ".join(str(a) for a in args).split("\n"):
        if re.fullmatch(r"[0-9a-f]+", line):
            for i in range(0, len(line), 64):
                builtins.print(line[i:i + 64])
        else:
            builtins.print(line)

def h(b): return b.hex()

def vec(name, b, attrs=""):
    """One vector: its `vector NAME [attrs]` line and its bytes in hex."""
    print(f"vector {name}{' ' + attrs if attrs else ''}")
    print(h(b))
