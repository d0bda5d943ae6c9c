"""When things happened: moments relative to `now`, on either side of a retention period.

`Life` is one customer's frame: their generator, the policy's periods, the moment
of seeding and when they became a customer. Records ask it for a moment "past
this period" (a rule acts on it) or "well inside it" (the rule leaves it alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random

from trackguard.demo.plans import DemoRules
from trackguard.policy.period import Period

_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def second(moment: datetime) -> datetime:
    """Trackers, mail servers and web logs count whole seconds."""
    return moment.replace(microsecond=0)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def between(rng: Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return second(start)
    return second(start + (end - start) * rng.random())


def dutch_date(moment: date) -> str:
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


@dataclass(frozen=True)
class Life:
    rng: Random
    rules: DemoRules
    now: datetime
    created: datetime
    demo: bool

    def past(self, period: Period, *, by_days: float = 60) -> datetime:
        """Safely older than `period`: one to `by_days` days beyond it."""
        return second(period.before(self.now) - days(1 + self.rng.random() * (by_days - 1)))

    def inside(self, period: Period) -> datetime:
        """Well inside `period` (at most 70 % of it ago), and not before the account;
        at least an hour ago, so a conversation starting then has ended by now."""
        start = max(self.created, self.now - days(period.approx_days() * 0.7))
        return between(self.rng, start, self.now - timedelta(hours=1))

    def between_periods(self, short: Period, long: Period) -> datetime:
        """Past `short` but inside `long`: a rule with the short period skips it on purpose."""
        start = max(self.created, long.before(self.now) + days(1))
        return between(self.rng, start, short.before(self.now) - days(1))

    def any_time(self, period: Period, old_share: float) -> datetime:
        """Past `period` with chance `old_share` (if the account is that old), else inside it."""
        if self.rng.random() < old_share:
            return between(self.rng, self.created, period.before(self.now) - days(1))
        return self.inside(period)

    def moments(self, period: Period, count: int, old_share: float = 0.5) -> list[datetime]:
        """`count` moments around `period`; the demo login always gets one on each side."""
        found = [self.past(period), self.inside(period)] if self.demo else []
        found += [self.any_time(period, old_share) for _ in range(count)]
        return sorted(found)
