"""admin_web.sh's driver: the back office in a real browser (chromium,
headless, over the DevTools protocol: tests/support/cdp.py), and the
requests a script or another site could send it. Prints one line per
check, "PASS name" or "FAIL name: detail", which admin_web.sh turns into
TAP.

    admin_web.py ADMIN_URL API_URL TOKEN CARD_ID SHOT_DIR README_SHOT TMPDIR
(README_SHOT: the accounts view's top; admin-page-charts.png beside it, the
first chart's)
with PAY in the environment: the command that pays 1.00 EUR from the card,
the ATC to be appended (it prints the RESULT's name first)."""
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import cdp  # noqa: E402
import webcheck  # noqa: E402

ADMIN, API, TOKEN, CARD, SHOTS, README_SHOT, TMP = sys.argv[1:8]
PAY = os.environ["PAY"].split()
HOSTPORT = urllib.parse.urlsplit(ADMIN).netloc
check = webcheck.check


def request(method, path, body=None, headers=None):
    """One request as a script sends it (no browser): status, headers, the
    body as JSON where it is."""
    st, hd, raw = webcheck.request(HOSTPORT, method, path, body, headers)
    try:
        return st, hd, json.loads(raw)
    except ValueError:
        return st, hd, raw


def is_error(body, status):
    return isinstance(body, dict) and set(body) == {"error"} and body["error"]["status"] == status


def card_api():
    with urllib.request.urlopen(API + "/v1/cards/" + CARD, timeout=30) as r:
        return json.load(r)


def pay(atc):
    r = subprocess.run(PAY + [str(atc)], capture_output=True, text=True, timeout=60)
    return (r.stdout + r.stderr).split()[0] if (r.stdout + r.stderr).split() else "nothing"


def refusals():
    """What a script or another site may try: each refused, the card as it was."""
    before = card_api()
    login = json.dumps({"token": TOKEN})
    st, _, b = request("POST", "/api/login", login, {"Content-Type": "application/json"})
    check("login without an Origin: 403, JSON", st == 403 and is_error(b, 403), (st, b))
    st, _, b = request("POST", "/api/login", json.dumps({"token": "x" * len(TOKEN)}),
                       {"Origin": ADMIN})
    check("login with a wrong token: 401, JSON", st == 401 and is_error(b, 401), (st, b))
    st, hd, b = request("POST", "/api/login", login, {"Origin": ADMIN})
    cookie = hd.get("set-cookie", "")
    check("login with the token: 200, an HttpOnly SameSite=Strict cookie and a CSRF token",
          st == 200 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
          and len(b.get("csrf") or "") == 64, (st, cookie, b))
    session = cookie.split(";")[0]
    csrf = b.get("csrf", "") if isinstance(b, dict) else ""
    block = "/api/cards/%s/block" % CARD
    st, _, b = request("POST", block, "{}", {"Origin": ADMIN})
    check("block without a session: 401", st == 401 and is_error(b, 401), (st, b))
    st, _, b = request("POST", block, "{}", {"Origin": ADMIN, "Cookie": session})
    check("block without the CSRF token: 403", st == 403 and is_error(b, 403), (st, b))
    st, _, b = request("POST", block, "{}", {"Origin": ADMIN, "Cookie": session,
                                              "X-CSRF-Token": "0" * 64})
    check("block with a wrong CSRF token: 403", st == 403 and is_error(b, 403), (st, b))
    st, hd, b = request("POST", block, "{}", {"Origin": "http://evil.example", "Cookie": session,
                                               "X-CSRF-Token": csrf})
    check("block from another Origin, cookie and CSRF token and all: 403",
          st == 403 and is_error(b, 403), (st, b))
    check("... and no CORS header", not any(k.startswith("access-control") for k in hd), hd)
    st, _, b = request("POST", block, "{}", {"Cookie": session, "X-CSRF-Token": csrf})
    check("block with no Origin: 403", st == 403 and is_error(b, 403), (st, b))
    st, _, b = request("GET", block, None, {"Cookie": session})
    check("GET of a state-changing path: 405, nothing changed", st == 405, (st, b))
    st, _, b = request("GET", "/v1/accounts")
    check("the API through the back office without a session: 401", st == 401 and is_error(b, 401),
          (st, b))
    st, _, b = request("GET", "/v1/accounts", None, {"Host": "evil.example:80", "Cookie": session})
    check("a request under another host name (DNS rebinding): 403", st == 403, (st, b))
    st, _, b = request("BREW", "/")
    check("a method libevent does not know: 501, JSON", st == 501 and is_error(b, 501), (st, b))
    st, _, b = request("POST", "/api/login", "x" * 4096, {"Origin": ADMIN})
    check("a body over the limit: 413, JSON", st == 413 and is_error(b, 413), (st, b))
    after = card_api()
    check("the card is as it was after every refusal", after == before, (before, after))
    # With both, the same request blocks: the refusals were for what they lacked.
    st, _, b = request("POST", "/api/logout", "{}", {"Origin": ADMIN, "Cookie": session,
                                                     "X-CSRF-Token": csrf})
    check("logout with the session and its CSRF token: 200", st == 200, (st, b))
    st, _, b = request("GET", "/v1/accounts", None, {"Cookie": session})
    check("... and the session is gone (401)", st == 401, (st, b))


def table(page, table_id):
    return page.evaluate("""[...document.querySelectorAll('#%s tbody tr')].map(
        tr => [...tr.cells].map(td => td.textContent))""" % table_id)


def wait_loaded(page, table_id):
    page.wait_for("document.getElementById('%s').dataset.loaded === 'yes' && "
                  "document.body.dataset.ready === 'yes'" % table_id)


def go(page, view):
    page.evaluate("location.hash = '#%s'" % view)
    page.wait_for("document.body.dataset.view === '%s' && document.body.dataset.ready === 'yes'"
                  % view)


def browser_flow(page):
    page.navigate(ADMIN + "/")
    page.wait_for("document.body.dataset.view === 'login'")
    check("the page asks for the token first", page.evaluate(
        "!document.getElementById('view-login').hidden && document.getElementById('nav').hidden"))
    page.screenshot(os.path.join(SHOTS, "admin-login.png"))
    # Typed, and sent with Enter: the form works from the keyboard.
    page.evaluate("document.getElementById('token').focus()")
    page.send("Input.insertText", {"text": TOKEN})
    page.key("Enter")
    page.wait_for("document.body.dataset.view === 'accounts' && document.body.dataset.ready === 'yes'")
    wait_loaded(page, "accounts")
    rows = {r[0]: r[1] for r in table(page, "accounts")}
    check("the accounts list shows ALICE's balance changed (87.66 EUR)",
          rows.get("ALICE") == "87.66 EUR", rows)
    check("... and BOB's (12.34 EUR)", rows.get("BOB") == "12.34 EUR", rows)
    page.click("#accounts tr[data-account='ALICE'] button")
    page.wait_for("document.getElementById('transfers-title').textContent === 'Transfers of ALICE'"
                  " && document.getElementById('transfers').dataset.loaded === 'yes'")
    t = table(page, "transfers")
    check("ALICE's transfers, newest first: the payment to BOB, 12.34 EUR, from the card at ATC 1,"
          " then her opening 100.00 EUR",
          len(t) == 2 and t[0][2:5] == ["ALICE", "BOB", "12.34 EUR"] and t[0][5] == CARD + ", 1"
          and t[1][2:5] == ["EQUITY-EUR", "ALICE", "100.00 EUR"], t)
    page.screenshot(os.path.join(SHOTS, "admin-accounts.png"))
    page.screenshot(README_SHOT, "#transfers")

    go(page, "cards")
    wait_loaded(page, "cards")
    c = table(page, "cards")
    api = card_api()
    check("the card's row: active, ATC 1, its last receipt counter, no wrong passwords",
          len(c) == 1 and c[0][:6] == [CARD, "ALICE", "active", "1",
                                       str(api["last_receipt_counter"]), "0"], (c, api))
    page.screenshot(os.path.join(SHOTS, "admin-cards.png"))
    page.click("#cards tr[data-card='%s'] button" % CARD)
    page.wait_for("document.querySelector(\"#cards tr[data-card='%s']\").dataset.status === 'blocked'"
                  % CARD)
    check("a click blocks the card (the ledger says blocked)", card_api()["status"] == "blocked")
    check("... and the next payment is declined CARD_BLOCKED", pay(2) == "CARD_BLOCKED")
    # A reload, waited for to its load event (the old document would
    # still answer the wait below).
    page.browser._events.clear()
    page.send("Page.reload")
    page.browser.wait_event("Page.loadEventFired", page.session)
    page.wait_for("document.body.dataset.view === 'cards' && document.body.dataset.ready === 'yes'")
    check("after a reload the session stands (no login asked)",
          page.evaluate("document.body.dataset.view") == "cards")
    page.click("#cards tr[data-card='%s'] button" % CARD)
    page.wait_for("document.querySelector(\"#cards tr[data-card='%s']\").dataset.status === 'active'"
                  % CARD)
    check("a click unblocks it (the ledger says active)", card_api()["status"] == "active")
    check("... and the next payment goes through (OK)", pay(3) == "OK")

    go(page, "submissions")
    wait_loaded(page, "submissions")
    s = [r[2] for r in table(page, "submissions")]
    check("the recent submissions, newest first: OK, CARD_BLOCKED, OK",
          s[:3] == ["OK", "CARD_BLOCKED", "OK"], s)
    page.screenshot(os.path.join(SHOTS, "admin-submissions.png"))

    go(page, "charts")
    page.wait_for("Number(document.getElementById('chart-rate').dataset.total) >= 3", timeout=30)
    check("the charts count the three payments of the last two minutes",
          int(page.evaluate("document.getElementById('chart-rate').dataset.total")) >= 3)
    legend = page.evaluate("document.getElementById('legend-rate').textContent")
    check("... by result (OK and CARD_BLOCKED in the legend)",
          "OK" in legend and "CARD_BLOCKED" in legend, legend)
    check("... with the latency lines drawn",
          page.evaluate("document.querySelectorAll('#chart-latency polyline').length") >= 1)
    page.wait_for("Number(document.getElementById('chart-rate').dataset.samples) >= 3")
    page.screenshot(os.path.join(SHOTS, "admin-charts.png"))
    page.screenshot(os.path.join(os.path.dirname(README_SHOT), "admin-page-charts.png"),
                    "#legend-rate")
    check("no console errors on any view", not page.errors, page.errors)


def main():
    refusals()
    with cdp.Browser(TMP) as b:
        page = b.new_page(width=900, height=900)
        try:
            browser_flow(page)
        except cdp.CdpError as e:
            check("the browser's part", False, "%s; errors: %s" % (e, page.errors))
        phone = b.new_page(width=390, height=844, mobile=True)
        phone.navigate(ADMIN + "/#cards")
        phone.wait_for("document.body.dataset.ready === 'yes'")
        wide = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        check("on a phone's width the page does not scroll sideways", wide)
        phone.screenshot(os.path.join(SHOTS, "admin-phone.png"))
        check("no console errors on the phone", not phone.errors, phone.errors)


if __name__ == "__main__":
    webcheck.run(main)
