#!/usr/bin/env python3
"""Misbehaving peers for tests/integration/server_limits.sh. Every loop is
bounded by a count; all traffic goes to a Unix socket or 127.0.0.1.

  limits_peer.py keyflood SOCK PID MAXBYTES
      sends GET RECEIPT KEY frames (00 01 03, docs/PROTOCOL.md §6) and
      never reads, until the server stops taking them (2 s without room) or
      MAXBYTES went out; prints "sent BYTES rss_growth_kib KIB" measured
      from /proc/PID/status while the connection is still open, then waits
      for a line on stdin before closing.
  limits_peer.py hold SOCK N
      opens N connections that send nothing; prints "open N" once they are
      connected, waits for a line on stdin, prints "closed K" (how many the
      server had closed meanwhile) and exits.
  limits_peer.py trickle SOCK SECONDS
      sends a frame header announcing 1023 bytes, then a byte of it every
      0.5 s (never a whole request); prints "dropped" once the server
      closes, or "open" after SECONDS.
  limits_peer.py garbage SOCK N
      sends N frames of 1000 bytes of an unknown message type, one at a
      time, reading each reply; prints "answered K".
  limits_peer.py slowloris HOST:PORT N ROUNDS
      opens N HTTP connections and sends each one byte of a request's
      headers per round, a round a second, for ROUNDS rounds or until the
      server closed them all; prints "open K": how many it kept open.
  limits_peer.py idlehalf SOCK TIMEOUT BOUND
      (TIMEOUT: the server's --request-timeout) completes a GET RECEIPT
      KEY, then opens a second connection that sends nothing and waits
      (at most BOUND seconds) until the server drops it, which takes it
      TIMEOUT seconds: the first one has been idle longer than that. Then
      the first one sends half a frame and waits for the server to drop
      it. Prints "silent dropped|open idle kept|dropped half dropped|
      early|open" (half "early": dropped sooner than TIMEOUT).
  limits_peer.py keepalive HOST:PORT TIMEOUT BOUND
      HTTP/1.1 on one connection: GET /healthz; then a second connection
      sends half a request line and waits (at most BOUND seconds) to be
      dropped, as the first one idles; then the first one asks again, and
      then sends half a request and waits to be dropped. Prints "first
      STATUS slow dropped|open second STATUS partial dropped|early|open"
      (STATUS "lost" if the connection was gone).
  limits_peer.py slowfill HOST:PORT N ROUNDS
      opens N HTTP connections, sends each one byte of a request's headers,
      prints "open K", and goes on a byte a second for each, until a line
      on stdin (or ROUNDS rounds); then prints "closed K".
  limits_peer.py cpu PID SECONDS ADDR N [ADDR N]...
      opens N idle connections to each ADDR (a socket path or HOST:PORT),
      then prints "held H ticks T hz HZ": the CPU ticks PID used
      (utime+stime, /proc/PID/stat) over a window of SECONDS while they
      are held (CPU time is measured, not wall time).
"""
import os
import select
import socket
import sys
import time

GET_RECEIPT_KEY = 0x03


def connect(addr):
    if ':' in addr and not addr.startswith('/'):
        host, port = addr.rsplit(':', 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((host, int(port)))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    return s


def rss_kib(pid):
    with open('/proc/%s/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def ticks(pid):
    with open('/proc/%s/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def keyflood(sock, pid, maxbytes):
    frame = bytes([0, 1, GET_RECEIPT_KEY]) * 4096
    s = connect(sock)
    s.setblocking(False)
    before = rss_kib(pid)
    sent = 0
    while sent < maxbytes:
        _, w, _ = select.select([], [s], [], 2.0)
        if not w:
            break  # the server stopped reading: nothing more fits
        try:
            sent += s.send(frame)
        except BlockingIOError:
            continue
    print('sent %d rss_growth_kib %d' % (sent, rss_kib(pid) - before), flush=True)
    sys.stdin.readline()
    s.close()


def hold(addrs):
    conns = []
    for addr, n in addrs:
        for _ in range(n):
            try:
                conns.append(connect(addr))
            except OSError:
                pass
    return conns


def closed_count(conns):
    k = 0
    for c in conns:
        c.setblocking(False)
        try:
            if c.recv(1) == b'':
                k += 1
        except BlockingIOError:
            pass
        except OSError:
            k += 1
    return k


def wait_closed(s, bound):
    """Seconds until the server closed s, or None after bound seconds."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound:
        r, _, _ = select.select([s], [], [], bound - (time.monotonic() - t0))
        if not r:
            continue
        try:
            if s.recv(4096) == b'':
                return time.monotonic() - t0
        except OSError:
            return time.monotonic() - t0
    return None


def dropped(s, bound, timeout):
    t = wait_closed(s, bound)
    return 'open' if t is None else 'early' if t < timeout - 0.05 else 'dropped'


def http_get(s):
    """GET /healthz on s, keep-alive: the status, or 'lost'."""
    try:
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
        head = b''
        while b'\r\n\r\n' not in head:
            d = s.recv(4096)
            if not d:
                return 'lost'
            head += d
        head, body = head.split(b'\r\n\r\n', 1)
        length = 0
        for line in head.split(b'\r\n')[1:]:
            k, _, v = line.partition(b':')
            if k.strip().lower() == b'content-length':
                length = int(v)
        while len(body) < length:
            d = s.recv(4096)
            if not d:
                return 'lost'
            body += d
        return head.split()[1].decode()
    except OSError:
        return 'lost'


def idlehalf(sock, timeout, bound):
    a = connect(sock)
    a.sendall(bytes([0, 1, GET_RECEIPT_KEY]))
    hdr = a.recv(2, socket.MSG_WAITALL)
    a.recv(hdr[0] << 8 | hdr[1], socket.MSG_WAITALL)
    b = connect(sock)
    silent = 'open' if wait_closed(b, bound) is None else 'dropped'
    a.setblocking(False)
    try:
        idle = 'dropped' if a.recv(1) == b'' else 'kept'
    except BlockingIOError:
        idle = 'kept'
    except OSError:
        idle = 'dropped'
    a.setblocking(True)
    half = 'open'
    if idle == 'kept':
        a.sendall(b'\x00\x10\x02')  # 16 bytes announced, 1 sent
        half = dropped(a, bound, timeout)
    print('silent %s idle %s half %s' % (silent, idle, half), flush=True)


def keepalive(addr, timeout, bound):
    a = connect(addr)
    first = http_get(a)
    b = connect(addr)
    b.sendall(b'GET /hea')
    slow = 'open' if wait_closed(b, bound) is None else 'dropped'
    second = http_get(a)
    partial = 'open'
    if second != 'lost':
        a.sendall(b'GET /healthz HTTP/1.1\r\nHo')
        partial = dropped(a, bound, timeout)
    print('first %s slow %s second %s partial %s' % (first, slow, second, partial), flush=True)


def slowfill(addr, n, rounds):
    conns = hold([(addr, n)])
    request = b'GET /healthz HTTP/1.1\r\nHost: x\r\n' + b'X-a: b\r\n' * 1000
    closed = 0
    for i in range(min(rounds, len(request))):
        alive = []
        for c in conns:
            try:
                c.send(request[i:i + 1])
                alive.append(c)
            except OSError:
                closed += 1
        conns = alive
        if i == 0:
            print('open %d' % len(conns), flush=True)
        r, _, _ = select.select([sys.stdin], [], [], 1.0)
        if r:
            break
    print('closed %d' % (closed + closed_count(conns)), flush=True)


def main():
    cmd = sys.argv[1]
    if cmd == 'keyflood':
        keyflood(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == 'hold':
        conns = hold([(sys.argv[2], int(sys.argv[3]))])
        print('open %d' % len(conns), flush=True)
        sys.stdin.readline()
        print('closed %d' % closed_count(conns), flush=True)
    elif cmd == 'trickle':
        s = connect(sys.argv[2])
        s.settimeout(0.5)
        s.send(b'\x03\xff')
        for i in range(int(float(sys.argv[3]) * 2)):
            try:
                if s.recv(1) == b'':
                    print('dropped', flush=True)
                    return
            except socket.timeout:
                pass
            except OSError:
                print('dropped', flush=True)
                return
            try:
                s.send(b'\x00')
            except OSError:
                print('dropped', flush=True)
                return
        print('open', flush=True)
    elif cmd == 'garbage':
        s = connect(sys.argv[2])
        s.settimeout(30)
        frame = bytes([0x03, 0xe8, 0x7f]) + bytes(999)
        answered = 0
        for _ in range(int(sys.argv[3])):
            s.sendall(frame)
            hdr = s.recv(2, socket.MSG_WAITALL)
            if len(hdr) < 2:
                break
            body = s.recv(hdr[0] << 8 | hdr[1], socket.MSG_WAITALL)
            if not body:
                break
            answered += 1
        print('answered %d' % answered, flush=True)
    elif cmd == 'slowloris':
        conns = hold([(sys.argv[2], int(sys.argv[3]))])
        opened = len(conns)
        request = b'GET /healthz HTTP/1.1\r\nHost: x\r\n' + b'X-a: b\r\n' * 1000
        for i in range(int(sys.argv[4])):
            alive = []
            for c in conns:
                try:
                    c.send(request[i:i + 1])
                    alive.append(c)
                except OSError:
                    c.close()
            conns = [c for c in alive if closed_count([c]) == 0]
            if not conns:
                break
            time.sleep(1)
        print('opened %d open %d' % (opened, len(conns)), flush=True)
    elif cmd == 'idlehalf':
        idlehalf(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    elif cmd == 'keepalive':
        keepalive(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    elif cmd == 'slowfill':
        slowfill(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == 'cpu':
        pid, seconds = sys.argv[2], float(sys.argv[3])
        rest = sys.argv[4:]
        conns = hold([(rest[i], int(rest[i + 1])) for i in range(0, len(rest), 2)])
        t0 = ticks(pid)
        time.sleep(seconds)
        used = ticks(pid) - t0
        print('held %d ticks %d hz %d' % (len(conns), used, os.sysconf('SC_CLK_TCK')),
              flush=True)
        for c in conns:
            c.close()
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
