"""Language negotiation for the statement: ?lang, then Accept-Language, then Dutch."""

from __future__ import annotations

import pytest

from trackguard.web.language import negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "nl"),
        ("", "nl"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.8,nl;q=0.7", "en"),
        ("en;q=0.5,nl;q=0.8", "nl"),
        ("nl-BE", "nl"),
        ("fr, de", "nl"),
        ("*", "nl"),
        ("en;q=0", "nl"),
        ("en;q=zero", "nl"),
        ("EN-us", "en"),
        ("en, nl", "en"),
        ("nl, en", "nl"),
    ],
)
def test_accept_language_picks_the_best_supported_language(
    header: str | None, expected: str
) -> None:
    assert negotiate(header) == expected


def test_an_explicit_language_wins_over_the_header() -> None:
    assert negotiate("en-GB,en;q=0.9", "nl") == "nl"
    assert negotiate("nl", "en") == "en"
