"""Times come back from either database as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from trackguard.store.engine import Database
from trackguard.store.models import BusinessAccount


def test_times_round_trip_as_aware_utc(db: Database) -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    written = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=amsterdam_summer)
    with db.session() as session:
        session.add(BusinessAccount(id="b1", company_name="Fietsen BV", created_at=written))
    with db.session() as session:
        read = session.get(BusinessAccount, "b1")
        assert read is not None
        assert read.created_at.tzinfo is not None
        assert read.created_at.utcoffset() == timedelta(0)
        assert read.created_at == written.astimezone(UTC)
