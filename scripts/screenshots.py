"""Developer aid: regenerate the screenshots in `docs/screenshots/` against a running demo server.

Usage:
    trackguard serve --demo &                      # seeds the demo data, trackers drive
    python scripts/screenshots.py [--base-url http://127.0.0.1:8082] [--out docs/screenshots]

It drives Debian's chromium (`/usr/bin/chromium`, headless; Playwright downloads no
browser) at 1280x800 in English: the cookie banner, the portal as the demo customer
(demo@trackguard.example), the privacy centre, and the back office as the demo privacy
officer. It refuses cookies and makes one data export for the demo customer, so the
export page shows a file: run it against a demo server, never a real one.
The tests run it too (tests/browser/test_browser_screenshots.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.demo.staff import DEMO_STAFF, DEMO_STAFF_PASSWORD
from trackguard.web.backoffice.texts import text as office_text
from trackguard.web.portal.texts import text as portal_text
from trackguard.web.privacy_centre.texts import text as centre_text

CHROMIUM = Path("/usr/bin/chromium")
OUT_DIR = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
LANG = "en"
TIMEOUT_MS = 20_000
LIVE_TIMEOUT_MS = 60_000  # demo trackers report every 10 s
TIMEZONE = "Europe/Amsterdam"


@dataclass(frozen=True)
class Shot:
    """One screenshot: the file name and what it shows (the README's caption)."""

    name: str
    caption: str


SHOTS = (
    Shot("cookie-banner.png", "First visit: the cookie banner, with equal Accept and Refuse."),
    Shot("portal-sign-in.png", "Customer portal sign-in (after refusing cookies)."),
    Shot("portal-devices.png", "My trackers: last position, speed and anti-theft switch."),
    Shot("portal-device-map.png", "A tracker's page: its live position on the map (/api/socket)."),
    Shot("portal-history.png", "History by day: distance, speeds, the track and every fix."),
    Shot("portal-trips.png", "Trips of the last week with distance, duration and speeds."),
    Shot("portal-alerts.png", "Alerts and alarms: anti-theft movement and geofence events."),
    Shot("portal-geofences.png", "Geofences: areas a tracker watches."),
    Shot("privacy-overview.png", "Privacy centre: my data, per category with purpose."),
    Shot("privacy-export.png", "Download my data: a ZIP with HTML, JSON, CSV and GPX."),
    Shot("privacy-consents.png", "Consents: give or withdraw per purpose."),
    Shot("privacy-requests.png", "Rights requests: file one, follow status and deadline."),
    Shot("privacy-complaint.png", "File a complaint, with the supervisory authority's route."),
    Shot("privacy-compromised.png", "Account compromised: end every session at once."),
    Shot("cookies.png", "Cookie settings: the choice and every cookie the site sets."),
    Shot("privacy-statement.png", "The privacy statement, rendered from the policy."),
    Shot("backoffice-requests.png", "Back office: the rights-request queue by due date."),
    Shot("backoffice-request.png", "Back office: one request, its history and next steps."),
    Shot("backoffice-audit.png", "Back office: the audit log and its verification."),
    Shot("backoffice-retention.png", "Back office: retention reports."),
    Shot("backoffice-analytics.png", "Back office: cookieless visitor statistics."),
)


class Camera:
    """Saves the page under a shot's name; `taken` lists what it wrote."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.taken: list[Path] = []
        self._names = {s.name for s in SHOTS}

    def __call__(self, page: Page, name: str) -> None:
        if name not in self._names:
            raise ValueError(f"{name} is not in SHOTS")
        page.wait_for_load_state("networkidle")
        path = self.out_dir / name
        page.screenshot(path=str(path))
        self.taken.append(path)


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(
        viewport=VIEWPORT, locale="en-GB", timezone_id=TIMEZONE, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _richest_device(page: Page) -> str:
    """The URL of the tracker with the most positions on the day before today (the demo
    data's day of history), so the map, history and trips have something to show."""
    links = page.get_by_role("main").get_by_role("link")
    devices = [page.url.split("/portal")[0] + str(h) for h in links.evaluate_all(_HREFS)]
    counted = {}
    for device in devices:
        page.goto(device + "/history")
        page.get_by_role("link", name=portal_text("previous_day", LANG)).click()
        counted[device] = page.locator("table.positions tbody tr").count()
    return max(devices, key=lambda d: counted[d])


_HREFS = "links => links.map(a => a.getAttribute('href'))"
# True once the page's script moved the live position: the map then shows a live segment.
_MOVED = """(first) => document.getElementById('live-place').textContent !== first"""


def _portal(page: Page, base: str, shoot: Camera) -> None:
    page.goto(base + "/portal/sign-in")
    shoot(page, "cookie-banner.png")
    page.get_by_role("button", name=portal_text("refuse", LANG), exact=True).click()
    page.get_by_label(portal_text("email", LANG)).fill(DEMO_EMAIL)
    shoot(page, "portal-sign-in.png")
    page.get_by_label(portal_text("password", LANG)).fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=portal_text("sign_in", LANG)).click()
    page.get_by_role("heading", level=1, name=portal_text("portal", LANG)).wait_for()
    shoot(page, "portal-devices.png")

    device = _richest_device(page)
    page.get_by_role("link", name=portal_text("previous_day", LANG)).wait_for()
    page.locator("#map").scroll_into_view_if_needed()
    shoot(page, "portal-history.png")
    page.goto(device + "/trips")
    shoot(page, "portal-trips.png")
    page.goto(device)
    page.get_by_text(portal_text("live_on", LANG)).wait_for()
    first = page.locator("#live-place").inner_text()
    page.wait_for_function(_MOVED, arg=first, timeout=LIVE_TIMEOUT_MS)
    page.locator("#map").scroll_into_view_if_needed()
    shoot(page, "portal-device-map.png")
    page.goto(base + "/portal/events")
    shoot(page, "portal-alerts.png")
    page.goto(base + "/portal/geofences")
    shoot(page, "portal-geofences.png")


def _privacy_centre(page: Page, base: str, shoot: Camera) -> None:
    centre = base + "/portal/privacy"
    page.goto(centre)
    shoot(page, "privacy-overview.png")
    page.goto(centre + "/export")
    page.get_by_role("button", name=centre_text("make_export", LANG)).first.click()
    page.get_by_role("status").wait_for()
    shoot(page, "privacy-export.png")
    pages = {
        "/consents": "privacy-consents.png",
        "/requests": "privacy-requests.png",
        "/complaint": "privacy-complaint.png",
        "/compromised": "privacy-compromised.png",
    }
    for path, name in pages.items():
        page.goto(centre + path)
        shoot(page, name)
    page.goto(base + "/cookies")
    shoot(page, "cookies.png")
    page.goto(base + "/privacy?lang=en")
    shoot(page, "privacy-statement.png")


def _back_office(page: Page, base: str, shoot: Camera) -> None:
    page.goto(base + "/backoffice/sign-in")
    page.get_by_label(office_text("email", LANG)).fill(DEMO_STAFF["privacy_officer"])
    page.get_by_label(office_text("password", LANG)).fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=office_text("sign_in", LANG)).click()
    page.get_by_role("button", name=office_text("sign_out", LANG)).wait_for()
    page.goto(base + "/backoffice/requests")
    shoot(page, "backoffice-requests.png")
    # An open request shows the steps the officer can take; the queue lists due first.
    rows = page.get_by_role("row").filter(has=page.get_by_role("link"))
    verified = office_text("request_status_verified", LANG)
    waiting = rows.filter(has=page.get_by_role("cell", name=verified, exact=True))
    chosen = waiting if waiting.count() else rows
    chosen.first.get_by_role("link", name=office_text("open", LANG), exact=True).click()
    shoot(page, "backoffice-request.png")
    for area in ("audit", "retention", "analytics"):
        page.goto(f"{base}/backoffice/{area}")
        shoot(page, f"backoffice-{area}.png")


STEPS: tuple[Callable[[Page, str, Camera], None], ...] = (_portal, _privacy_centre)


def shoot_all(browser: Browser, base_url: str, out_dir: Path) -> list[Path]:
    """Every shot in SHOTS, written to `out_dir` by `browser`; the files in the order taken."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/")
    shoot = Camera(out_dir)
    customer = _new_page(browser)
    for step in STEPS:
        step(customer, base, shoot)
    customer.context.close()
    officer = _new_page(browser)  # a browser profile of its own
    _back_office(officer, base, shoot)
    officer.context.close()
    return shoot.taken


def take_screenshots(base_url: str, out_dir: Path, chromium: Path = CHROMIUM) -> list[Path]:
    """`shoot_all` with Debian's chromium, launched headless for the purpose."""
    if not chromium.is_file():
        raise SystemExit(f"Debian's chromium is missing at {chromium}: apt-get install chromium")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        try:
            return shoot_all(browser, base_url, out_dir)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8082")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--chromium", type=Path, default=CHROMIUM)
    args = parser.parse_args()
    for path in take_screenshots(args.base_url, args.out, args.chromium):
        print(path)


if __name__ == "__main__":
    main()
