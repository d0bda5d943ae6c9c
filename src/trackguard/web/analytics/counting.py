"""Counting one page view: salt, visitor hash, new marks, then the day's counts, in one transaction.

A group's visitor count goes up only when this visitor's mark for the group is
new today; its page-view count goes up every time. Both statements are
INSERT ... ON CONFLICT, so concurrent views of the same visitor count once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from trackguard.policy.period import Period
from trackguard.store.engine import Database
from trackguard.store.models.analytics import AnalyticsDailyCount, AnalyticsVisitorMark
from trackguard.web.analytics.hashing import group_mark, visitor_hash
from trackguard.web.analytics.salts import dialect_insert, salt_for
from trackguard.web.analytics.visit import PageView


def count_page_view(
    db: Database,
    view: PageView,
    *,
    address: str,
    user_agent: str,
    now: datetime,
    lifetime: Period,
) -> bool:
    """Count `view` in a transaction of its own; False when it could not be counted."""
    with db.session() as session:
        return count_in_session(
            session, view, address=address, user_agent=user_agent, now=now, lifetime=lifetime
        )


def count_in_session(
    session: Session,
    view: PageView,
    *,
    address: str,
    user_agent: str,
    now: datetime,
    lifetime: Period,
) -> bool:
    """Count `view` in the caller's transaction; False when there is no salt for a new site."""
    salt = salt_for(session, view.site, view.day, now=now, lifetime=lifetime)
    if salt is None:
        return False
    visitor = visitor_hash(salt.salt, view.site, address, user_agent)
    # Sorted, so concurrent transactions take row locks in the same order.
    groups = sorted(view.groups())
    marks = [group_mark(visitor, dimension, value) for dimension, value in groups]
    new = _new_marks(session, salt.id, salt.created_at, marks)
    _add(session, view, groups, [mark in new for mark in marks])
    return True


def _new_marks(
    session: Session, salt_id: str, salt_created_at: datetime, marks: list[str]
) -> set[str]:
    rows = [{"salt_id": salt_id, "mark": m, "salt_created_at": salt_created_at} for m in marks]
    # Rows as parameters, not `.values(rows)`: one statement whatever their number, so
    # SQLAlchemy compiles it once instead of at every page view.
    statement = (
        dialect_insert(session, AnalyticsVisitorMark)
        .on_conflict_do_nothing(index_elements=["salt_id", "mark"])
        .returning(AnalyticsVisitorMark.mark)
    )
    return set(session.scalars(statement, rows))


def _add(
    session: Session, view: PageView, groups: list[tuple[str, str]], first_time: list[bool]
) -> None:
    rows = [
        {
            "site": view.site,
            "day": view.day,
            "dimension": dimension,
            "value": value,
            "visitors": int(new),
            "pageviews": 1,
        }
        for (dimension, value), new in zip(groups, first_time, strict=True)
    ]
    insert = dialect_insert(session, AnalyticsDailyCount)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["site", "day", "dimension", "value"],
            set_={
                "visitors": AnalyticsDailyCount.visitors + insert.excluded.visitors,
                "pageviews": AnalyticsDailyCount.pageviews + insert.excluded.pageviews,
            },
        ),
        rows,
    )
