"""Cookieless visitor statistics: daily salts, the day's visitor marks, and daily counts.

A visitor is recognised within one day by a keyed hash of the site, their IP
address and user agent under that day's random salt; neither the address nor
the user agent is stored, and the hash itself is not either: only marks derived
from it ("this visitor was already counted for this page today"). Salts and marks
are deleted together after the policy's period (the salt's row cascades to its
marks), after which nobody can tell who a mark belonged to, nor link two days.
What remains are counts per day and group, about no one in particular.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, new_id, operational, personal, subject_link
from trackguard.store.types import UTCDateTime

# Longest DNS name: the site and referrer hosts are host names, nothing more.
HOST_LENGTH = 253
GROUP_VALUE_LENGTH = 300


class AnalyticsSalt(Base):
    """The random salt of one site for one UTC day."""

    __tablename__ = "analytics_salts"
    __table_args__ = (UniqueConstraint("site", "day"), subject_link(None))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    site: Mapped[str] = operational(String(HOST_LENGTH))
    day: Mapped[datetime] = operational(UTCDateTime())  # midnight UTC starting the day
    salt: Mapped[bytes] = operational(LargeBinary(32))
    created_at: Mapped[datetime] = operational(UTCDateTime(), index=True)


class AnalyticsVisitorMark(Base):
    """Proof that one (unknown) visitor was counted today for one group, e.g. a page."""

    __tablename__ = "analytics_visitor_marks"
    __table_args__ = subject_link(None)

    salt_id: Mapped[str] = mapped_column(
        ForeignKey("analytics_salts.id", ondelete="CASCADE"), primary_key=True
    )
    # Hash of (visitor hash, group): links nothing readable to the visitor.
    mark: Mapped[str] = personal("user.unique_id.pseudonymous", String(32), primary_key=True)
    # The salt's creation time, copied so the retention rule deletes both at once.
    salt_created_at: Mapped[datetime] = operational(UTCDateTime(), index=True)


class AnalyticsDailyCount(Base):
    """Visitors and page views of one site on one day, for one group of one dimension.

    Dimension `total` (value "") holds the day's totals; the others are `page`,
    `referrer`, `device`, `browser`, `country` and `hour`.
    """

    __tablename__ = "analytics_daily_counts"
    __table_args__ = subject_link(None)

    site: Mapped[str] = operational(String(HOST_LENGTH), primary_key=True)
    day: Mapped[datetime] = operational(UTCDateTime(), primary_key=True)
    dimension: Mapped[str] = operational(String(16), primary_key=True)
    value: Mapped[str] = operational(String(GROUP_VALUE_LENGTH), primary_key=True)
    visitors: Mapped[int] = operational(Integer)
    pageviews: Mapped[int] = operational(Integer)
