"""Small groups are never shown by name; the totals still count them."""

from __future__ import annotations

from datetime import UTC, datetime

from trackguard.web.analytics.dashboard import chart_bars
from trackguard.web.analytics.report import MIN_GROUP_VISITORS, Day, Group, Other, suppress


def test_groups_under_the_threshold_are_added_up_as_other() -> None:
    groups = [
        Group("/", 40, 90),
        Group("/privacy", MIN_GROUP_VISITORS, 12),
        Group("/portal", MIN_GROUP_VISITORS - 1, 30),
        Group("/portal/events", 1, 1),
    ]
    breakdown = suppress("page", groups)
    assert [g.value for g in breakdown.shown] == ["/", "/privacy"]
    assert breakdown.other == Other(groups=2, visitors=MIN_GROUP_VISITORS, pageviews=31)


def test_nothing_small_means_no_other_row() -> None:
    assert suppress("device", [Group("desktop", 10, 10)]).other is None
    assert suppress("device", []).shown == ()


def test_chart_bars_scale_to_the_busiest_day() -> None:
    days = (
        Day(datetime(2026, 3, 1, tzinfo=UTC), 0, 0),
        Day(datetime(2026, 3, 2, tzinfo=UTC), 50, 80),
        Day(datetime(2026, 3, 3, tzinfo=UTC), 25, 30),
    )
    bars = chart_bars(days)
    assert [b.height for b in bars] == [0, 100, 50]
    assert [b.y + b.height for b in bars] == [100, 100, 100]
