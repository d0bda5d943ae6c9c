"""Deadlines from the policy, on a fixed clock: four weeks, at most two months more, late flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from trackguard.policy import load_policy
from trackguard.policy.period import Period
from trackguard.privacy.requests.deadlines import due_date, extended_due, is_overdue
from trackguard.privacy.requests.kinds import RequestError
from trackguard.settings import PACKAGED_POLICY

POLICY = load_policy(PACKAGED_POLICY)
RECEIVED = datetime(2026, 1, 30, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    status: str
    due_at: datetime


def test_the_policy_promises_four_weeks_and_at_most_two_months_more() -> None:
    assert POLICY.rights.deadline == Period(weeks=4)
    assert POLICY.rights.extension.max == Period(months=2)


def test_due_four_weeks_after_receipt() -> None:
    assert due_date(RECEIVED, POLICY.rights.deadline) == RECEIVED + timedelta(weeks=4)


def test_naive_receipt_times_are_utc() -> None:
    naive = RECEIVED.replace(tzinfo=None)
    assert due_date(naive, POLICY.rights.deadline) == RECEIVED + timedelta(weeks=4)


@pytest.mark.parametrize("months", [1, 2])
def test_extension_counts_calendar_months_from_the_first_deadline(months: int) -> None:
    first = RECEIVED + timedelta(weeks=4)  # 2026-02-27
    extension = extended_due(
        received=RECEIVED,
        deadline=POLICY.rights.deadline,
        maximum=POLICY.rights.extension.max,
        months=months,
        now=RECEIVED + timedelta(days=3),
    )
    assert extension.due == Period(months=months).after(first)
    assert extension.due == first.replace(month=2 + months)


@pytest.mark.parametrize("months", [0, 3, 12])
def test_extension_beyond_the_policy_maximum_or_empty_is_refused(months: int) -> None:
    with pytest.raises(RequestError):
        extended_due(
            received=RECEIVED,
            deadline=POLICY.rights.deadline,
            maximum=POLICY.rights.extension.max,
            months=months,
            now=RECEIVED,
        )


def test_extension_after_the_first_deadline_is_refused() -> None:
    late = RECEIVED + timedelta(weeks=4, seconds=1)
    with pytest.raises(RequestError, match="first deadline has passed"):
        extended_due(
            received=RECEIVED,
            deadline=POLICY.rights.deadline,
            maximum=POLICY.rights.extension.max,
            months=1,
            now=late,
        )


def test_extension_on_the_last_moment_of_the_first_deadline_is_allowed() -> None:
    first = RECEIVED + timedelta(weeks=4)
    extension = extended_due(
        received=RECEIVED,
        deadline=POLICY.rights.deadline,
        maximum=POLICY.rights.extension.max,
        months=2,
        now=first,
    )
    assert extension.months == 2


@pytest.mark.parametrize("status", ["received", "verified", "in_progress"])
def test_open_request_past_due_is_overdue(status: str) -> None:
    due = RECEIVED + timedelta(weeks=4)
    assert not is_overdue(Row(status, due), due)
    assert is_overdue(Row(status, due), due + timedelta(seconds=1))


@pytest.mark.parametrize("status", ["completed", "refused"])
def test_closed_request_is_never_overdue(status: str) -> None:
    due = RECEIVED + timedelta(weeks=4)
    assert not is_overdue(Row(status, due), due + timedelta(days=365))
