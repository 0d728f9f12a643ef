#!/usr/bin/env python3
"""Peers of sigcard-server's TLS listener for tests/integration/server_tls.sh,
with python's own ssl module (an implementation apart from the server's
C): every connection goes to 127.0.0.1 and ends within TIMEOUT seconds.

  tls_peer.py try PORT CA CERT KEY
      a TLS 1.3 handshake pinning CA and the name localhost, with the
      client certificate CERT and its KEY ("-" "-": none), then GET RECEIPT
      KEY (00 01 03, docs/PROTOCOL.md §6). In TLS 1.3 the server judges
      the client's certificate after the client's side of the handshake
      is done: its verdict is a session ticket (admitted) or an alert,
      which is waited for before anything is sent, as sigcard-terminal
      does. Prints "answered" if a receipt key came back, else "refused: "
      and the TLS alert or error.
  tls_peer.py plain PORT
      a GET CHALLENGE frame in the clear, as an older terminal sends it.
      Prints "answered" if a frame came back, else "closed".
  tls_peer.py proxy PORTFILE PORT CA CERT_A KEY_A CERT_B KEY_B TYPES
      a plain listener for one terminal (its port written to PORTFILE)
      that forwards each request frame over TLS to PORT: message types in
      TYPES (comma-separated hex, e.g. 01,06) under certificate A, the rest
      under certificate B; the answers go back in order. Serves one client
      connection, then exits.
"""
import os
import select
import socket
import ssl
import sys
import time

TIMEOUT = 20


def context(ca, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(ca)
    if cert != "-":
        ctx.load_cert_chain(cert, key)
    return ctx


def connect(port, ctx):
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed")
        buf += chunk
    return buf


def read_frame(s):
    hdr = read_exact(s, 2)
    return hdr + read_exact(s, hdr[0] << 8 | hdr[1])


def await_verdict(s):
    """Until the server's ticket; its alert raises ssl.SSLError."""
    deadline = time.monotonic() + TIMEOUT
    s.setblocking(False)
    while not (s.session is not None and s.session.has_ticket):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            raise EOFError("no verdict in time")
        try:
            if not s.recv(1):
                raise EOFError("closed without a verdict")
        except ssl.SSLWantReadError:
            pass
    s.setblocking(True)
    s.settimeout(TIMEOUT)


def cmd_try(port, ca, cert, key):
    try:
        s = connect(int(port), context(ca, cert, key))
        await_verdict(s)
        s.sendall(b"\x00\x01\x03")
        frame = read_frame(s)
        print("answered" if frame[2] == 0x83 else "refused: answer type %02x" % frame[2])
    except (ssl.SSLError, OSError, EOFError) as e:
        print("refused: %s" % (getattr(e, "reason", None) or e))


def cmd_plain(port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT)
    s.sendall(b"\x00\x05\x01\x03T-1")
    try:
        read_frame(s)
        print("answered")
    except (OSError, EOFError):
        print("closed")


def cmd_proxy(portfile, port, ca, cert_a, key_a, cert_b, key_b, types):
    via_a = {int(t, 16) for t in types.split(",") if t}
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    client, _ = ls.accept()
    client.settimeout(TIMEOUT)
    ups = {}
    try:
        while True:
            req = read_frame(client)
            which = "a" if req[2] in via_a else "b"
            if which not in ups:
                cert, key = (cert_a, key_a) if which == "a" else (cert_b, key_b)
                ups[which] = connect(int(port), context(ca, cert, key))
                await_verdict(ups[which])
            ups[which].sendall(req)
            client.sendall(read_frame(ups[which]))
    except (ssl.SSLError, OSError, EOFError):
        pass


def main():
    cmds = {"try": (cmd_try, 4), "plain": (cmd_plain, 1), "proxy": (cmd_proxy, 8)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) - 2 != cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    main()
