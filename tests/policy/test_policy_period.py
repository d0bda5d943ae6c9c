"""ISO 8601 periods: parsing, refusing what cannot be kept, calendar arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackguard.policy import Period


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("P14D", [("days", 14)]),
        ("P3M", [("months", 3)]),
        ("P10Y", [("years", 10)]),
        ("P4W", [("weeks", 4)]),
        ("P1Y6M", [("years", 1), ("months", 6)]),
        ("PT12H", [("hours", 12)]),
    ],
)
def test_period_parses_iso_8601(text: str, parts: list[tuple[str, int]]) -> None:
    period = Period.parse(text)
    assert period.parts() == parts
    assert period.iso == text


@pytest.mark.parametrize("text", ["P0D", "-P1D", "P", "PT", "P1DT", "14 days", "P1.5Y", ""])
def test_period_refuses_zero_negative_and_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_period_counts_in_calendar_units() -> None:
    leap_day = datetime(2020, 2, 29, 12, tzinfo=UTC)
    assert Period.parse("P1Y").after(leap_day) == datetime(2021, 2, 28, 12, tzinfo=UTC)
    end_of_january = datetime(2021, 1, 31, tzinfo=UTC)
    assert Period.parse("P1M").after(end_of_january) == datetime(2021, 2, 28, tzinfo=UTC)
    assert Period.parse("P14D").before(datetime(2024, 3, 10, tzinfo=UTC)) == datetime(
        2024, 2, 25, tzinfo=UTC
    )
    assert Period.parse("P10Y").before(datetime(2030, 6, 1, tzinfo=UTC)).year == 2020


@given(st.tuples(*(st.integers(min_value=0, max_value=99) for _ in range(7))).filter(any))
def test_period_round_trips_through_its_iso_text(values: tuple[int, ...]) -> None:
    period = Period(*values)
    assert Period.parse(period.iso) == period
