"""Demo rows for the web tables: Traccar ids for the demo customers' devices (the API
hands them out on first sight anyway) and sign-in sessions, one of them expired long
enough ago for the session retention rule to act on."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.store.models import Device
from trackguard.web.auth.sessions import open_session, revoke
from trackguard.web.traccar.ids import numbers_for


def add_web_records(session: Session, customer_ids: list[str], now: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    devices = session.scalars(
        select(Device.id).where(Device.customer_id.in_(customer_ids)).order_by(Device.id)
    ).all()
    counts["traccar_ids"] += len(numbers_for(session, "device", devices))
    counts["traccar_ids"] += len(numbers_for(session, "customer", customer_ids))
    for customer_id in customer_ids[:3]:
        # Signed in 60 days ago and signed out that day: due for deletion after 30 days.
        _, old = open_session(
            session, kind="cookie", now=now - timedelta(days=60), customer_id=customer_id
        )
        revoke(old, now=now - timedelta(days=60))
        # A token issued yesterday (its value is not kept anywhere: nobody can use it).
        open_session(session, kind="token", now=now - timedelta(days=1), customer_id=customer_id)
        counts["web_sessions"] += 2
    return counts
