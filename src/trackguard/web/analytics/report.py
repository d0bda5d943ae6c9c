"""The dashboard's figures for a period: per day, and per group with small groups suppressed.

Visitors of a period are the sum of each day's visitors (as in Plausible and
Fathom): a new salt every day means nobody can tell that Monday's visitor came
back on Tuesday. A group (a page, referrer, device class, browser, country, hour)
with fewer than `MIN_GROUP_VISITORS` visitors in the period is not shown by name:
all such groups add up to one "other" row, and the totals include them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trackguard.store.models.analytics import AnalyticsDailyCount
from trackguard.web.analytics.visit import DIMENSIONS, TOTAL

# The statement promises it (policy `website.analytics`); a test holds them together.
MIN_GROUP_VISITORS = 10
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Figures:
    visitors: int
    pageviews: int


@dataclass(frozen=True)
class Group:
    value: str
    visitors: int
    pageviews: int


@dataclass(frozen=True)
class Other:
    """The groups too small to show, added up."""

    groups: int
    visitors: int
    pageviews: int


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    shown: tuple[Group, ...]
    other: Other | None


@dataclass(frozen=True)
class Day:
    day: datetime
    visitors: int
    pageviews: int


@dataclass(frozen=True)
class Report:
    site: str | None
    first: datetime
    last: datetime
    totals: Figures
    days: tuple[Day, ...]
    breakdowns: tuple[Breakdown, ...]
    sites: tuple[str, ...]


def suppress(
    dimension: str, groups: Iterable[Group], threshold: int = MIN_GROUP_VISITORS
) -> Breakdown:
    """Groups with at least `threshold` visitors, most visitors first; the rest as one."""
    ordered = sorted(groups, key=lambda g: (-g.visitors, -g.pageviews, g.value))
    shown = tuple(g for g in ordered if g.visitors >= threshold)
    small = [g for g in ordered if g.visitors < threshold]
    other = (
        Other(len(small), sum(g.visitors for g in small), sum(g.pageviews for g in small))
        if small
        else None
    )
    return Breakdown(dimension, shown, other)


def every_day(first: datetime, last: datetime) -> list[datetime]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def build_report(session: Session, *, first: datetime, last: datetime, site: str | None) -> Report:
    """Figures for the UTC days `first` .. `last` (midnights), of one site or all."""
    per_day = {
        day: Day(day, visitors, pageviews)
        for day, visitors, pageviews in _sums(session, TOTAL, first, last, site, by_day=True)
        if isinstance(day, datetime)
    }
    days = tuple(per_day.get(day, Day(day, 0, 0)) for day in every_day(first, last))
    totals = Figures(sum(d.visitors for d in days), sum(d.pageviews for d in days))
    breakdowns = tuple(
        suppress(
            dimension,
            (
                Group(str(value), visitors, pageviews)
                for value, visitors, pageviews in _sums(session, dimension, first, last, site)
            ),
        )
        for dimension in DIMENSIONS
    )
    return Report(site, first, last, totals, days, breakdowns, _sites(session, first, last))


def _sums(
    session: Session,
    dimension: str,
    first: datetime,
    last: datetime,
    site: str | None,
    *,
    by_day: bool = False,
) -> Sequence[tuple[object, int, int]]:
    key = AnalyticsDailyCount.day if by_day else AnalyticsDailyCount.value
    query = (
        select(
            key,
            func.sum(AnalyticsDailyCount.visitors),
            func.sum(AnalyticsDailyCount.pageviews),
        )
        .where(
            AnalyticsDailyCount.dimension == dimension,
            AnalyticsDailyCount.day >= first,
            AnalyticsDailyCount.day <= last,
        )
        .group_by(key)
    )
    if site is not None:
        query = query.where(AnalyticsDailyCount.site == site)
    return [(row[0], int(row[1] or 0), int(row[2] or 0)) for row in session.execute(query)]


def _sites(session: Session, first: datetime, last: datetime) -> tuple[str, ...]:
    query = (
        select(AnalyticsDailyCount.site)
        .where(AnalyticsDailyCount.day >= first, AnalyticsDailyCount.day <= last)
        .distinct()
        .order_by(AnalyticsDailyCount.site)
    )
    return tuple(session.scalars(query))
