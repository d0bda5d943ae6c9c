"""Erasure end to end in real browsers: the customer files it in the privacy centre, the
privacy officer completes it in the back office, and the account no longer signs in.

It erases the demo customer, so it runs against a demo server of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_kit import (
    LANG,
    DemoServer,
    MailServer,
    ServerErrors,
    expect_signed_in,
    new_context,
    sign_in,
    start_demo_server,
)
from playwright.sync_api import Browser, BrowserContext, Page, expect

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.demo.staff import DEMO_STAFF, DEMO_STAFF_PASSWORD
from trackguard.web.backoffice.texts import text as office_text
from trackguard.web.portal.texts import text as portal_text
from trackguard.web.privacy_centre.texts import text as centre_text


@pytest.fixture(scope="module")
def erasure_server(
    tmp_path_factory: pytest.TempPathFactory, mail_server: MailServer
) -> Iterator[DemoServer]:
    server = start_demo_server(tmp_path_factory.mktemp("erasure-server"), mail_server.port)
    yield server
    server.stop()


@pytest.fixture
def staff_context(browser: Browser, server_errors: ServerErrors) -> Iterator[BrowserContext]:
    """A browser profile of its own for the privacy officer."""
    opened = new_context(browser)
    server_errors.watch(opened)
    yield opened
    opened.close()


def file_erasure(page: Page) -> str:
    """File an erasure request from the privacy centre's requests page; returns its id."""
    centre = page.get_by_role("navigation", name=centre_text("centre", LANG))
    centre.get_by_role("link", name=centre_text("requests", LANG)).click()
    page.locator("form#file-erasure").get_by_role("button", name=centre_text("file", LANG)).click()
    expect(page.get_by_role("status")).to_have_text(centre_text("request_filed", LANG))
    # Signed in, so the session proved who asks: verified at once.
    status = page.get_by_role("definition").filter(has_text=centre_text("status_verified", LANG))
    expect(status).to_have_count(1)
    return page.url.split("?")[0].rsplit("/", 1)[-1]


def complete_as_privacy_officer(page: Page, server: DemoServer, request_id: str) -> None:
    page.goto(server.url("/backoffice/sign-in"))
    page.get_by_label(office_text("email", LANG)).fill(DEMO_STAFF["privacy_officer"])
    page.get_by_label(office_text("password", LANG)).fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=office_text("sign_in", LANG)).click()
    office = page.get_by_role("navigation", name=office_text("backoffice", LANG))
    office.get_by_role("link", name=office_text("nav_requests", LANG)).click()
    # The queue links each request by its id: open the one the customer just filed.
    page.locator(f"a[href*='/backoffice/requests/{request_id}']").click()
    page.get_by_role("button", name=office_text("complete", LANG), exact=True).click()
    expect(page.get_by_role("status")).to_have_text(office_text("done_completed", LANG))


def test_filed_erasure_completed_by_the_privacy_officer_ends_the_account(
    page: Page, staff_context: BrowserContext, erasure_server: DemoServer
) -> None:
    sign_in(page, erasure_server, DEMO_EMAIL, DEMO_PASSWORD)
    expect_signed_in(page, erasure_server)
    page.goto(erasure_server.url("/portal/privacy"))
    request_id = file_erasure(page)

    complete_as_privacy_officer(staff_context.new_page(), erasure_server, request_id)

    # The customer's open session ended with the account ...
    page.goto(erasure_server.url("/portal/privacy"))
    expect(page).to_have_url(re.compile(re.escape(erasure_server.url("/portal/sign-in"))))
    # ... and the address and password sign in no more.
    sign_in(page, erasure_server, DEMO_EMAIL, DEMO_PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(portal_text("wrong_credentials", LANG))
