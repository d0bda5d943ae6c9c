"""When a rights request is due, how far it may be extended, and whether it is late. Pure.

The periods come from the policy (`rights.deadline`, `rights.extension.max`): the
statement promises an answer within four weeks, and an extension of at most two
further months, told to the subject within the first deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from trackguard.clock import as_utc
from trackguard.policy.period import Period
from trackguard.privacy.requests.kinds import RequestError, is_open


class Dated(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...


def due_date(received: datetime, deadline: Period) -> datetime:
    """The first deadline: `deadline` after receipt."""
    return deadline.after(as_utc(received))


@dataclass(frozen=True)
class Extension:
    due: datetime  # the new due date
    months: int  # the extension in total, counted from the first deadline


def extended_due(
    *,
    received: datetime,
    deadline: Period,
    maximum: Period,
    months: int,
    now: datetime,
) -> Extension:
    """The due date after extending by `months` months past the first deadline.

    Refused when `months` is not positive, when it exceeds `maximum` (also counted
    from the first deadline, so repeated extensions cannot add up past it), or when
    the first deadline has passed: the subject must hear of it within that deadline.
    """
    if months < 1:
        raise RequestError("an extension is at least one month")
    first = due_date(received, deadline)
    if as_utc(now) > first:
        raise RequestError(
            "the first deadline has passed: an extension must be told to the subject within it"
        )
    extended = Period(months=months).after(first)
    if extended > maximum.after(first):
        raise RequestError(f"an extension may add at most {_describe(maximum)}")
    return Extension(due=extended, months=months)


def is_overdue(request: Dated, now: datetime) -> bool:
    """An open request past its due date (closed requests are never overdue)."""
    return is_open(request.status) and as_utc(now) > as_utc(request.due_at)


def _describe(period: Period) -> str:
    return " ".join(f"{n} {unit if n != 1 else unit[:-1]}" for unit, n in period.parts())
