"""What the browser tests share: a `trackguard serve --demo` process, a mail inbox, and
the portal's sign-in as a person does it.

Each server is a real `trackguard serve --demo` on a fresh data dir (SQLite), on free
ports for the web server and every gateway, so parallel runs do not collide. Its demo
trackers drive their routes over their own protocols against its gateways, and its
alert e-mails go to a local aiosmtpd inbox.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from trackguard.web.portal.texts import text as portal_text

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
LANG = "en"
LOCALE = "en-GB"  # the portal negotiates English from the browser's Accept-Language
TIMEZONE = "Europe/Amsterdam"  # where the demo customer lives; the live map shows local time
STARTUP_SECONDS = 60
SHUTDOWN_SECONDS = 20
ACTION_TIMEOUT_MS = 20_000
# The gateways serve --demo starts; mqtt stays off (it would subscribe to a shared broker).
GATEWAYS = ("osmand", "gt06", "teltonika", "h02", "watch")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message it receives (it runs in its own thread)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    inbox: Inbox
    port: int


@dataclass
class DemoServer:
    """A running `trackguard serve --demo`; `base_url` is its web address."""

    base_url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=SHUTDOWN_SECONDS)


def start_demo_server(workdir: Path, smtp_port: int) -> DemoServer:
    """`trackguard serve --demo` on a fresh data dir; returns once it answers /health."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGUARD_")}
    env["TRACKGUARD_DATA_DIR"] = str(workdir / "data")
    env["TRACKGUARD_SMTP_HOST"] = "127.0.0.1"
    env["TRACKGUARD_SMTP_PORT"] = str(smtp_port)
    env["TRACKGUARD_GATEWAYS"] = ",".join(GATEWAYS)
    for name in GATEWAYS:
        env[f"TRACKGUARD_{name.upper()}_PORT"] = str(free_port())
    log = workdir / "serve.log"
    command = [sys.executable, "-m", "trackguard.cli", "serve", "--demo", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = DemoServer(f"http://127.0.0.1:{port}", workdir / "data", log, process)
    try:
        _wait_until_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_healthy(server: DemoServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"trackguard serve --demo exited with {server.process.returncode}:\n"
                + server.log_text()
            )
        try:
            if httpx.get(server.url("/health"), timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # a process starting up: there is nothing to wait on instead
    pytest.fail(
        f"trackguard serve --demo did not answer in {STARTUP_SECONDS}s:\n{server.log_text()}"
    )


def new_context(browser: Browser) -> BrowserContext:
    """A fresh browser profile: no cookies, English, 1280x800."""
    context = browser.new_context(
        viewport=VIEWPORT, locale=LOCALE, timezone_id=TIMEZONE, accept_downloads=True
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


@dataclass
class ServerErrors:
    """Responses with a 5xx status the browser received: a test expects none."""

    seen: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("response", self._check)

    def _check(self, response: Any) -> None:
        if response.status >= 500:
            self.seen.append(f"{response.status} {response.url}")


def sign_in(page: Page, server: DemoServer, email: str, password: str) -> None:
    """Fill in and send the portal's sign-in form."""
    page.goto(server.url("/portal/sign-in"))
    page.get_by_label(portal_text("email", LANG)).fill(email)
    page.get_by_label(portal_text("password", LANG)).fill(password)
    page.get_by_role("main").get_by_role("button", name=portal_text("sign_in", LANG)).click()
    page.wait_for_load_state()


def expect_signed_in(page: Page, server: DemoServer) -> None:
    """On the portal's home page after signing in; else fail with what the browser shows."""
    if page.url != server.url("/portal"):
        shown = page.locator("body").inner_text()[:600]
        pytest.fail(f"signing in led to {page.url}, not /portal; the page shows:\n{shown}")
    page.get_by_role("heading", level=1, name=portal_text("portal", LANG)).wait_for()
