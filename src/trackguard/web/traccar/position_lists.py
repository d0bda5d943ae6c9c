"""`GET /api/positions` answers as encoded JSON arrays, from `rendered` rows.

Two lists: the newest fix of each of a customer's devices (one query for
devices and newest rows together; their numbers are kept between requests), and
one device's fixes over a period. Each stored row is opened and rendered once;
while it is unchanged its items come from the cache. Before any cached item is
served, the vault opens one ciphertext of every (subject, key version) the answer
uses, in this request, so an answer never shows what the vault would refuse to
decrypt now. A refused key drops the subject's entries and raises, as reading
the rows directly would. The answer itself is kept too (`RecentAnswers`): the
same rows next time, and after the same per-key opening, it is sent again as it is.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, Select, bindparam, literal_column, select, true
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.store.models.tracking import Device, Position
from trackguard.store.plain_rows import PlainQuery, compile_plain, plain_rows
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
from trackguard.web.traccar.rendered import Answer, Probe, RenderedRow, RenderedRows, RowKey
from trackguard.web.traccar.responses import EncodedItems, json_bytes
from trackguard.web.traccar.serialize import column_positions_json


class RowOpener:
    """Rendered rows for one request: from the cache once the row's key was opened here."""

    def __init__(self, session: Session, vault: Vault, cache: RenderedRows) -> None:
        self.session, self.vault, self.cache = session, vault, cache
        self._opened: set[tuple[str, int]] = set()  # (subject, key version) opened this request
        self._subjects: dict[str, str] = {}  # key_ref -> subject
        self.probes: list[Probe] = []  # the ciphertext opened for each of `_opened`

    def reopen(self, probes: Iterable[Probe]) -> None:
        """Open each probe's ciphertext (one per key a kept answer uses) in this request."""
        for subject, device_id, stored_time, key_ref, payload in probes:
            self._open(subject, device_id, iso_of_stored(stored_time), key_ref, payload)

    def _open(
        self, subject: str, device_id: str, time_iso: str, key_ref: str, payload: bytes
    ) -> bytes:
        try:
            return open_payload(
                self.session, self.vault, device_id, time_iso, key_ref, payload, subject
            )
        except VaultError:
            self.cache.forget_subject(subject)
            raise

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
        plain = self._open(subject, device_id, time_iso, key_ref, payload)
        if found is None:
            columns = fixes_of_row(time_iso, iso_of_stored(stored_received), fixes, plain)
            items = [json_bytes(item) for item in column_positions_json(number, protocol, columns)]
            found = RenderedRow.of((subject, field_version(payload)[0]), columns.time, items)
            self.cache.put(key, found)
        if found.key not in self._opened:
            self._opened.add(found.key)
            self.probes.append((subject, device_id, stored_time, key_ref, payload))
        return found


def latest_items(
    session: Session, vault: Vault, cache: RenderedRows, customer_id: str
) -> tuple[int, bytes]:
    """(how many devices the customer has, the JSON array of the newest fix of each,
    devices oldest first).

    Devices that never reported are left out; every device gets its number here,
    as `CustomerData.devices` would give it. When the rows are exactly those of the
    customer's previous answer, that answer is sent again once its keys opened.
    """
    cache.expire()
    connection = session.connection()
    # Plain tuples from the driver: no Row per device, and they compare ten times faster.
    query = _newest_rows_plain(connection.dialect)
    rows = plain_rows(connection, query, {"customer_id": customer_id})
    opener = RowOpener(session, vault, cache)
    kept = cache.answers.recall(("latest", customer_id), rows)
    if kept is not None:
        opener.reopen(kept.probes)
        return len(rows), kept.body
    numbers, all_committed = cache.numbers.of(session, [row[0] for row in rows])
    items = []
    for device_id, protocol, *stored in rows:
        if stored[-1] is None:
            continue  # never reported
        items.append(opener.rendered(device_id, numbers[device_id], protocol, stored).last())
    body = EncodedItems(items).encode()
    # Numbers given just now commit with this request or not at all: keep only answers
    # whose devices all had theirs already.
    if all_committed:
        cache.answers.keep(("latest", customer_id), Answer(rows, body, tuple(opener.probes)))
    return len(rows), body


def _newest_rows_plain(dialect: Dialect) -> PlainQuery:
    # Kept per kind of database, not per dialect object: every engine has its own.
    key = (dialect.name, dialect.paramstyle)
    found = _PLAIN_NEWEST_ROWS.get(key)
    if found is None:
        found = _PLAIN_NEWEST_ROWS[key] = compile_plain(_newest_rows_query(dialect.name), dialect)
    return found


_PLAIN_NEWEST_ROWS: dict[tuple[str, str], PlainQuery] = {}


def _newest_rows_query(dialect: str) -> Select[Any]:
    """Each of a customer's devices (oldest first) with its protocol and newest stored row.

    Compiled once per dialect and fetched by the driver (`plain_rows`): SQLAlchemy's
    statement and row machinery cost more than the query itself. PostgreSQL takes the newest
    row through LATERAL (one backward index scan over the month partitions per
    device); SQLite, which lacks it, matches the row by the rowid a correlated subquery finds.
    """
    columns = stored_row_columns(dialect)
    device_columns: tuple[Any, ...] = (Device.id, Device.protocol)
    query = select(*device_columns).select_from(Device)
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
        # The newest row's rowid comes from the (device_id, fix_time) index alone; the
        # row is then one rowid seek (matching on max(fix_time) searched the index twice).
        older = Position.__table__.alias("older")
        newest_rowid = (
            select(literal_column("older.rowid"))
            .select_from(older)
            .where(older.c.device_id == Device.id)
            .order_by(older.c.fix_time.desc())
            .limit(1)
            .scalar_subquery()
        )
        matched = literal_column("positions.rowid") == newest_rowid
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
) -> bytes:
    """The JSON array of the device's fixes with `start <= time < end`, oldest first.

    `device` is (id, number, protocol). Rows whose fixes interleave in time (a late
    fix inside a compacted hour, a resent copy) are rare and need one sort over all
    of them: then `fallback()` gives the list the slow way.
    """
    cache.expire()
    device_id, number, protocol = device
    query = stored_rows_between(session.get_bind().dialect.name, device_id, start, end)
    rows = [tuple(row) for row in session.connection().execute(query)]
    opener = RowOpener(session, vault, cache)
    low, high = iso_utc_text(start), iso_utc_text(end)
    answer_key = ("history", device_id, number, protocol, low, high)
    kept = cache.answers.recall(answer_key, rows)
    if kept is not None:
        opener.reopen(kept.probes)
        return kept.body
    rendered = [opener.rendered(device_id, number, protocol, row) for row in rows]
    rendered.sort(key=lambda r: r.times[0])
    if not _disjoint(rendered):
        return json_bytes(fallback())
    runs = [row.run(bisect_left(row.times, low), bisect_left(row.times, high)) for row in rendered]
    body = EncodedItems(runs).encode()
    cache.answers.keep(answer_key, Answer(rows, body, tuple(opener.probes)))
    return body


def _disjoint(rows: Iterable[RenderedRow]) -> bool:
    """True when the rows (sorted by first fix) follow one another without overlap."""
    last = ""
    for row in rows:
        if row.times[0] <= last:
            return False
        last = row.times[-1]
    return True
