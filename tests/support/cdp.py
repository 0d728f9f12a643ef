"""A small DevTools-protocol client for the browser tests: Debian's
chromium, headless, driven over one WebSocket (python3-websocket).

    with Browser(tmpdir) as b:
        page = b.new_page()
        page.navigate("http://127.0.0.1:7400/")
        page.wait_for("document.body.dataset.live === 'yes'")
        page.click("#keypad button[data-key='1']")
        page.screenshot("build/screenshots/x.png")
        assert not page.errors, page.errors

Every wait is for an event (the DevTools URL on chromium's stderr, a
command's answer, a page's load event, a condition the page itself
signals through a MutationObserver), each with a deadline that turns into
an exception naming what was awaited. Console errors, uncaught exceptions
and the browser's own error log (a failed load, a blocked request) are
collected per page in page.errors; a test asserts that list is empty.

Needs /usr/bin/python3 (Debian's python3-websocket lives there)."""
import base64
import json
import os
import select
import subprocess
import threading
import time

import websocket

CHROMIUM = os.environ.get("SC_CHROMIUM", "/usr/bin/chromium")


class CdpError(Exception):
    pass


class Browser:
    """chromium --headless=new with its own profile under tmpdir."""

    def __init__(self, tmpdir, timeout=60.0, log=None):
        self.timeout = timeout
        self._next_id = 0
        self._events = []          # (sessionId, method, params) not yet handled
        self.pages = []
        args = [CHROMIUM, "--headless=new", "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                "--user-data-dir=" + os.path.join(tmpdir, "chromium-profile"),
                "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-extensions", "--disable-background-networking",
                "--disable-sync", "--disable-component-update",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]
        # Chromium refuses to start as root with its sandbox on: the
        # sandbox cannot confine a root process, so it asks to be told
        # explicitly. The tests run as root in CI; the pages they open are
        # our own, from 127.0.0.1.
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        args.append("about:blank")
        self._log = open(log or os.path.join(tmpdir, "chromium.log"), "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.PIPE)
        try:
            url = self._devtools_url()
            self.ws = websocket.create_connection(url, timeout=timeout,
                                                  suppress_origin=True)
        except Exception:
            self.close()
            raise

    def _devtools_url(self):
        """The browser's DevTools URL, from the line chromium prints on
        stderr once it listens; stderr is then drained into the log."""
        deadline = time.monotonic() + self.timeout
        buf = b""
        fd = self.proc.stderr.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("chromium printed no DevTools URL in %.0f s" % self.timeout)
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise CdpError("chromium exited before listening: " +
                               buf.decode(errors="replace")[-2000:])
            buf += chunk
            self._log.write(chunk)
            for line in buf.split(b"\n"):
                if line.startswith(b"DevTools listening on "):
                    threading.Thread(target=self._drain, args=(fd,), daemon=True).start()
                    return line[len(b"DevTools listening on "):].decode().strip()

    def _drain(self, fd):
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self._log.write(chunk)
            self._log.flush()

    def send(self, method, params=None, session=None, timeout=None):
        """One command; its result, or CdpError with the browser's message."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        want = self._next_id
        reply = self._receive(lambda m: m.get("id") == want, timeout,
                              "the answer to " + method)
        if "error" in reply:
            raise CdpError("%s: %s" % (method, reply["error"].get("message")))
        return reply.get("result", {})

    def _receive(self, match, timeout, what):
        """Reads messages until match(message); events met on the way go to
        their page (errors, loads) and to the event list."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("no %s within %.0f s" % (what, timeout or self.timeout))
            self.ws.settimeout(left)
            try:
                m = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if "method" in m:
                for p in self.pages:
                    if p.session == m.get("sessionId"):
                        p._on_event(m["method"], m.get("params", {}))
                self._events.append((m.get("sessionId"), m["method"], m.get("params", {})))
                del self._events[:-200]
            if match(m):
                return m

    def wait_event(self, method, session=None, timeout=None, pred=None):
        """The next event method of session (pred(params) true, if given),
        looking first at those already received."""
        for i, (s, meth, params) in enumerate(self._events):
            if s == session and meth == method and (pred is None or pred(params)):
                del self._events[:i + 1]
                return params
        m = self._receive(lambda m: m.get("method") == method and
                          m.get("sessionId") == session and
                          (pred is None or pred(m.get("params", {}))),
                          timeout, "event " + method)
        self._events.clear()
        return m.get("params", {})

    def new_page(self, width=420, height=860, mobile=False):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        self.pages.append(page)
        for domain in ("Page", "Runtime", "Log"):
            page.send(domain + ".enable")
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": mobile})
        return page

    def close(self):
        try:
            if getattr(self, "ws", None) is not None:
                try:
                    self.send("Browser.close", timeout=5)
                except Exception:
                    pass
                self.ws.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """One tab, attached in flat mode (its own session on the one socket)."""

    def __init__(self, browser, target, session):
        self.browser = browser
        self.target = target
        self.session = session
        self.errors = []       # "what: text" for each console error/exception

    def send(self, method, params=None, timeout=None):
        return self.browser.send(method, params, self.session, timeout)

    def _on_event(self, method, params):
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in params.get("args", []))
            self.errors.append("console.%s: %s" % (params["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append("exception: %s %s" % (
                d.get("text", ""), d.get("exception", {}).get("description", "")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            e = params["entry"]
            self.errors.append("log (%s): %s %s" % (e.get("source"), e.get("text"),
                                                   e.get("url", "")))

    def navigate(self, url, timeout=None):
        """Loads url and waits for its load event."""
        self.browser._events.clear()
        r = self.send("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CdpError("navigate %s: %s" % (url, r["errorText"]))
        self.browser.wait_event("Page.loadEventFired", self.session, timeout)

    def evaluate(self, expr, timeout=None):
        """The value of a JavaScript expression (a promise is awaited)."""
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CdpError("evaluate %s: %s" % (
                expr, d.get("exception", {}).get("description", d.get("text"))))
        return r.get("result", {}).get("value")

    def wait_for(self, cond, timeout=30):
        """Waits until the JavaScript condition cond holds: the page checks
        it at every change of its document (a MutationObserver), so the
        wait ends at the change, not at a poll."""
        ms = int(timeout * 1000)
        js = """new Promise((resolve, reject) => {
            const test = () => { try { return !!(%s); } catch (e) { return false; } };
            if (test()) { resolve(true); return; }
            const mo = new MutationObserver(() => {
                if (test()) { mo.disconnect(); clearTimeout(t); resolve(true); }
            });
            mo.observe(document, {subtree: true, childList: true, attributes: true,
                                  characterData: true});
            const t = setTimeout(() => { mo.disconnect(); resolve(false); }, %d);
        })""" % (cond, ms)
        if not self.evaluate(js, timeout=timeout + 10):
            raise CdpError("the page never showed: %s (within %s s)" % (cond, timeout))

    def _centre(self, selector):
        r = self.evaluate("""(() => { const e = document.querySelector(%s);
            if (!e) return null; e.scrollIntoView({block: "center"});
            const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; })()""" % json.dumps(selector))
        if r is None:
            raise CdpError("no element " + selector)
        return r

    def click(self, selector):
        """A real mouse click at the element's centre."""
        x, y = self._centre(selector)
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for t in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": t, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def tap(self, selector):
        """A finger's tap at the element's centre (touch events)."""
        x, y = self._centre(selector)
        self.send("Input.dispatchTouchEvent",
                  {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        self.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    KEYS = {"Enter": (13, "Enter", "\r"), "Escape": (27, "Escape", ""),
            "Backspace": (8, "Backspace", ""), "Tab": (9, "Tab", "")}

    def key(self, key):
        """One key typed on the keyboard: a character, or Enter, Escape,
        Backspace, Tab."""
        if key in self.KEYS:
            code, name, text = self.KEYS[key]
        else:
            code, name, text = ord(key.upper()), ("Digit" + key if key.isdigit() else
                                                  "Key" + key.upper()), key
        down = {"type": "keyDown", "key": key, "code": name,
                "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
        if text:
            down["text"] = text
        self.send("Input.dispatchKeyEvent", down)
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": name,
                                             "windowsVirtualKeyCode": code,
                                             "nativeVirtualKeyCode": code})

    def screenshot(self, path, selector=None):
        """A PNG of the viewport, or of the part of it from the top down to
        the bottom of selector's element (a small picture for a README)."""
        params = {"format": "png", "captureBeyondViewport": False}
        if selector is not None:
            w, h = self.evaluate("""(() => { const r = document.querySelector(%s)
                .getBoundingClientRect(); return [document.documentElement.clientWidth,
                Math.ceil(r.bottom) + 16]; })()""" % json.dumps(selector))
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.browser.send("Target.closeTarget", {"targetId": self.target})
        self.browser.pages.remove(self)
