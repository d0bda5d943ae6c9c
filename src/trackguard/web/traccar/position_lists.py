"""`GET /api/positions` answers as runs of encoded JSON items, from `rendered` rows.

Two lists: the newest fix of each of a customer's devices (one query for
devices, numbers and newest rows together), and one device's fixes over a
period. Each stored row is opened and rendered once; while it is unchanged its
items come from the cache. Before any cached item is served, the vault opens one
ciphertext of every (subject, key version) the answer uses, in this request, so
an answer never shows what the vault would refuse to decrypt now. A refused key
drops the subject's entries and raises, as reading the rows directly would.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select, true
from sqlalchemy.orm import Session, aliased

from trackguard.errors import VaultError
from trackguard.store.models.tracking import Device, Position
from trackguard.store.models.web import TraccarId
from trackguard.tracking.position_blocks import iso_utc_text
from trackguard.tracking.positions import (
    fixes_of_row,
    iso_of_stored,
    open_payload,
    stored_row_columns,
    stored_rows_between,
    subject_of_key_ref,
)
from trackguard.vault import Vault
from trackguard.vault.envelope import field_version
from trackguard.web.traccar.ids import numbers_for
from trackguard.web.traccar.rendered import RenderedRow, RenderedRows, RowKey
from trackguard.web.traccar.responses import json_bytes
from trackguard.web.traccar.serialize import column_positions_json


class RowOpener:
    """Rendered rows for one request: from the cache once the row's key was opened here."""

    def __init__(self, session: Session, vault: Vault, cache: RenderedRows) -> None:
        self.session, self.vault, self.cache = session, vault, cache
        self._opened: set[tuple[str, int]] = set()  # (subject, key version) opened this request
        self._subjects: dict[str, str] = {}  # key_ref -> subject

    def rendered(
        self, device_id: str, number: int, protocol: str | None, row: Sequence[Any]
    ) -> RenderedRow:
        """The fixes of `row` (as `stored_row_columns` selects it) as Traccar JSON."""
        stored_time, stored_received, key_ref, fixes, payload = row
        subject = self._subjects.get(key_ref)
        if subject is None:
            subject = self._subjects[key_ref] = subject_of_key_ref(key_ref)
        key: RowKey = (
            device_id,
            stored_time,
            stored_received,
            key_ref,
            fixes,
            payload,
            number,
            protocol,
        )
        found = self.cache.get(key)
        if found is not None and found.key in self._opened:
            return found  # its key was opened in this request: still there
        time_iso = iso_of_stored(stored_time)
        try:
            plain = open_payload(
                self.session, self.vault, device_id, time_iso, key_ref, payload, subject
            )
        except VaultError:
            self.cache.forget_subject(subject)
            raise
        if found is None:
            columns = fixes_of_row(time_iso, iso_of_stored(stored_received), fixes, plain)
            items = [json_bytes(item) for item in column_positions_json(number, protocol, columns)]
            found = RenderedRow.of((subject, field_version(payload)[0]), columns.time, items)
            self.cache.put(key, found)
        self._opened.add(found.key)
        return found


def latest_items(
    session: Session, vault: Vault, cache: RenderedRows, customer_id: str
) -> tuple[int, list[bytes]]:
    """(how many devices the customer has, the newest fix of each, devices oldest first).

    Devices that never reported are left out; every device gets its number here,
    as `CustomerData.devices` would give it.
    """
    cache.expire()
    query = _newest_rows_query(session.get_bind().dialect.name)
    rows = session.connection().execute(query, {"customer_id": customer_id}).all()  # no ORM
    unnumbered = [row[0] for row in rows if row[1] is None]
    numbers = numbers_for(session, "device", unnumbered) if unnumbered else {}
    opener = RowOpener(session, vault, cache)
    items = []
    for device_id, number, protocol, *stored in rows:
        if stored[-1] is None:
            continue  # never reported
        if number is None:
            number = numbers[device_id]
        items.append(opener.rendered(device_id, number, protocol, stored).last())
    return len(rows), items


@cache
def _newest_rows_query(dialect: str) -> Select[Any]:
    """Each of a customer's devices (oldest first) with its number and newest stored row.

    Built once per dialect: a statement object used again skips SQLAlchemy's
    construction and cache-key work on every request. PostgreSQL takes the newest
    row through LATERAL (one backward index scan over the month partitions per
    device); SQLite, which lacks it, matches the row to a correlated max().
    """
    columns = stored_row_columns(dialect)
    device_columns: tuple[Any, ...] = (Device.id, TraccarId.id, Device.protocol)
    query = select(*device_columns).select_from(Device)
    query = query.outerjoin(TraccarId, TraccarId.device_id == Device.id)
    if dialect == "postgresql":
        newest = (
            select(*columns)
            .where(Position.device_id == Device.id)
            .order_by(Position.fix_time.desc())
            .limit(1)
            .lateral("newest")
        )
        query = query.add_columns(*newest.c).outerjoin(newest, true())
    else:
        older = aliased(Position)
        at = select(func.max(older.fix_time)).where(older.device_id == Device.id)
        matched = and_(Position.device_id == Device.id, Position.fix_time == at.scalar_subquery())
        query = query.add_columns(*columns).outerjoin(Position, matched)
    return query.where(Device.customer_id == bindparam("customer_id")).order_by(
        Device.created_at, Device.id
    )


def history_items(
    session: Session,
    vault: Vault,
    cache: RenderedRows,
    device: tuple[str, int, str | None],
    start: datetime,
    end: datetime,
    fallback: Callable[[], list[dict[str, Any]]],
) -> list[bytes]:
    """The device's fixes with `start <= time < end`, oldest first, in comma-separated runs.

    `device` is (id, number, protocol). Rows whose fixes interleave in time (a late
    fix inside a compacted hour, a resent copy) are rare and need one sort over all
    of them: then `fallback()` gives the list the slow way.
    """
    cache.expire()
    device_id, number, protocol = device
    query = stored_rows_between(session.get_bind().dialect.name, device_id, start, end)
    opener = RowOpener(session, vault, cache)
    rendered = [
        opener.rendered(device_id, number, protocol, row)
        for row in session.connection().execute(query)
    ]
    rendered.sort(key=lambda r: r.times[0])
    if not _disjoint(rendered):
        return [b",".join(json_bytes(item) for item in fallback())]
    low, high = iso_utc_text(start), iso_utc_text(end)
    return [row.run(bisect_left(row.times, low), bisect_left(row.times, high)) for row in rendered]


def _disjoint(rows: Iterable[RenderedRow]) -> bool:
    """True when the rows (sorted by first fix) follow one another without overlap."""
    last = ""
    for row in rows:
        if row.times[0] <= last:
            return False
        last = row.times[-1]
    return True
