"""The customer portal in a real browser: sign in, a tracker moving live on the map, and
anti-theft raising an alarm that reaches the alerts page, the live socket and the inbox."""

from __future__ import annotations

import re
import time
from email.message import Message

import pytest
from browser_kit import LANG, DemoServer, MailServer, expect_signed_in, sign_in
from playwright.sync_api import BrowserContext, Locator, Page, expect

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.web.auth.principal import COOKIE_NAME as SESSION_COOKIE
from trackguard.web.portal.texts import text

# Demo trackers report every 10 s; a changed position within a minute is generous.
LIVE_TIMEOUT_MS = 60_000
# Two reports in motion after arming raise the alarm: about 20 s, a minute and a half at most.
ALARM_TIMEOUT_MS = 90_000
MAIL_TIMEOUT_S = 30.0
COORDINATES = re.compile(r"(-?\d+\.\d+),\s*(-?\d+\.\d+)")


def device_rows(page: Page) -> Locator:
    return page.get_by_role("main").get_by_role("row").filter(has=page.get_by_role("link"))


def coordinates(shown: str) -> tuple[float, float]:
    found = COORDINATES.search(shown)
    assert found, f"no coordinates in {shown!r}"
    return float(found.group(1)), float(found.group(2))


def test_demo_customer_signs_in_and_sees_their_trackers(
    page: Page, context: BrowserContext, demo_server: DemoServer
) -> None:
    sign_in(page, demo_server, DEMO_EMAIL, "not the password")
    expect(page.get_by_role("alert")).to_have_text(text("wrong_credentials", LANG))
    assert not any(c["name"] == SESSION_COOKIE for c in context.cookies())

    sign_in(page, demo_server, DEMO_EMAIL, DEMO_PASSWORD)
    expect_signed_in(page, demo_server)
    assert device_rows(page).count() >= 2  # the demo login owns at least two trackers
    session = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    expect(page.get_by_role("button", name=text("sign_out", LANG))).to_be_visible()


def test_a_demo_tracker_moves_on_the_map(customer_page: Page) -> None:
    page = customer_page
    device_rows(page).first.get_by_role("link").click()
    expect(page.locator("#live-status")).to_have_text(text("live_on", LANG))  # socket open
    expect(page.locator("#map.leaflet-container")).to_be_visible()
    place = page.locator("#live-place")
    first_place = coordinates(place.inner_text())
    # The big ring Leaflet draws last marks the newest position; its SVG path moves with it.
    marker = page.locator("#map .leaflet-overlay-pane path").last
    first_marker = marker.get_attribute("d")

    # No reload: only the page's script, fed by /api/socket, can change what it shows.
    page.wait_for_function(
        """([shown]) => {
            const m = document.getElementById('live-place').textContent
                .match(/(-?\\d+\\.\\d+),\\s*(-?\\d+\\.\\d+)/);
            return m !== null && (Number(m[1]) !== shown[0] || Number(m[2]) !== shown[1]);
        }""",
        arg=[list(first_place)],
        timeout=LIVE_TIMEOUT_MS,
    )
    lat, lon = coordinates(place.inner_text())
    assert 50.7 < lat < 53.6 and 3.3 < lon < 7.3  # still in the Netherlands
    assert marker.get_attribute("d") != first_marker


LISTEN_FOR_EVENTS = """() => {
    window.tgEvents = [];
    const socket = new WebSocket('ws://' + location.host + '/api/socket');
    socket.onmessage = (m) => {
        const update = JSON.parse(m.data);
        (update.events || []).forEach((e) => window.tgEvents.push(e));
    };
    return new Promise((resolve, reject) => {
        socket.onopen = () => resolve(true);
        socket.onerror = () => reject(new Error('the live socket did not open'));
    });
}"""


def wait_for_mail(inbox_messages: list[Message], device: str) -> Message:
    deadline = time.monotonic() + MAIL_TIMEOUT_S
    while time.monotonic() < deadline:
        for message in list(inbox_messages):
            about = str(message["Subject"])
            if message["X-Trackguard-Event"] == "deviceMoving" and device in about:
                return message
        time.sleep(0.2)  # the inbox fills from aiosmtpd's thread: nothing to await here
    pytest.fail(f"no anti-theft e-mail about {device!r} arrived within {MAIL_TIMEOUT_S}s")


def test_arming_a_moving_tracker_raises_the_alarm(
    customer_page: Page, context: BrowserContext, demo_server: DemoServer, mail_server: MailServer
) -> None:
    page = customer_page
    disarmed = device_rows(page).filter(has=page.get_by_role("button", name=text("arm", LANG)))
    link = disarmed.first.get_by_role("link")
    device = link.inner_text()
    link.click()
    number = int(page.locator("#map").get_attribute("data-device") or "0")

    # A second tab on the alerts page, listening on /api/socket while it stays open.
    alerts = context.new_page()
    alerts.goto(demo_server.url("/portal/events"))
    moving = text("event_deviceMoving", LANG)
    rows = alerts.get_by_role("row").filter(has_text=device).filter(has_text=moving)
    before = rows.count()
    assert alerts.evaluate(LISTEN_FOR_EVENTS) is True

    page.get_by_role("button", name=text("arm", LANG)).click()
    expect(page.get_by_text(text("armed_now", LANG))).to_be_visible()

    # Pushed live over /api/socket as soon as the monitor stored it ...
    alerts.wait_for_function(
        "(n) => window.tgEvents.some((e) => e.type === 'deviceMoving' && e.deviceId === n)",
        arg=number,
        timeout=ALARM_TIMEOUT_MS,
    )
    # ... listed on the alerts page ...
    alerts.reload()
    expect(rows).to_have_count(before + 1)
    # ... and e-mailed to the customer.
    mail = wait_for_mail(mail_server.inbox.messages, device)
    assert mail["To"] == DEMO_EMAIL

    page.get_by_role("button", name=text("disarm", LANG)).click()
    expect(page.get_by_text(text("disarmed_now", LANG))).to_be_visible()
