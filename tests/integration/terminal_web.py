"""terminal_web.sh's driver: the merchant's page (sigcard-terminal daemon
--http) and the card's page (sigcard-card --http) in a real browser
(chromium, headless, over the DevTools protocol: tests/support/cdp.py).
Payments are made by clicks and typing on the two pages only; the card's
screen is never touched another way. Prints one line per check, "PASS
name" or "FAIL name: detail", which terminal_web.sh turns into TAP.

    terminal_web.py TERMINAL_URL CARD_URL SHOT_DIR README_SHOT TMPDIR
with CTL (the card's control socket, read only: "screen"), PIN, API (the
server's HTTP API), DLOG (the daemon's log), TERMINAL (sigcard-terminal)
and DSOCK (the daemon's socket) in the environment."""
import base64
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import cdp  # noqa: E402
import webcheck  # noqa: E402

TERM_URL, CARD_URL, SHOTS, README_SHOT, TMP = sys.argv[1:6]
CTL, PIN, API, DLOG = os.environ["CTL"], os.environ["PIN"], os.environ["API"], os.environ["DLOG"]
ADMIN, ADMIN_TOKEN = os.environ["ADMIN"], os.environ["ADMIN_TOKEN"]
BASE = TERM_URL.partition("#")[0]
TOKEN = urllib.parse.parse_qs(TERM_URL.partition("#")[2])["token"][0]
HOSTPORT = urllib.parse.urlsplit(BASE).netloc
check = webcheck.check


def card_screen():
    """The card's screen model, read (never a key) from its control socket."""
    return webcheck.card_ctl(CTL, {"cmd": "screen"})["screen"]


def request(method, path, body=None, headers=None, host=HOSTPORT):
    return webcheck.request(HOSTPORT, method, path, body, headers, host)


def balance(account):
    with urllib.request.urlopen(API + "/v1/accounts/" + account, timeout=30) as r:
        return json.load(r)["balance"]["minor"]


def payment_body(amount="1.00", payee="SHOP-1"):
    return json.dumps({"amount": amount, "currency": "EUR", "payee": payee,
                       "payee_name": "Kiosk"}).encode()


def is_json_error(body, cls):
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return j.get("result") == "error" and j.get("class") == cls and bool(j.get("message"))


def replay():
    """The events a browser coming now gets first: the terminal's, then
    the payment so far."""
    _, _, body = request("GET", "/events")
    return body.decode()


def refusals():
    """Requests that must start nothing: each answered with a JSON error,
    and the event stream still shows no payment."""
    st, hd, body = request("GET", "/")
    check("GET / serves the page", st == 200 and b"/terminal.js" in body, st)
    check("... with a content security policy and no CORS header",
          "default-src 'none'" in hd.get("content-security-policy", "") and
          not any(k.startswith("access-control") for k in hd), hd)
    before = replay()
    check("the event stream opens with the terminal's id and password source",
          'event: terminal\ndata: {"terminal_id":"SHOP-T1","jp":"scan","busy":false}' in before,
          before)
    st, hd, body = request("POST", "/payments", payment_body())
    check("POST /payments without the token: 401, a JSON error",
          st == 401 and is_json_error(body, "unauthorized") and
          hd.get("content-type") == "application/json", (st, body))
    st, _, body = request("POST", "/payments", payment_body(),
                          {"Authorization": "Bearer " + "0" * len(TOKEN)})
    check("POST /payments with a wrong token: 401", st == 401, (st, body))
    st, hd, body = request("POST", "/payments", payment_body(),
                           {"Authorization": "Bearer " + TOKEN, "Origin": "http://evil.example"})
    check("POST /payments with the token from another origin: 403, a JSON error",
          st == 403 and is_json_error(body, "forbidden"), (st, body))
    check("... and no CORS header", not any(k.startswith("access-control") for k in hd), hd)
    st, _, body = request("POST", "/payments", payment_body(), {"Authorization": "Bearer " + TOKEN},
                          host="evil.example:%s" % HOSTPORT.rsplit(":", 1)[1])
    check("POST /payments under another host name: 403", st == 403, (st, body))
    st, _, body = request("POST", "/payments", b'{"amount":"1.00","currency":"EUR",'
                          b'"payee":"SHOP-1","payee_name":"Kiosk","card":"unix:/x"}',
                          {"Authorization": "Bearer " + TOKEN})
    check("POST /payments with a field that is no payment's: 400 usage",
          st == 400 and is_json_error(body, "usage") and b"card" in body, (st, body))
    st, _, body = request("POST", "/payments", payment_body(amount="1.005"),
                          {"Authorization": "Bearer " + TOKEN})
    check("POST /payments with a bad amount: 400, pay's own message",
          st == 400 and is_json_error(body, "usage") and b"--amount '1.005'" in body, (st, body))
    st, _, body = request("GET", "/payments")
    check("GET /payments: 405, a JSON error", st == 405 and is_json_error(body, "method-not-allowed"),
          (st, body))
    st, _, body = request("GET", "/nowhere")
    check("an unknown path: 404, a JSON error", st == 404 and is_json_error(body, "not-found"),
          (st, body))
    after = replay()
    check("nothing refused started a payment (no start event, not busy)",
          "event: start" not in after and '"busy":false' in after, after)
    check("... and the daemon logged no payment", "paid:" not in open(DLOG).read() and
          "payment failed" not in open(DLOG).read())


def fill(page, amount, payee, name, scheme):
    """Types the payment into the form: a click in each field, the text
    typed (Input.insertText is what a keyboard's typing inserts)."""
    for sel, text in (("#amount", amount), ("#payee", payee), ("#payee-name", name)):
        page.click(sel)
        page.evaluate("document.querySelector(%s).select()" % json.dumps(sel))
        page.send("Input.insertText", {"text": text})
    page.click("#scheme")
    page.evaluate("document.getElementById('scheme').value = %s" % json.dumps(scheme))
    page.key("Escape")


def pay_click(term):
    term.click("#pay")
    term.wait_for("document.querySelector('#steps li') !== null && "
                  "document.getElementById('result').hidden")


def wait_review(card):
    card.wait_for("document.getElementById('screen').dataset.screen === 'review'", timeout=60)


def type_pin(card, pin):
    for d in pin:
        card.click("#keypad button[data-key='%s']" % d)
    card.click("#keypad button[data-key='OK']")


def step_state(term, name):
    return term.evaluate("document.querySelector(\"#steps li[data-step='%s']\").dataset.state"
                         % name)


def wait_result(term):
    term.wait_for("!document.getElementById('result').hidden", timeout=90)
    return term.evaluate("""({outcome: document.getElementById('result').dataset.outcome,
        cls: document.getElementById('result').dataset.class,
        title: document.getElementById('result-title').textContent,
        text: document.getElementById('result-text').textContent,
        fields: Object.fromEntries([...document.querySelectorAll('#receipt dd')]
            .map(d => [d.dataset.field, d.textContent]))})""")


def shot(page, path, selector=None):
    """A screenshot of a tab brought to the front first: headless chromium
    does not paint a tab behind another."""
    page.send("Page.bringToFront")
    page.screenshot(path, selector=selector)


def readme_shot(page):
    """The README's picture, scaled down to keep it small."""
    page.send("Page.bringToFront")
    h = page.evaluate("Math.ceil(document.querySelector('main').getBoundingClientRect().bottom) + 16")
    data = page.send("Page.captureScreenshot", {"format": "png", "clip": {
        "x": 0, "y": 0, "width": 760, "height": h, "scale": 0.6}})["data"]
    with open(README_SHOT, "wb") as f:
        f.write(base64.b64decode(data))


def money(minor):
    return "%d.%02d EUR" % (minor // 100, minor % 100)


def back_office(b, tid):
    """The bank's back office (sigcard-server --admin-http) after the
    payment: both balances changed and the transfer, on its page."""
    page = b.new_page()
    page.navigate(ADMIN + "/")
    page.wait_for("document.body.dataset.view === 'login'")
    page.evaluate("document.getElementById('token').focus()")
    page.send("Input.insertText", {"text": ADMIN_TOKEN})
    page.key("Enter")
    page.wait_for("document.body.dataset.view === 'accounts' && document.body.dataset.ready === 'yes'"
                  " && document.getElementById('accounts').dataset.loaded === 'yes'")
    rows = {r[0]: r[1] for r in page.evaluate(
        "[...document.querySelectorAll('#accounts tbody tr')].map("
        "tr => [...tr.cells].map(td => td.textContent))")}
    check("the back office's page shows both balances changed",
          rows.get("ALICE-1") == money(balance("ALICE-1")) and
          rows.get("SHOP-1") == money(balance("SHOP-1")), rows)
    page.click("#accounts tr[data-account='SHOP-1'] button")
    page.wait_for("document.getElementById('transfers-title').textContent === 'Transfers of SHOP-1'"
                  " && document.getElementById('transfers').dataset.loaded === 'yes'")
    top = page.evaluate("[...document.querySelector('#transfers tbody tr').cells]"
                        ".map(td => td.textContent)")
    check("... and the transfer, newest first: ALICE-1 to SHOP-1, 3.50 EUR",
          top[0] == str(tid) and top[2:5] == ["ALICE-1", "SHOP-1", "3.50 EUR"], top)
    shot(page, os.path.join(SHOTS, "terminal-backoffice.png"))
    page.close()


def main():
    os.makedirs(SHOTS, exist_ok=True)
    refusals()
    webcheck.watcher_cap(HOSTPORT, lambda body: is_json_error(body, "too-many-browsers"))
    alice, shop = balance("ALICE-1"), balance("SHOP-1")
    with cdp.Browser(TMP) as b:
        term = b.new_page(width=420, height=900, mobile=True)
        term.navigate(TERM_URL)
        term.wait_for("document.body.dataset.live === 'yes'")
        check("the terminal page takes the token out of the address bar",
              "token" not in term.evaluate("location.href"), term.evaluate("location.href"))
        shot(term, os.path.join(SHOTS, "terminal-form.png"))
        card = b.new_page()
        card.navigate(CARD_URL)
        card.wait_for("document.body.dataset.live === 'yes'")

        # 1. A payment by clicks and typing only.
        fill(term, "3.50", "SHOP-1", "Kiosk Ost", "enc-digest")
        pay_click(term)
        wait_review(card)
        text = card.evaluate("document.getElementById('screen').innerText")
        check("the card's page shows the review: amount and payee",
              "3.50 EUR" in text and "Kiosk Ost" in text and "SHOP-1" in text, text)
        term.wait_for("document.querySelector(\"#steps li[data-step='holder']\")"
                      ".dataset.state === 'current'")
        check("the terminal page follows: challenge, SIGN and card-off done, the holder awaited",
              [step_state(term, s) for s in ("challenge", "sign", "card-off", "holder", "scan")]
              == ["done", "done", "done", "current", "pending"],
              [step_state(term, s) for s in ("challenge", "sign", "card-off", "holder", "scan")])
        check("the Pay button is off while the payment runs",
              term.evaluate("document.getElementById('pay').disabled") is True)
        shot(term, os.path.join(SHOTS, "terminal-steps.png"))
        shot(card, os.path.join(SHOTS, "terminal-card-review.png"))
        st, _, body = request("POST", "/payments", payment_body(),
                              {"Authorization": "Bearer " + TOKEN})
        check("POST /payments while a payment runs: 409, a JSON error",
              st == 409 and is_json_error(body, "busy"), (st, body))
        mid = replay()
        check("a browser coming mid-payment gets the payment so far",
              "event: start" in mid and '"step":"holder"' in mid and '"busy":true' in mid, mid)
        type_pin(card, PIN)
        r = wait_result(term)
        check("the terminal page shows the verified receipt",
              r["outcome"] == "ok" and "receipt verified" in r["title"] and
              r["fields"].get("amount") == "3.50 EUR" and r["fields"].get("payee") == "SHOP-1" and
              r["fields"].get("scheme") == "enc-digest" and
              r["fields"].get("receipt", "").startswith("verified"), r)
        check("... every step done", all(step_state(term, s) == "done" for s in
                                         ("challenge", "sign", "card-off", "holder", "scan",
                                          "submit")))
        shot(term, os.path.join(SHOTS, "terminal-receipt.png"))
        # The README's picture: the page as a counter's screen shows it.
        term.send("Emulation.setDeviceMetricsOverride", {"width": 760, "height": 1200,
                                                         "deviceScaleFactor": 1, "mobile": False})
        term.evaluate("new Promise(r => requestAnimationFrame(() => r(true)))")
        readme_shot(term)
        term.send("Emulation.setDeviceMetricsOverride", {"width": 420, "height": 900,
                                                         "deviceScaleFactor": 1, "mobile": True})
        check("the payer's balance fell by 3.50", balance("ALICE-1") == alice - 350,
              (alice, balance("ALICE-1")))
        check("the payee's balance rose by 3.50", balance("SHOP-1") == shop + 350,
              (shop, balance("SHOP-1")))
        tid = r["fields"].get("transfer-id")
        with urllib.request.urlopen(API + "/v1/transfers/" + str(tid), timeout=30) as t:
            tr = json.load(t)
        check("the server has the transfer the receipt names",
              tr.get("payer") == "ALICE-1" and tr.get("payee") == "SHOP-1" and
              tr.get("amount", {}).get("minor") == 350, tr)
        back_office(b, tid)

        # 2. Cancel on the card's page: the terminal page shows why.
        fill(term, "7.00", "SHOP-1", "Kiosk Ost", "enc-rand")
        pay_click(term)
        wait_review(card)
        card.click("#keypad button[data-key='CANCEL']")
        r = wait_result(term)
        check("Cancel on the card's page: the terminal page shows the cancel and its reason",
              r["outcome"] == "error" and r["cls"] == "cancelled" and
              "the holder cancelled on the card" in r["text"], r)
        check("... the step it stopped at marked failed", step_state(term, "holder") == "failed",
              step_state(term, "holder"))
        shot(term, os.path.join(SHOTS, "terminal-cancelled.png"))

        # 3. A wrong PIN, three times: the card blocks it, the terminal says so.
        fill(term, "8.00", "SHOP-1", "Kiosk Ost", "enc")
        pay_click(term)
        wait_review(card)
        wrong = "0000" if PIN != "0000" else "1111"
        for after in ("2 tries left", "1 try left"):
            type_pin(card, wrong)
            card.wait_for("document.getElementById('screen').innerText.includes(%s)"
                          % json.dumps(after))
        type_pin(card, wrong)
        r = wait_result(term)
        check("a wrong PIN on the card's page: the terminal page shows the decline and its reason",
              r["outcome"] == "error" and r["cls"] == "cancelled" and "PIN" in r["text"], r)
        shot(term, os.path.join(SHOTS, "terminal-pin-blocked.png"))
        check("the balances did not move for the cancelled payments",
              balance("ALICE-1") == alice - 350 and balance("SHOP-1") == shop + 350,
              (balance("ALICE-1"), balance("SHOP-1")))
        # 4. A payment a front end starts on the Unix socket, which the
        # server declines: the page shows it too, with the server's reason.
        front = subprocess.run([os.environ["TERMINAL"], "pay", "--daemon", "unix:" +
                                os.environ["DSOCK"], "--amount", "2.00", "--currency", "EUR",
                                "--to", "NOBODY-9", "--payee-name", "Nobody"],
                               capture_output=True, text=True, timeout=120)
        check("a front end's payment to an unknown payee: declined (exit 8)",
              front.returncode == 8, front.stderr)
        term.wait_for("document.getElementById('payment-title').textContent"
                      ".includes('started by a front end')")
        r = wait_result(term)
        check("the terminal page shows the front end's payment and the server's decline",
              r["outcome"] == "error" and r["cls"] == "server-refused" and
              "UNKNOWN_ACCOUNT" in r["text"] and "started by a front end" in
              term.evaluate("document.getElementById('payment-title').textContent"), r)
        shot(term, os.path.join(SHOTS, "terminal-declined.png"))
        check("no console errors on the terminal's page", not term.errors, term.errors)
        check("no console errors on the card's page", not card.errors, card.errors)


if __name__ == "__main__":
    webcheck.run(main)
