"""A device's map page lists the alarms /api/socket pushes while it is open (map.js), in the
words the alerts page uses, and without JavaScript points to the alerts page instead.

What the script does with those words in a browser is tests/browser/test_live_alarm.py's."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import httpx
import pytest
from tests.web.portal.conftest import World

from trackguard.tracking.antitheft import EventType
from trackguard.web.portal.texts import event_words, texts

pytestmark = pytest.mark.anyio


class AlarmBanner(HTMLParser):
    """The attributes of the page's `#live-alarms` section and of the elements in it."""

    def __init__(self) -> None:
        super().__init__()
        self.section: dict[str, str | None] | None = None
        self.inside: list[tuple[str, dict[str, str | None]]] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self._depth:
            self.inside.append((tag, values))
            self._depth += tag == "section"
        elif tag == "section" and values.get("id") == "live-alarms":
            self.section, self._depth = values, 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "section":
            self._depth -= 1


def banner(html: str) -> AlarmBanner:
    parser = AlarmBanner()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_event_type_has_a_word_in_each_language(lang: str) -> None:
    words = event_words(lang)
    assert set(words) == {kind.value for kind in EventType}
    assert all(words.values())
    assert words == {kind: texts(lang)[f"event_{kind}"] for kind in words}


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_map_page_carries_the_alerts_pages_words_for_the_script(
    signed_in: httpx.AsyncClient, world: World, lang: str
) -> None:
    page = await signed_in.get(f"/portal/devices/{world.demo_devices[0]}", params={"lang": lang})
    assert page.status_code == 200
    found = banner(page.text)
    assert found.section is not None, "the device page has no live alarm banner"
    # Hidden until map.js has opened the socket: without script it would stay empty.
    assert "hidden" in found.section
    assert json.loads(found.section["data-event-words"] or "") == event_words(lang)
    assert ("ul", {"id": "live-alarm-list", "role": "log", "aria-live": "assertive"}) in (
        found.inside
    )
    assert ("a", {"href": f"/portal/events?lang={lang}"}) in found.inside
    assert f'<h2 id="live-alarms-title">{texts(lang)["live_alarms"]}</h2>' in page.text
    # The map script reads the zone to show the pushed times as the server shows times.
    assert 'data-timezone="Europe/Amsterdam"' in page.text


async def test_without_javascript_the_page_points_to_the_alerts_page(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in.get(f"/portal/devices/{world.demo_devices[0]}", params={"lang": "en"})
    fallback = re.search(r"<noscript><p class=\"hint\">(.*?)</p></noscript>", page.text)
    assert fallback is not None
    assert texts("en")["live_alarms_off"] in fallback.group(1)
    assert '<a href="/portal/events?lang=en">' in fallback.group(1)
    alerts = await signed_in.get(
        "/portal/events", params={"lang": "en", "from": "2026-02-23", "to": "2026-03-01"}
    )
    assert alerts.status_code == 200


async def test_the_alerts_page_names_event_types_with_the_same_words(
    signed_in: httpx.AsyncClient,
) -> None:
    page = await signed_in.get(
        "/portal/events", params={"lang": "nl", "from": "2026-02-23", "to": "2026-03-01"}
    )
    kinds = re.findall(
        r'<tr class="event-(\w+)">\s*<td>[^<]*</td>\s*<td>.*?</td>\s*<td>([^<]*)</td>', page.text
    )
    assert kinds, "the demo week has events"
    for kind, shown in kinds:
        assert shown == event_words("nl")[kind]


async def test_only_the_live_map_has_the_banner(signed_in: httpx.AsyncClient, world: World) -> None:
    # A history map is of a past day: nothing arrives there live.
    maps = []
    for device in world.demo_devices:
        history = await signed_in.get(
            f"/portal/devices/{device}/history", params={"day": "2026-03-01"}
        )
        if 'id="map"' in history.text:
            maps.append(history.text)
    assert maps, "no demo device has history today"
    for page in maps:
        assert 'data-device=""' in page
        assert banner(page).section is None


async def test_the_map_script_writes_device_names_as_text_only(
    signed_in: httpx.AsyncClient,
) -> None:
    script = (await signed_in.get("/static/portal/map.js")).text
    assert "update.events" in script  # the socket's `{"events": [...]}` (traccar/socket.py)
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
