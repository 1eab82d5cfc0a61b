#!/usr/bin/env python3
"""The chat page in a real headless Chromium against the real server binary.

A browser user and a net-cat user (a raw TCP socket) share a room: the nc user sees the
browser user's line byte for byte as nc shows it, the browser shows the nc user's lines
and private message, refusals are shown (a taken name at login, a taken name for /name),
a reload logs back in with the same name, and a server restart is survived by
reconnecting. Chromium is driven through chromedriver's WebDriver HTTP API with the
Python standard library only. Every wait has a generous deadline and no test outcome
depends on how long anything took. The screenshots it takes (laptop and phone size) land in
Bazel's undeclared test outputs; tools/screenshots.sh copies them to docs/.

Run by Bazel (//chat/web:browser_test); needs Debian's chromium and chromium-driver.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PATIENCE = 30.0  # seconds any one condition may take before the test fails
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key
ENTER = "\ue007"


def runfile(path):
    for root in (os.environ.get("TEST_SRCDIR"), os.path.dirname(os.path.abspath(__file__))):
        if root:
            for candidate in (os.path.join(root, "tcpchat", path), os.path.join(root, path)):
                if os.path.exists(candidate):
                    return candidate
    raise FileNotFoundError(path)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what, condition):
    deadline = time.monotonic() + PATIENCE
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Server:
    """The chat server binary on loopback, stopped by its PID."""

    def __init__(self, binary, http_port, chat_port=0):
        self.process = subprocess.Popen(
            [binary, f"--port={chat_port}", "--address=127.0.0.1",
             f"--http_port={http_port}", "--http_address=127.0.0.1", "--shutdown_grace=2s"],
            stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        first = self.process.stdout.readline()
        match = re.match(r"Listening on the port :(\d+)", first)
        assert match, f"unexpected first line: {first!r}"
        self.chat_port = int(match.group(1))
        assert "Chat page on port" in self.process.stdout.readline()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=PATIENCE)
        assert self.process.returncode == 0, f"server exited with {self.process.returncode}"


class Netcat:
    """What `nc` does: raw bytes both ways."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        self.pending = b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def read_until(self, pattern):
        """Returns the bytes up to the end of the first match of `pattern` (a regex)."""
        regex = re.compile(pattern.encode(), re.S)
        deadline = time.monotonic() + PATIENCE
        while True:
            match = regex.search(self.pending)
            if match:
                taken, self.pending = self.pending[:match.end()], self.pending[match.end():]
                return taken.decode()
            if time.monotonic() > deadline:
                raise AssertionError(f"nc: no {pattern!r} in {self.pending!r}")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"nc: connection closed; had {self.pending!r}")
            self.pending += chunk


class Browser:
    """A headless Chromium session through chromedriver's HTTP API."""

    def __init__(self, profile, window="1100,800"):
        self.port = free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("chromedriver", self._ready)
        options = {
            "binary": CHROMIUM,
            # Root in a container: Chromium's own sandbox cannot start.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={window}",
                     f"--user-data-dir={profile}", "--no-first-run"],
        }
        session = self._call("POST", "/session", {
            "capabilities": {"alwaysMatch": {"browserName": "chrome",
                                             "goog:chromeOptions": options}}})
        self.session = session["sessionId"]

    def _ready(self):
        try:
            return self._call("GET", "/status")["ready"]
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())["value"]

    def call(self, method, path, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url):
        self.call("POST", "/url", {"url": url})

    def script(self, source, *args):
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def element(self, css):
        found = self.call("POST", "/element", {"using": "css selector", "value": css})
        assert ELEMENT in found, f"no element {css}: {found}"
        return found[ELEMENT]

    def type(self, css, text):
        self.call("POST", f"/element/{self.element(css)}/value", {"text": text})

    def click(self, css):
        self.call("POST", f"/element/{self.element(css)}/click", {})

    def text(self, css):
        return self.script("const e = document.querySelector(arguments[0]);"
                           "return e ? e.textContent : null;", css)

    def shows(self, css, text):
        """Whether some element matching `css` contains `text`."""
        return self.script(
            "return [...document.querySelectorAll(arguments[0])]"
            ".some(e => e.textContent.includes(arguments[1]));", css, text)

    def screenshot(self, name):
        out = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
        if out:
            with open(os.path.join(out, name), "wb") as f:
                f.write(base64.b64decode(self.call("GET", "/screenshot")))

    def resize(self, width, height):
        self.call("POST", "/window/rect", {"width": width, "height": height})
        wait_for(f"a {width}px wide window",
                 lambda: abs(self.script("return window.innerWidth;") - width) < 40)

    def fits_width(self):
        """Nothing sticks out sideways: no horizontal scrolling, the input line in view."""
        return self.script(
            "const box = document.querySelector('#text').getBoundingClientRect();"
            "return document.documentElement.scrollWidth <= window.innerWidth &&"
            " box.left >= 0 && box.right <= window.innerWidth &&"
            " box.bottom <= window.innerHeight;")

    def quit(self):
        try:
            self.call("DELETE", "")
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=PATIENCE)


def log_in(browser, name):
    browser.click("#name")
    browser.script("document.querySelector('#name').value = '';")
    browser.type("#name", name + ENTER)


def main():
    server_binary = runfile("chat/server")
    http_port = free_port()
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    server = Server(server_binary, http_port)
    browser = None
    checks = 0
    try:
        bob = Netcat(server.chat_port)
        bob.read_until(r"\[ENTER YOUR NAME\]: ")
        bob.send("bob\n")
        bob.read_until(r"\]\[bob\]:")

        browser = Browser(os.path.join(work, "profile"))
        page = f"http://127.0.0.1:{http_port}/"
        browser.open(page)
        wait_for("the banner", lambda: "TCP-Chat" in (browser.text("#banner") or ""))

        # A refusal at the login form: the name is taken, by nc's bob, in another case.
        log_in(browser, "BOB")
        wait_for("the taken-name error",
                 lambda: "Name 'BOB' is already taken." in (browser.text("#login-error") or ""))
        checks += 1

        log_in(browser, "alice")
        wait_for("the chat view", lambda: browser.text("#you") == "alice")
        bob.read_until(r"\nalice has joined our chat\.\.\.\n\[[^\]]+\]\[bob\]:")
        wait_for("bob in the people list", lambda: browser.shows("#users li", "bob"))
        checks += 1

        # The browser user's line reaches nc exactly as an nc user's would.
        browser.type("#text", "hello from chromium" + ENTER)
        line = bob.read_until(r"\[bob\]:")
        assert re.fullmatch(r"\n\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\[alice\]:hello from chromium"
                            r"\n\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\[bob\]:", line), repr(line)
        checks += 1

        # And nc's lines reach the browser: a chat line, then a private message.
        bob.send("hi alice, from nc\n")
        wait_for("bob's line", lambda: browser.shows("#messages li.chat", "hi alice, from nc"))
        bob.send("/msg alice just between us\n")
        wait_for("the private message",
                 lambda: browser.shows("#messages li.private", "just between us"))
        checks += 1

        # A refused command is shown as an error.
        browser.type("#text", "/name bob" + ENTER)
        wait_for("the /name error",
                 lambda: browser.shows("#messages li.error", "Name 'bob' is already taken."))
        browser.screenshot("chat-laptop.png")
        checks += 1

        # On a phone the page fits the screen and the input line stays in view.
        assert browser.fits_width(), "the page does not fit a laptop window"
        browser.resize(390, 844)
        assert browser.fits_width(), "the page does not fit a phone's width"
        browser.screenshot("chat-phone.png")
        browser.resize(1100, 800)
        checks += 1

        # A reload logs back in with the same name (the old connection's end may race the
        # new login; the page retries).
        browser.open(page)
        wait_for("the chat view after a reload", lambda: browser.text("#you") == "alice")
        bob.read_until(r"alice has joined our chat\.\.\.")
        checks += 1

        # The server goes away and comes back on the same ports: the page reconnects and
        # logs in again by itself.
        chat_port = server.chat_port
        server.stop()
        wait_for("the page to notice", lambda: browser.shows("#status", "Reconnecting"))
        server = Server(server_binary, http_port, chat_port=chat_port)
        wait_for("the reconnected chat view",
                 lambda: browser.text("#you") == "alice" and browser.text("#status") == "Connected")
        carol = Netcat(server.chat_port)
        carol.read_until(r"\[ENTER YOUR NAME\]: ")
        carol.send("carol\n")
        carol.read_until(r"\]\[carol\]:")
        browser.type("#text", "still here" + ENTER)
        carol.read_until(r"\[alice\]:still here\n")
        browser.screenshot("reconnected.png")
        checks += 1
    finally:
        if browser is not None:
            browser.quit()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"browser: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()
