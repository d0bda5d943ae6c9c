"""Browser tests: Debian's chromium, driven by Playwright, against `trackguard serve --demo`.

No browser is downloaded: the tests launch /usr/bin/chromium (Debian's `chromium`
package) headless, and fail with that advice when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from browser_kit import (
    CHROMIUM,
    DemoServer,
    Inbox,
    MailServer,
    ServerErrors,
    expect_signed_in,
    free_port,
    new_context,
    sign_in,
    start_demo_server,
)
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}: install it with "
            "`apt-get install chromium` (CI does); Playwright downloads no browser here"
        )
    return CHROMIUM


# Module scope, not session: Playwright's sync API runs an event loop in this thread
# while it is open, and the async tests after the browser modules need the thread free.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(chromium), headless=True)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield MailServer(inbox, port)
    controller.stop()


@pytest.fixture(scope="session")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, mail_server: MailServer
) -> Iterator[DemoServer]:
    """One demo server the scenarios that change nothing for good share."""
    server = start_demo_server(tmp_path_factory.mktemp("demo-server"), mail_server.port)
    yield server
    server.stop()


@pytest.fixture
def server_errors() -> Iterator[ServerErrors]:
    errors = ServerErrors()
    yield errors
    assert errors.seen == [], "the server answered the browser with errors"


@pytest.fixture
def context(browser: Browser, server_errors: ServerErrors) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies, English, 1280x800."""
    opened = new_context(browser)
    server_errors.watch(opened)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def customer_page(page: Page, demo_server: DemoServer) -> Page:
    """A page signed in to the portal as the demo customer."""
    sign_in(page, demo_server, DEMO_EMAIL, DEMO_PASSWORD)
    expect_signed_in(page, demo_server)
    return page
