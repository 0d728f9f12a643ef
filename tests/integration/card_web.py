"""card_web.sh's driver: the card's page in a real browser (chromium,
headless, over the DevTools protocol: tests/support/cdp.py) while a reader
(frameclient) has the card sign, and the holder confirms on the page's
keypad by mouse, keyboard and touch. Prints one line per check, "PASS
name" or "FAIL name: detail", which card_web.sh turns into TAP.

    card_web.py URL_WITH_TOKEN CONTROL_SOCKET SHOT_DIR README_SHOT TMPDIR CARD_LOG
with FC (frameclient), CT (the contact socket), SIGN (SELECT and SIGN
APDUs, space separated) and PIN in the environment."""
import json
import os
import socket
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import cdp  # noqa: E402
import webcheck  # noqa: E402

URL, CTL, SHOTS, README_SHOT, TMP, CARD_LOG = sys.argv[1:7]
FC, CT, SIGN, PIN = os.environ["FC"], os.environ["CT"], os.environ["SIGN"].split(), os.environ["PIN"]
BASE, _, FRAG = URL.partition("#")
TOKEN = urllib.parse.parse_qs(FRAG)["token"][0]
HOSTPORT = urllib.parse.urlsplit(BASE).netloc
check = webcheck.check


def ctl(req, timeout=30):
    return webcheck.card_ctl(CTL, req, timeout)


def screen():
    return ctl({"cmd": "screen"})["screen"]


def wait_screen(name):
    r = ctl({"cmd": "wait", "screen": name, "timeout_ms": 30000}, timeout=40)
    if not r.get("ok"):
        raise RuntimeError("the card never showed %s: %s" % (name, r))
    return r["screen"]


def request(method, path, body=None, headers=None, host=HOSTPORT):
    return webcheck.request(HOSTPORT, method, path, body, headers, host)


PAGE_SCREEN = """({name: document.getElementById("screen").dataset.screen,
    title: document.getElementById("screen-title").textContent,
    lines: [...document.querySelectorAll("#screen-lines li")].map(l => l.textContent),
    qr: document.getElementById("screen-qr").hidden ? null :
        document.getElementById("screen-qr").alt.replace(/^QR code: /, "")})"""


def same_as_card(page, name):
    """The page comes to show the card's screen model: the same name,
    title, lines and QR payload (waited for: the page may still be taking
    in the events before it)."""
    want = wait_screen(name)
    want_v = {k: want[k] for k in ("name", "title", "lines", "qr")}
    try:
        page.wait_for("JSON.stringify(%s) === %s" % (PAGE_SCREEN, json.dumps(json.dumps(
            want_v, separators=(",", ":"), ensure_ascii=False))))
    except cdp.CdpError:
        pass
    got = page.evaluate(PAGE_SCREEN)
    check("the page shows the card's %s screen as the card has it" % name, got == want_v,
          "page %s card %s" % (got, want_v))
    return want


def start_reader():
    """A reader that powers the card, signs, and holds the slot until told."""
    return subprocess.Popen([FC, CT, "on"] + SIGN + ["wait", "off"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def sign(page):
    """A SIGN from a reader: the page shows the card on the reader, then
    (reader gone) the transaction to review."""
    reader = start_reader()
    page.wait_for("document.getElementById('reader').dataset.onReader === 'yes'")
    check("the page shows the card on a reader while one holds it",
          "contact" in page.evaluate("document.getElementById('reader').textContent"))
    reader.stdin.write(b"\n")
    reader.stdin.close()
    out = reader.stdout.read().decode()
    check("the reader's SIGN succeeded", reader.wait() == 0 and out.split()[-1].endswith("9000"),
          out)
    page.wait_for("document.getElementById('reader').dataset.onReader === 'no'")
    return same_as_card(page, "review")


def zbar(path):
    r = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True, text=True)
    return r.stdout.strip()


def refusals(page):
    """Keys that must not reach the card: the screen model stays as it is."""
    before = screen()
    st, hd, _ = request("POST", "/keys", b"1")
    check("POST /keys without the token: 401", st == 401, st)
    st, _, _ = request("POST", "/keys", b"1", {"Authorization": "Bearer " + "0" * len(TOKEN)})
    check("POST /keys with a wrong token: 401", st == 401, st)
    st, hd, _ = request("POST", "/keys", b"1", {"Authorization": "Bearer " + TOKEN,
                                            "Origin": "http://evil.example"})
    check("POST /keys with the token from another origin: 403", st == 403, st)
    check("... and no CORS header", not any(k.startswith("access-control") for k in hd), hd)
    st, _, _ = request("POST", "/keys", b"1", {"Authorization": "Bearer " + TOKEN},
                    host="evil.example:%s" % HOSTPORT.rsplit(":", 1)[1])
    check("POST /keys with the token under another host name: 403", st == 403, st)
    check("the card's state is unchanged after the refused keys", screen() == before,
          "before %s after %s" % (before, screen()))
    st, _, _ = request("GET", "/", headers={"Origin": "http://evil.example"})
    check("the page asked for by another origin: 403", st == 403, st)
    st, _, _ = request("GET", "/events", headers={"Origin": "http://evil.example"})
    check("the event stream asked for by another origin: 403", st == 403, st)
    # A page of another origin (the same card under the name localhost)
    # tries the keypad with the token: the browser sends its Origin.
    other = page.browser.new_page()
    other.navigate("http://localhost:%s/nowhere" % HOSTPORT.rsplit(":", 1)[1])
    st = other.evaluate("""fetch(%s + "/keys", {method: "POST", body: "1",
        headers: {"Authorization": "Bearer %s"}}).then(r => r.status, e => "blocked: " + e)"""
                        % (json.dumps(BASE.rstrip("/")), TOKEN))
    check("the keypad from another origin's page in the browser: refused", st != 204, st)
    other.close()
    check("the card's state is unchanged after the other origin's try", screen() == before,
          "before %s after %s" % (before, screen()))


def slow_reader(page):
    """A watcher that never reads: the card goes on (the control socket's
    presses are all answered) and drops it past its high-water mark; the
    page, which reads, stays live and right."""
    h, p = HOSTPORT.rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.settimeout(30)
    s.connect((h, int(p)))
    s.sendall(("GET /events HTTP/1.1\r\nHost: %s\r\n\r\n" % HOSTPORT).encode())
    before = screen()
    rounds = 0
    # Each press changes the screen (a digit, then Backspace: one event
    # each); the drop is awaited as the card's log line.
    while rounds < 400 and "it reads too slowly" not in open(CARD_LOG).read():
        r = ctl({"cmd": "press", "keys": "1B" * 32})
        if not r.get("ok"):
            break
        rounds += 1
    check("a browser that never reads is dropped, the card going on meanwhile",
          "it reads too slowly" in open(CARD_LOG).read(), "after %d rounds" % rounds)
    s.close()
    check("... and the card's screen is as before", screen() == before, screen())
    same_as_card(page, before["name"])


def main():
    os.makedirs(SHOTS, exist_ok=True)
    st, hd, body = request("GET", "/")
    check("GET / serves the page", st == 200 and b"/card.js" in body, st)
    check("... with a content security policy and no CORS header",
          "default-src 'none'" in hd.get("content-security-policy", "") and
          not any(k.startswith("access-control") for k in hd), hd)

    webcheck.watcher_cap(HOSTPORT)

    with cdp.Browser(TMP) as b:
        # No token: the page shows the screen, its keypad is off.
        bare = b.new_page()
        bare.navigate(BASE)
        bare.wait_for("document.body.dataset.live === 'yes'")
        check("without the token the keypad is off",
              bare.evaluate("[...document.querySelectorAll('#keypad button')].every(b => b.disabled)"))
        bare.screenshot(os.path.join(SHOTS, "card-no-token.png"))
        check("no console errors on the page without the token", not bare.errors, bare.errors)
        bare.close()

        page = b.new_page(mobile=True)
        page.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
        page.navigate(URL)
        page.wait_for("document.body.dataset.live === 'yes'")
        check("the token is taken out of the address bar",
              page.evaluate("location.hash") == "", page.evaluate("location.href"))
        same_as_card(page, "idle")
        page.screenshot(os.path.join(SHOTS, "card-idle.png"))

        # A payment: review, a wrong PIN by mouse, then the right one.
        rv = sign(page)
        text = page.evaluate("document.getElementById('screen').innerText")
        check("the page shows the amount and the payee", "19.99 EUR" in text and "Ida's" in text,
              text)
        page.screenshot(os.path.join(SHOTS, "card-review.png"))
        refusals(page)
        wrong = "9" * len(PIN) if PIN != "9" * len(PIN) else "8" * len(PIN)
        for d in wrong:
            page.click("#keypad button[data-key='%s']" % d)
        page.click("#keypad button[data-key='OK']")
        same_as_card(page, "pin_wrong")
        check("a wrong PIN typed by mouse is refused", screen()["title"] == "Wrong PIN", screen())
        page.screenshot(os.path.join(SHOTS, "card-pin-wrong.png"))

        # The right PIN: first digit by mouse, then a stray digit taken back
        # with Backspace (keyboard), the rest alternately by touch and
        # keyboard, OK with Enter.
        page.click("#keypad button[data-key='%s']" % PIN[0])
        page.key("7")
        page.key("Backspace")
        for i, d in enumerate(PIN[1:]):
            if i % 2 == 0:
                page.tap("#keypad button[data-key='%s']" % d)
            else:
                page.key(d)
        page.wait_for("document.querySelector('#screen-lines li:nth-child(5)').textContent === %s"
                      % json.dumps("PIN: " + "*" * len(PIN)))
        check("digits by mouse, keyboard and touch, Backspace by keyboard: the card has the PIN",
              screen()["lines"][4] == "PIN: " + "*" * len(PIN), screen())
        page.key("Enter")
        pw = same_as_card(page, "password")
        page.wait_for("document.getElementById('screen-qr').dataset.loaded === 'yes'")
        shot = os.path.join(SHOTS, "card-password.png")
        page.screenshot(shot)
        check("the page's QR code (SVG) scans to the card's QR payload", zbar(shot) == pw["qr"],
              "zbar %r card %r" % (zbar(shot), pw["qr"]))
        check("the password digits are on the page",
              pw["lines"][0] in page.evaluate("document.getElementById('screen').innerText"), pw)

        # A second payment, cancelled on the page.
        sign(page)
        page.click("#keypad button[data-key='CANCEL']")
        same_as_card(page, "cancelled")
        page.screenshot(os.path.join(SHOTS, "card-cancelled.png"))
        check("no console errors on the card's page", not page.errors, page.errors)

        # The README's picture: the review screen on a phone-sized page.
        sign(page)
        page.screenshot(README_SHOT, selector="main")
        slow_reader(page)
        page.key("Escape")
        same_as_card(page, "cancelled")
        check("no console errors on the card's page (Escape = Cancel)", not page.errors,
              page.errors)
    del rv


if __name__ == "__main__":
    webcheck.run(main)
