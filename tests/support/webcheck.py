"""What the drivers of the page tests share (card_web.py, terminal_web.py,
admin_web.py):
the "PASS name" / "FAIL name: detail" lines their shell scripts turn into
TAP (lib.sh's t_driver), requests as a script sends them (no browser), and
the event-stream limits every page has (hostlib/webstream.h)."""
import http.client
import json
import socket
import sys

failed = 0


def check(name, ok, detail=""):
    global failed
    if ok:
        print("PASS " + name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, str(detail).replace("\n", " | ")), flush=True)


def card_ctl(path, req, timeout=30):
    """One request to the card's control socket at path
    (docs/control-socket.md): its JSON answer."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(json.dumps(req).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf)


def request(hostport, method, path, body=None, headers=None, host=None):
    """One request to hostport: status, headers (lower-case names), body
    (an event stream answered 200 never ends: its first bytes only)."""
    h, p = hostport.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(p), timeout=30)
    hd = {"Host": host or hostport}
    hd.update(headers or {})
    c.request(method, path, body=body, headers=hd)
    r = c.getresponse()
    stream = r.getheader("Content-Type", "").startswith("text/event-stream")
    out = (r.status, {k.lower(): v for k, v in r.getheaders()},
           r.read1(65536) if stream else r.read())
    c.close()
    return out


def open_stream(hostport):
    """A raw /events connection: (socket, status line, what came with it)."""
    h, p = hostport.rsplit(":", 1)
    s = socket.create_connection((h, int(p)), timeout=30)
    s.sendall(("GET /events HTTP/1.1\r\nHost: %s\r\n\r\n" % hostport).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return s, buf.split(b"\r\n", 1)[0].decode(), buf


def watcher_cap(hostport, refusal_ok=None):
    """8 browsers may watch; the 9th is refused (503, its body passing
    refusal_ok if given), not queued; a place freed is taken again."""
    streams = [open_stream(hostport) for _ in range(8)]
    check("8 event streams at once: each answered 200",
          all(st.endswith("200 OK") for _, st, _ in streams), [st for _, st, _ in streams])
    s9, st, head = open_stream(hostport)
    body = head.split(b"\r\n\r\n", 1)[-1]
    while b"\n" not in body:
        d = s9.recv(4096)
        if not d:
            break
        body += d
    check("a 9th event stream: 503" + (", its error in the page's form" if refusal_ok else ""),
          st.endswith("503 Service Unavailable") and (refusal_ok is None or refusal_ok(body)),
          (st, body))
    s9.close()
    streams[0][0].close()
    # The program sees the closed stream when it next reads that socket;
    # each try is one whole request, answered at once either way.
    for _ in range(50):
        s, st, _ = open_stream(hostport)
        s.close()
        if st.endswith("200 OK"):
            break
    check("a closed stream's place is free again", st.endswith("200 OK"), st)
    for s, _, _ in streams[1:]:
        s.close()


def run(main):
    """Runs a driver's main and exits 1 if a check failed; a step that
    could not run at all is one failure, named."""
    try:
        main()
    except Exception as e:
        check("the driver stopped: %s: %s" % (type(e).__name__, e), False, "")
    sys.exit(1 if failed else 0)
