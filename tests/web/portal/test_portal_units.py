"""The pure parts: CSRF tokens, safe return addresses, tracks, numbers and cookie purposes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from trackguard.policy import load_policy
from trackguard.settings import PACKAGED_POLICY
from trackguard.tracking.trips import Fix
from trackguard.web.cookies import cookie_purposes
from trackguard.web.csrf import CsrfGuard
from trackguard.web.portal import views
from trackguard.web.portal.pages import safe_next

KEY = bytes(range(32))


def test_a_token_holds_for_its_binding_only() -> None:
    guard = CsrfGuard(KEY)
    token = guard.issue("session:abc")
    assert guard.valid(token, "session:abc")
    assert not guard.valid(token, "session:abd")
    assert not guard.valid(token, None)
    assert not CsrfGuard(bytes(32)).valid(token, "session:abc")  # another installation's key


def test_each_rendering_gets_a_fresh_token() -> None:
    guard = CsrfGuard(KEY)
    first, second = guard.issue("anonymous:x"), guard.issue("anonymous:x")
    assert first != second
    assert guard.valid(first, "anonymous:x") and guard.valid(second, "anonymous:x")


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.", ".abc", "a" * 300, "x.y.z"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert not CsrfGuard(KEY).valid(token, "session:abc")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        CsrfGuard(b"short")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/portal/devices/1", "/portal/devices/1"),
        ("/portal?lang=en", "/portal?lang=en"),
        (None, "/portal"),
        ("", "/portal"),
        ("https://evil.example/", "/portal"),
        ("//evil.example", "/portal"),
        ("/\\evil.example", "/portal"),
        ("/portal\r\nSet-Cookie: x=1", "/portal"),
        ("portal", "/portal"),
    ],
)
def test_only_local_paths_are_returned_to(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_a_track_adds_up_the_distance_and_skips_bad_fixes() -> None:
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    fixes = [
        Fix(start, 52.0, 5.0, 0.0),
        Fix(start + timedelta(seconds=10), 0.0, 0.0, 0.0),  # no fix: (0, 0)
        Fix(start + timedelta(seconds=20), 52.001, 5.0, 20.0),
        Fix(start + timedelta(seconds=30), 52.002, 5.0, 25.0, valid=False),
        Fix(start + timedelta(seconds=40), 52.002, 5.0, 18.0),
    ]
    points = views.track(fixes)
    assert [p.lat for p in points] == [52.0, 52.001, 52.002]
    assert points[0].step_m == 0
    assert points[1].step_m == pytest.approx(111.2, abs=0.5)  # 0.001° of latitude
    assert points[2].covered_m == pytest.approx(222.4, abs=1)
    assert views.map_points(points).startswith("[[52.0,5.0,0.0,")


def test_days_are_dutch_calendar_days() -> None:
    start, end = views.day_bounds(date(2026, 3, 29))  # clocks go forward in the night
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert end - start == timedelta(hours=23)


def test_numbers_and_durations_read_naturally_in_each_language() -> None:
    assert views.show_number(1234.5, 1, "nl") == "1.234,5"
    assert views.show_number(1234.5, 1, "en") == "1,234.5"
    assert views.show_duration(timedelta(minutes=75), "nl") == "1 u 15 min"
    assert views.show_duration(timedelta(minutes=9), "en") == "9 min"
    assert views.show_place(52.123456, 5.1) == "52.12346, 5.10000"
    assert views.show_time(datetime(2026, 7, 1, 10, tzinfo=UTC), "nl") == "01-07-2026 12:00"
    assert views.parse_day("", date(2026, 1, 2)) == date(2026, 1, 2)
    assert views.parse_day("2026-13-01", date(2026, 1, 2)) is None


def test_cookie_purposes_come_from_the_policy() -> None:
    policy = load_policy(PACKAGED_POLICY)
    found = cookie_purposes(policy)
    assert found
    for purpose in found:
        assert purpose.legal_basis == "consent"
    # Purposes on another legal basis never ride on the cookie banner.
    assert all(p.key != "website_analytics" for p in found)
