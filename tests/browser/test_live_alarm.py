"""A theft alarm appears on the tracker's map page while it is open: map.js lists the event
/api/socket pushes, with the tracker's name, the alerts page's word for it and the time as
the server shows times (the portal's zone), without the page being reloaded."""

from __future__ import annotations

from datetime import datetime

from browser_kit import LANG
from playwright.sync_api import Locator, Page, expect

from trackguard.web.portal import views
from trackguard.web.portal.texts import text

# Two reports in motion after arming raise the alarm: about 20 s, a minute and a half at most.
ALARM_TIMEOUT_MS = 90_000
MARK_THIS_PAGE = "() => { window.tgStillThisPage = true; }"
STILL_THIS_PAGE = "() => window.tgStillThisPage === true"  # a reload forgets it


def disarmed_trackers(page: Page) -> Locator:
    """The overview's rows of trackers whose anti-theft is off."""
    rows = page.get_by_role("main").get_by_role("row").filter(has=page.get_by_role("link"))
    return rows.filter(has=page.get_by_role("button", name=text("arm", LANG)))


def test_an_alarm_appears_on_the_map_page_without_reloading(customer_page: Page) -> None:
    page = customer_page
    link = disarmed_trackers(page).first.get_by_role("link")
    device = link.inner_text()
    link.click()
    banner = page.locator("#live-alarms")
    alarms = page.locator("#live-alarm-list li")

    page.get_by_role("button", name=text("arm", LANG)).click()
    expect(page.get_by_text(text("armed_now", LANG))).to_be_visible()
    expect(banner).to_be_visible()  # map.js shows it once the socket is open
    expect(banner.get_by_role("heading", name=text("live_alarms", LANG))).to_be_visible()
    expect(alarms).to_have_count(0)
    page.evaluate(MARK_THIS_PAGE)

    moving = text("event_deviceMoving", LANG)
    alarm = alarms.filter(has_text=device).filter(has_text=moving).first
    expect(alarm).to_be_visible(timeout=ALARM_TIMEOUT_MS)
    assert page.evaluate(STILL_THIS_PAGE), "the page was reloaded"
    expect(banner).to_have_class("live-alarms has-alarms")
    expect(alarm.locator("strong")).to_have_text(device)  # by name, not by number
    when = alarm.locator("time")
    raised = datetime.fromisoformat(when.get_attribute("datetime") or "")
    # The demo server runs on the default zone, so views.show_time says it as the server does.
    expect(when).to_have_text(views.show_time(raised, LANG, seconds=True))

    page.get_by_role("button", name=text("disarm", LANG)).click()
    expect(page.get_by_text(text("disarmed_now", LANG))).to_be_visible()
