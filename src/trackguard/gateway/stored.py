"""What the batch writer asks the database about fixes already stored (see `gateway.packing`).

Both look-ups run inside the writer's transaction, after it took the write lock
(SQLite) — so no other writer adds rows between the question and the insert.
Single rows give their time from `fix_time`; only block rows are decrypted, and
only those that can hold a fix of the span asked about: a block lies within one
hour and starts at its first fix, so it starts between the hour of the span's
start and the span's end. A row whose key was destroyed is unreadable and counts
with the time it is keyed by (its fixes are shredded: nothing of them is left
to duplicate).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from trackguard.store.models.tracking import Position
from trackguard.tracking.position_blocks import hour_of, iso_utc_text
from trackguard.tracking.positions import StoredRow, iso_of_stored, open_rows, stored_row_columns
from trackguard.vault import Vault

# Devices per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 500


def newest_stored(
    session: Session, vault: Vault, device_ids: Sequence[str]
) -> dict[str, str | None]:
    """Each device's newest stored fix time (`iso_utc_text`), None when it has no rows."""
    newest: dict[str, str | None] = dict.fromkeys(device_ids)
    dialect = session.get_bind().dialect.name
    for start in range(0, len(device_ids), _CHUNK):
        chunk = device_ids[start : start + _CHUNK]
        latest = session.execute(
            select(Position.device_id, func.max(Position.fix_time))
            .where(Position.device_id.in_(chunk))
            .group_by(Position.device_id)
        )
        for device_id, fix_time in latest:
            # The newest row's time, or later: a block of that hour may reach beyond it.
            moment = _utc(fix_time)
            rows = session.execute(
                select(*stored_row_columns(dialect)).where(
                    Position.device_id == device_id,
                    Position.fix_time >= hour_of(moment),
                    Position.fixes.is_not(None),
                )
            )
            times = _times(session, vault, device_id, rows)
            newest[device_id] = max([iso_utc_text(moment), *times])
    return newest


def stored_times(session: Session, vault: Vault, device_id: str, first: str, last: str) -> set[str]:
    """The device's stored fix times between `first` and `last` (inclusive)."""
    start, end = _utc(first), _utc(last)
    rows = session.execute(
        select(*stored_row_columns(session.get_bind().dialect.name)).where(
            Position.device_id == device_id,
            Position.fix_time >= hour_of(start),
            Position.fix_time <= end,
            or_(Position.fixes.is_not(None), Position.fix_time >= start),
        )
    )
    return {time for time in _times(session, vault, device_id, rows) if first <= time <= last}


def _times(
    session: Session, vault: Vault, device_id: str, rows: Iterable[Sequence[Any]]
) -> list[str]:
    """The fix times held by `rows` (as `stored_row_columns` selects them)."""
    times: list[str] = []
    for row in rows:
        stored: StoredRow = tuple(row)  # type: ignore[assignment]
        time_iso = iso_of_stored(stored[0])
        if stored[3] is None:
            times.append(time_iso)
            continue
        unreadable: list[int] = []
        block = open_rows(session, vault, device_id, [stored], unreadable=unreadable)
        times.extend(block.time if not unreadable else [time_iso])
    return times


def _utc(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
