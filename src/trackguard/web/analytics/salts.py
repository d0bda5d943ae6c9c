"""Daily salts: made on a site's first page view of a UTC day, destroyed after the policy's period.

The period is the policy's: the retention rule that targets `analytics_salts`.
Destroying a salt deletes its row, and with it (same statement, and the foreign
key's cascade) every visitor mark made with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from trackguard.errors import PolicyError
from trackguard.policy import Policy
from trackguard.policy.period import Period
from trackguard.store.base import new_id
from trackguard.store.models.analytics import AnalyticsSalt, AnalyticsVisitorMark
from trackguard.web.analytics.hashing import new_salt

SALT_RECORD = AnalyticsSalt.__tablename__
# A Host header is the visitor's to choose: at most this many sites get a salt per day.
MAX_SITES_PER_DAY = 32


def salt_lifetime(policy: Policy) -> Period:
    """How long a salt lives: the period of the policy's rule for `analytics_salts`."""
    rules = [r for r in policy.rules_for(SALT_RECORD) if r.trigger == "age"]
    if len(rules) != 1:
        raise PolicyError(f"the policy needs exactly one age rule for record '{SALT_RECORD}'")
    return rules[0].period


def salt_for(
    session: Session, site: str, day: datetime, *, now: datetime, lifetime: Period
) -> AnalyticsSalt | None:
    """The site's salt for `day`, made if needed; None once too many sites have one today."""
    found = _find(session, site, day)
    if found is not None:
        return found
    # The day's first view of this site: a good moment to let expired salts go too.
    destroy_expired(session, now=now, lifetime=lifetime)
    sites_today = session.scalar(
        select(func.count()).select_from(AnalyticsSalt).where(AnalyticsSalt.day == day)
    )
    if (sites_today or 0) >= MAX_SITES_PER_DAY:
        return None
    values = {"id": new_id(), "site": site, "day": day, "salt": new_salt(), "created_at": now}
    # Two first views at once: one insert wins, both then use the same salt.
    session.execute(
        dialect_insert(session, AnalyticsSalt)
        .values(values)
        .on_conflict_do_nothing(index_elements=["site", "day"])
    )
    return _find(session, site, day)


def destroy_expired(session: Session, *, now: datetime, lifetime: Period) -> int:
    """Delete salts (and their marks) made at or before `now - lifetime`; how many salts."""
    cutoff = lifetime.before(now)
    session.execute(
        delete(AnalyticsVisitorMark).where(AnalyticsVisitorMark.salt_created_at <= cutoff)
    )
    result = session.execute(delete(AnalyticsSalt).where(AnalyticsSalt.created_at <= cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def _find(session: Session, site: str, day: datetime) -> AnalyticsSalt | None:
    return session.scalar(
        select(AnalyticsSalt).where(AnalyticsSalt.site == site, AnalyticsSalt.day == day)
    )


def dialect_insert(session: Session, model: type) -> sqlite.Insert | postgresql.Insert:
    """INSERT with ON CONFLICT, which both backends speak (SQLAlchemy's per-dialect insert)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
