"""What counts as a page view and what of it is kept: pure rules, plain values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.web.analytics.analytics_helpers import FIREFOX, GOOGLEBOT, IPHONE

from trackguard.web.analytics.agents import classify
from trackguard.web.analytics.visit import (
    NO_REFERRER,
    UNKNOWN_COUNTRY,
    country,
    host_name,
    is_page,
    may_count,
    page_path,
    page_view,
    referrer_host,
)

NOW = datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51"
)


@pytest.mark.parametrize(
    ("agent", "device", "browser"),
    [
        (FIREFOX, "desktop", "Firefox"),
        (IPHONE, "mobile", "Safari"),
        (ANDROID_TABLET, "tablet", "Chrome"),
        (EDGE, "desktop", "Edge"),
        (GOOGLEBOT, "bot", "Other"),
        ("curl/8.5.0", "bot", "Other"),
        ("python-httpx/0.28.1", "bot", "Other"),
        ("Mozilla/5.0 HeadlessChrome/124.0", "bot", "Other"),
        ("", "bot", "Other"),
        (None, "bot", "Other"),
    ],
)
def test_user_agent_gives_only_a_device_class_and_browser_family(
    agent: str | None, device: str, browser: str
) -> None:
    traits = classify(agent)
    assert (traits.device, traits.browser) == (device, browser)


@pytest.mark.parametrize(
    ("method", "path", "headers", "counted"),
    [
        ("GET", "/", {}, True),
        ("GET", "/portal/devices", {}, True),
        ("POST", "/", {}, False),
        ("HEAD", "/", {}, False),
        ("GET", "/static/site.css", {}, False),
        ("GET", "/api/devices", {}, False),
        ("GET", "/api", {}, False),
        ("GET", "/backoffice/analytics", {}, False),
        ("GET", "/", {"dnt": "1"}, False),
        ("GET", "/", {"sec-gpc": "1"}, False),
        ("GET", "/", {"dnt": "0"}, True),
        ("GET", "/", {"sec-purpose": "prefetch"}, False),
        ("GET", "/", {"purpose": "prefetch"}, False),
        ("GET", "/apiary", {}, True),  # a prefix is a whole path segment
    ],
)
def test_which_requests_may_count(
    method: str, path: str, headers: dict[str, str], counted: bool
) -> None:
    assert may_count(method, path, headers) is counted


def test_only_successful_html_pages_count() -> None:
    assert is_page(200, "text/html; charset=utf-8")
    assert not is_page(200, "application/json")
    assert not is_page(200, "text/markdown; charset=utf-8")
    assert not is_page(404, "text/html")
    assert not is_page(303, "text/html")
    assert not is_page(200, None)


def test_path_parameters_are_kept_as_their_names_never_their_values() -> None:
    params = {"device_id": "8f14e45fceea167a5a36dedd4bea2543"}
    path = "/portal/devices/8f14e45fceea167a5a36dedd4bea2543/history"
    assert page_path(path, params) == "/portal/devices/{device_id}/history"
    assert page_path("/privacy/", {}) == "/privacy"
    assert page_path("/", {}) == "/"


@pytest.mark.parametrize(
    ("referer", "expected"),
    [
        ("https://news.example.org/story/42?utm_source=mail&email=a@b.example", "news.example.org"),
        ("https://www.search.example/?q=my+name", "search.example"),
        ("http://www.example.test/privacy", NO_REFERRER),  # within the site
        ("https://example.test/", NO_REFERRER),  # the site without www.
        ("android-app://com.example.mail/", NO_REFERRER),
        ("https://[2001:db8::1]/", NO_REFERRER),
        ("not a url", NO_REFERRER),
        (None, NO_REFERRER),
    ],
)
def test_only_the_referring_host_is_kept(referer: str | None, expected: str) -> None:
    assert referrer_host(referer, "www.example.test") == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cf-ipcountry": "NL"}, "NL"),
        ({"x-country": "be"}, "BE"),
        ({"cf-ipcountry": "XX", "accept-language": "de-DE"}, UNKNOWN_COUNTRY),
        ({"cf-ipcountry": "T1"}, UNKNOWN_COUNTRY),  # Tor, per Cloudflare
        ({"accept-language": "nl-NL,nl;q=0.9,en-US;q=0.8"}, "NL"),
        ({"accept-language": "zh-Hant-TW"}, "TW"),
        ({"accept-language": "nl,en-US;q=0.8"}, UNKNOWN_COUNTRY),  # first choice names none
        ({}, UNKNOWN_COUNTRY),
    ],
)
def test_country_comes_only_from_offline_sources(headers: dict[str, str], expected: str) -> None:
    assert country(headers) == expected


def test_host_names_are_validated() -> None:
    assert host_name("WWW.Example.TEST:8082") == "www.example.test"
    assert host_name("[::1]:8082") is None
    assert host_name("evil host") is None
    assert host_name("") is None


def test_a_page_view_keeps_no_address_agent_or_query() -> None:
    headers = {
        "host": "www.example.test",
        "user-agent": FIREFOX,
        "referer": "https://news.example.org/a?token=secret",
        "accept-language": "en-GB",
    }
    view = page_view(path="/privacy", path_params={}, headers=headers, now=NOW)
    assert view is not None
    assert view.site == "www.example.test" and view.path == "/privacy"
    assert (view.device, view.browser, view.country) == ("desktop", "Firefox", "GB")
    assert view.day == datetime(2026, 3, 2, tzinfo=UTC) and view.hour == 23
    kept = repr(view)
    assert "Mozilla" not in kept and "secret" not in kept
    assert (
        page_view(path="/", path_params={}, headers={**headers, "user-agent": GOOGLEBOT}, now=NOW)
        is None
    )
