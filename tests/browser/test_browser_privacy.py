"""The privacy centre and the cookie banner in a real browser: the export download, and a
refusal that leaves only the strictly necessary cookies (and no third party contacted)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import gpxpy
from browser_kit import LANG, DemoServer, expect_signed_in, sign_in
from playwright.sync_api import BrowserContext, Locator, Page, expect

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.web.cookies import CHOICE_COOKIE, SITE_COOKIES
from trackguard.web.portal.texts import text
from trackguard.web.privacy_centre.texts import text as centre_text

EXPORT_MEMBERS = {"index.html", "data.json", "positions.csv", "tracks.gpx"}
ESSENTIAL_COOKIES = {c.name for c in SITE_COOKIES if c.essential}


def cookie_banner(page: Page) -> Locator:
    """The banner: the "Cookies" region that asks (the statement has a section of that name)."""
    refuse = page.get_by_role("button", name=text("refuse", LANG), exact=True)
    return page.get_by_role("region", name=text("cookies", LANG)).filter(has=refuse)


def test_the_export_downloads_as_a_zip_with_the_data_in_four_forms(
    customer_page: Page, demo_server: DemoServer, tmp_path: Path
) -> None:
    page = customer_page
    page.goto(demo_server.url("/portal/privacy"))
    centre = page.get_by_role("navigation", name=centre_text("centre", LANG))
    centre.get_by_role("link", name=centre_text("export", LANG)).click()
    page.get_by_role("button", name=centre_text("make_export", LANG)).first.click()
    expect(page.get_by_role("status")).to_have_text(centre_text("export_ready", LANG))

    link = page.get_by_role("main").get_by_role("link", name=".zip")
    with page.expect_download() as started:
        link.first.click()
    download = started.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert saved.suffix == ".zip"
    with zipfile.ZipFile(saved) as archive:
        assert set(archive.namelist()) >= EXPORT_MEMBERS
        data = json.loads(archive.read("data.json"))
        positions = list(csv.DictReader(io.StringIO(archive.read("positions.csv").decode())))
        tracks = gpxpy.parse(archive.read("tracks.gpx").decode())
        index = archive.read("index.html").decode()
    assert DEMO_EMAIL in json.dumps(data)  # the subject's own, decrypted data
    assert len(positions) > 100  # a day of history of the demo trackers
    assert tracks.tracks and all(t.segments for t in tracks.tracks)
    assert "<html" in index.lower()


def test_refusing_cookies_leaves_only_the_strictly_necessary_ones(
    page: Page, context: BrowserContext, demo_server: DemoServer
) -> None:
    hosts: set[str] = set()
    context.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))

    page.goto(demo_server.url("/portal/sign-in"))
    banner = cookie_banner(page)
    accept = banner.get_by_role("button", name=text("accept", LANG), exact=True)
    refuse = banner.get_by_role("button", name=text("refuse", LANG), exact=True)
    # Equal choice: the two buttons are the same size, side by side.
    accept_box, refuse_box = accept.bounding_box(), refuse.bounding_box()
    assert accept_box and refuse_box
    assert (accept_box["width"], accept_box["height"]) == (
        refuse_box["width"],
        refuse_box["height"],
    )
    assert accept_box["y"] == refuse_box["y"]
    assert {c["name"] for c in context.cookies()} <= ESSENTIAL_COOKIES  # nothing before choosing

    refuse.click()
    expect(banner).to_have_count(0)
    choice = next(c for c in context.cookies() if c["name"] == CHOICE_COOKIE)
    assert choice["value"] == "refused"

    sign_in(page, demo_server, DEMO_EMAIL, DEMO_PASSWORD)
    expect_signed_in(page, demo_server)
    page.get_by_role("main").get_by_role("link").first.click()  # a device and its live map
    expect(page.locator("#live-status")).to_have_text(text("live_on", LANG))
    for path in ("/portal/events", "/portal/privacy", "/privacy", "/cookies"):
        page.goto(demo_server.url(path))
        expect(cookie_banner(page)).to_have_count(0)
    expect(page.get_by_text(text("choice_refused", LANG))).to_be_visible()

    names = {c["name"] for c in context.cookies()}
    assert names <= ESSENTIAL_COOKIES, f"cookies beyond the strictly necessary: {names}"
    assert page.evaluate("document.cookie") == ""  # every cookie is HttpOnly
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert hosts == {urlsplit(demo_server.base_url).netloc}  # no third party was contacted
