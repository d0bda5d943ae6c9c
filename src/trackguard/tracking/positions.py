"""Positions: how one fix is encrypted, stored in batches and read back.

Everything that places a person (coordinates, speed, heading, altitude, fix
quality, battery, ignition, protocol attributes) travels inside one AES-GCM
ciphertext per row; only the device id and the fix time stay plaintext, for
time-ordered queries and partitioning. The demo seed and the gateways' batch
writer both use these functions, so their positions decrypt the same way:

* `encode_position_payload` / `decode_position_payload`: compact JSON, sorted keys.
* `position_row_binding`: the "row" the ciphertext's associated data binds to,
  `<device id>|<fix time, UTC ISO 8601 with microseconds>` — the table's primary
  key, so a payload copied onto another device's or another moment's row no
  longer decrypts.
* `position_key_ref`: which key encrypted it (the owner's location key, or the
  rotating fleet key for a device nobody activated), as `positions.key_ref` says.

Storage: `insert_positions` uses executemany on SQLite and COPY on PostgreSQL,
where `positions` is range-partitioned by month (revision 0002); `PartitionKeeper`
creates the month partitions ahead of the writes. A row whose (device, fix time)
is already stored is skipped: a device that resends after a lost ack must not
make the batch fail.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    and_,
    delete,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import VaultError
from trackguard.store.models.tracking import Position
from trackguard.tracking.position_blocks import (
    FIELDS,
    BlockArrays,
    FixColumns,
    concat_columns,
    decode_block,
    decode_blocks,
    hour_of,
    iso_utc_text,
)
from trackguard.vault import FLEET_SUBJECT, Vault

if TYPE_CHECKING:
    from trackguard.protocols.base import PositionReport

log = logging.getLogger(__name__)

POSITION_TABLE = "positions"
POSITION_COLUMN = "payload"
POSITION_KEY_CLASS = "location"
FLEET_KEY_PREFIX = "fleet:"
# Where PostgreSQL keeps the month partitions: out of the default schema, so schema
# comparisons (and `\dt`) see one `positions` table, as the models declare it.
PARTITION_SCHEMA = "position_partitions"
DEFAULT_PARTITION = "positions_default"
# A new fleet key every day: positions of trackers nobody activated are kept for
# days, so destroying a day's key later shreds exactly that day's fixes.
FLEET_KEY_ROTATION = timedelta(days=1)
# Month partitions are made only this close to now; fixes outside (a wrong device
# clock, a far replay) land in the default partition instead of growing the catalog.
PARTITION_PAST = timedelta(days=2 * 366)
PARTITION_FUTURE = timedelta(days=62)
_MAX_ATTRIBUTE_DEPTH = 4


@dataclass(frozen=True)
class PositionFix:
    """The encrypted part of a position. The first eight fields are always written."""

    lat: float  # WGS84 degrees
    lon: float
    speed: float  # km/h
    course: float | None  # degrees from north, 0..360
    altitude: float | None  # metres above mean sea level
    satellites: int | None
    valid: bool  # the receiver's own verdict on the fix
    battery: float | None  # percent
    ignition: bool | None = None
    motion: bool | None = None
    alarm: str | None = None
    protocol: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


_OPTIONAL = ("ignition", "motion", "alarm", "protocol")


def encode_position_payload(fix: PositionFix) -> bytes:
    """Rounded to what a tracker really resolves (~0.1 m, 0.1 km/h) so the JSON stays small."""
    values: dict[str, Any] = {
        "lat": round(fix.lat, 6),
        "lon": round(fix.lon, 6),
        "speed": round(fix.speed, 1),
        "course": None if fix.course is None else round(fix.course, 1) % 360,
        "altitude": None if fix.altitude is None else round(fix.altitude, 1),
        "satellites": fix.satellites,
        "valid": fix.valid,
        "battery": fix.battery,
    }
    for name in _OPTIONAL:
        value = getattr(fix, name)
        if value is not None:
            values[name] = value
    if fix.attributes:
        values["attributes"] = _json_attributes(fix.attributes)
    return json.dumps(values, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def decode_position_payload(payload: bytes) -> PositionFix:
    return PositionFix(**json.loads(payload))


_SCALARS = (str, int, bool, type(None))


def _json_attributes(attributes: Mapping[str, object]) -> dict[str, Any]:
    """Attributes as JSON-safe values; most devices send flat text and integers only."""
    if all(type(v) in _SCALARS for v in attributes.values()) and all(
        type(k) is str for k in attributes
    ):
        return dict(attributes)
    safe: dict[str, Any] = _json_safe(attributes, 0)
    return safe


def _json_safe(value: object, depth: int) -> Any:
    """Protocol attributes as JSON: numbers, text, booleans, lists and objects."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if depth >= _MAX_ATTRIBUTE_DEPTH:
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v, depth + 1) for v in value]
    return str(value)


def fix_of(report: PositionReport) -> PositionFix:
    """The encrypted part of a decoded report."""
    return PositionFix(
        lat=report.latitude,
        lon=report.longitude,
        speed=report.speed,
        course=report.course,
        altitude=report.altitude,
        satellites=report.satellites,
        valid=report.valid,
        battery=report.battery,
        ignition=report.ignition,
        motion=report.motion,
        alarm=None if report.alarm is None else str(report.alarm),
        protocol=report.protocol,
        attributes=dict(report.attributes),
    )


def position_row_binding(device_id: str, fix_time: datetime) -> str:
    """The associated-data row of a position: `<device id>|<UTC fix time>`.

    Always microsecond precision and `+00:00`, so a fix time read back from SQLite
    (naive) or PostgreSQL (aware) gives the same string as the one written.
    """
    return f"{device_id}|{as_utc(fix_time).isoformat(timespec='microseconds')}"


def position_key_ref(customer_id: str | None, version: int) -> str:
    """What `positions.key_ref` records: the owner's location key, or the fleet's."""
    if customer_id is None:
        return f"{FLEET_KEY_PREFIX}{version}"
    return f"subject:{customer_id}:{POSITION_KEY_CLASS}:{version}"


def subject_of_key_ref(key_ref: str) -> str:
    """The vault subject whose location key a `key_ref` names."""
    if key_ref.startswith(FLEET_KEY_PREFIX):
        return FLEET_SUBJECT
    parts = key_ref.split(":")
    if len(parts) == 4 and parts[0] == "subject" and parts[2] == POSITION_KEY_CLASS:
        return parts[1]
    raise VaultError("a position names a key reference trackguard does not know")


# -- rows -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One row of `positions`, payload already encrypted."""

    device_id: str
    fix_time: datetime
    received_at: datetime
    key_ref: str
    payload: bytes


def encrypt_position(
    session: Session,
    vault: Vault,
    *,
    device_id: str,
    customer_id: str | None,
    fix_time: datetime,
    received_at: datetime,
    fix: PositionFix | None = None,
    report: PositionReport | None = None,
    key_refs: dict[str | None, str] | None = None,
) -> PositionRow:
    """Encrypt `fix` under the owner's location key, or the fleet's for nobody's device.

    The batch writer passes the decoded `report` instead of a `fix` (same payload,
    less work) and a `key_refs` dict kept over one transaction, so the key version
    is asked once per owner and batch rather than once per row.
    """
    subject = customer_id if customer_id is not None else FLEET_SUBJECT
    if fix is not None:
        plain = encode_position_payload(fix)
    elif report is not None:
        plain = encode_report_payload(report)
    else:
        raise TypeError("encrypt_position needs a fix or a report")
    fix_time = as_utc(fix_time)
    payload = vault.encrypt(
        session,
        plain,
        subject=subject,
        key_class=POSITION_KEY_CLASS,
        table=POSITION_TABLE,
        column=POSITION_COLUMN,
        row=f"{device_id}|{fix_time.isoformat(timespec='microseconds')}",
    )
    key_ref = None if key_refs is None else key_refs.get(customer_id)
    if key_ref is None:  # asked after the encrypt, which may have made the first key
        version = vault.current_key_version(session, subject, POSITION_KEY_CLASS) or 1
        key_ref = position_key_ref(customer_id, version)
        if key_refs is not None:
            key_refs[customer_id] = key_ref
    return PositionRow(device_id, fix_time, as_utc(received_at), key_ref, payload)


def encode_report_payload(report: PositionReport) -> bytes:
    """`encode_position_payload(fix_of(report))`, byte for byte, without the detour."""
    return _ENCODE(report_values(report)).encode()


def report_values(
    report: PositionReport, encode_attributes: Callable[[Any], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The payload fields of `report` (optional ones only when the device sent them);
    `encode_attributes` makes the protocol attributes JSON-safe."""
    course, altitude = report.course, report.altitude
    values: dict[str, Any] = {
        "lat": round(report.latitude, 6),
        "lon": round(report.longitude, 6),
        "speed": round(report.speed, 1),
        "course": None if course is None else round(course, 1) % 360,
        "altitude": None if altitude is None else round(altitude, 1),
        "satellites": report.satellites,
        "valid": report.valid,
        "battery": report.battery,
    }
    if report.ignition is not None:
        values["ignition"] = report.ignition
    if report.motion is not None:
        values["motion"] = report.motion
    if report.alarm is not None:
        values["alarm"] = str(report.alarm)
    if report.protocol is not None:
        values["protocol"] = report.protocol
    if report.attributes:
        values["attributes"] = (encode_attributes or _json_attributes)(report.attributes)
    return values


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False).encode


_COLUMNS = ("device_id", "fix_time", "received_at", "key_ref", "payload")
_STAGING = "positions_incoming"


def insert_positions(session: Session, rows: Sequence[PositionRow]) -> None:
    """Insert `rows` in the session's transaction; rows already stored are skipped.

    SQLite: one executemany of INSERT OR IGNORE. PostgreSQL: COPY (binary) into a
    temporary staging table, then one INSERT ... ON CONFLICT DO NOTHING, because a
    COPY straight into `positions` would fail as a whole on one resent fix.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy_rows(session, rows)
        return
    # Straight to the driver: naive UTC text, as `UTCDateTime` stores it on SQLite.
    session.connection().exec_driver_sql(
        f"INSERT OR IGNORE INTO {POSITION_TABLE} ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
        [
            (
                row.device_id,
                _sqlite_time(row.fix_time),
                _sqlite_time(row.received_at),
                row.key_ref,
                row.payload,
            )
            for row in rows
        ],
    )


def _sqlite_time(moment: datetime) -> str:
    return as_utc(moment).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _copy_rows(session: Session, rows: Sequence[PositionRow]) -> None:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    columns = ", ".join(_COLUMNS)
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ("
            "device_id varchar(32), fix_time timestamptz, received_at timestamptz, "
            "key_ref varchar(80), payload bytea) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {_STAGING} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["varchar", "timestamptz", "timestamptz", "varchar", "bytea"])
            for row in rows:
                copy.write_row(
                    (row.device_id, row.fix_time, row.received_at, row.key_ref, row.payload)
                )
        cursor.execute(
            f"INSERT INTO positions ({columns}) SELECT {columns} FROM {_STAGING} "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DELETE FROM {_STAGING}")


# -- month partitions (PostgreSQL) -------------------------------------------------------


def month_of(moment: datetime) -> date:
    utc = as_utc(moment)
    return date(utc.year, utc.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"positions_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


class PartitionKeeper:
    """Creates the month partitions of `positions` before rows for that month arrive.

    Remembers the months it has made sure of, so the catalog is asked once per
    month per process. Partitions live in `PARTITION_SCHEMA`, one per month
    (`positions_y2026m03`), so retention can drop a whole month at once; the
    default partition takes what falls outside the window around now. No-op on
    SQLite. DDL runs in its own transaction, never inside a batch.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self._known: set[date] = set()

    def months_to_make(self, times: Iterable[datetime], now: datetime) -> list[date]:
        """The months of `times` (plus this one and the next) inside the window, not yet made."""
        if not self.enabled:
            return []
        now = as_utc(now)
        earliest, latest = month_of(now - PARTITION_PAST), month_of(now + PARTITION_FUTURE)
        current = month_of(now)
        wanted = {current, next_month(current)} | {month_of(t) for t in times}
        return sorted(m for m in wanted if earliest <= m <= latest and m not in self._known)

    def ensure(self, times: Iterable[datetime], now: datetime) -> None:
        for month in self.months_to_make(times, now):
            with self.engine.connect() as connection:
                ensure_partition(connection, month)
            self._known.add(month)


def ensure_partition(connection: Connection, month: date) -> None:
    """Create the partition of `month` (committed), moving its rows out of the default one.

    Safe to race with another process doing the same: whoever loses finds the
    partition made and returns.
    """
    name = f"{PARTITION_SCHEMA}.{partition_name(month)}"
    bounds = f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(next_month(month))}')"
    if _exists(connection, name):
        return
    try:
        # CREATE ... PARTITION OF would lock `positions` against readers; made apart and
        # attached, the month takes only a SHARE UPDATE EXCLUSIVE lock on it.
        with connection.begin():
            like = "LIKE positions INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
            connection.execute(text(f"CREATE TABLE {name} ({like})"))
            connection.execute(text(f"ALTER TABLE positions ATTACH PARTITION {name} {bounds}"))
        return
    except Exception as exc:
        connection.rollback()
        if _exists(connection, name):
            return
        if getattr(getattr(exc, "orig", None), "sqlstate", None) != "23514":
            raise  # anything but "the default partition holds rows of this month"
    # Rows for this month already sit in the default partition (written before the
    # partition existed): move them over in one transaction.
    default = f"{PARTITION_SCHEMA}.{DEFAULT_PARTITION}"
    columns = ", ".join((*_COLUMNS, "fixes"))
    within = f"fix_time >= '{_bound(month)}' AND fix_time < '{_bound(next_month(month))}'"
    move = f"INSERT INTO positions ({columns}) SELECT {columns} FROM {default} WHERE {within}"
    try:
        with connection.begin():
            connection.execute(text(f"ALTER TABLE positions DETACH PARTITION {default}"))
            connection.execute(text(f"CREATE TABLE {name} PARTITION OF positions {bounds}"))
            connection.execute(text(move))
            connection.execute(text(f"DELETE FROM {default} WHERE {within}"))
            connection.execute(text(f"ALTER TABLE positions ATTACH PARTITION {default} DEFAULT"))
    except Exception:
        connection.rollback()
        if _exists(connection, name):
            return  # another process moved them first
        raise
    log.info("moved rows of %s out of the default partition", partition_name(month))


def _exists(connection: Connection, qualified: str) -> bool:
    found = connection.execute(text("SELECT to_regclass(:name)"), {"name": qualified}).scalar()
    connection.rollback()
    return found is not None


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredPosition:
    """A decrypted position, as the operator CLI and the API hand it out."""

    device_id: str
    time: datetime
    received_at: datetime
    fix: PositionFix

    def to_json(self, default_protocol: str | None = None) -> dict[str, Any]:
        fix = self.fix
        return {
            "device_id": self.device_id,
            "time": as_utc(self.time).isoformat(),
            "received_at": as_utc(self.received_at).isoformat(),
            "valid": fix.valid,
            "latitude": fix.lat,
            "longitude": fix.lon,
            "speed": fix.speed,
            "course": fix.course,
            "altitude": fix.altitude,
            "satellites": fix.satellites,
            "battery": fix.battery,
            "ignition": fix.ignition,
            "motion": fix.motion,
            "alarm": fix.alarm,
            "protocol": fix.protocol or default_protocol,
            "attributes": dict(fix.attributes),
        }


def stored_time_text(column: Any, dialect: str) -> Any:
    """A time column as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff", made by the database:
    at millions of rows, converting each value in Python (UTCDateTime) is the cost."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(column, String())  # SQLite stores exactly that text


def iso_of_stored(value: str | datetime) -> str:
    """`iso_utc_text` of a time read through `stored_time_text` (or as a datetime)."""
    if type(value) is str and len(value) == 26:  # "2026-03-01 10:00:00.000000"
        return f"{value[:10]}T{value[11:]}"
    return iso_utc_text(value if isinstance(value, datetime) else datetime.fromisoformat(value))


def stored_row_columns(dialect: str) -> tuple[Any, ...]:
    """What `open_rows` takes of a `positions` row, in its order."""
    return (
        stored_time_text(Position.fix_time, dialect),
        stored_time_text(Position.received_at, dialect),
        Position.key_ref,
        Position.fixes,
        Position.payload,
    )


StoredRow = tuple[Any, Any, str, int | None, bytes]  # as `stored_row_columns` selects it


def open_rows(
    session: Session,
    vault: Vault,
    device_id: str,
    rows: Iterable[StoredRow],
    *,
    subject: str | None = None,
    unreadable: list[int] | None = None,
) -> FixColumns:
    """The fixes of a device's rows (single fixes and blocks), decrypted, in time order.

    `subject` skips deriving the key's subject from each `key_ref` when the caller
    knows it. A row whose key was destroyed raises VaultError, or, when the caller
    passes an `unreadable` list, has its fix count appended there and is skipped.
    """
    parts = open_row_parts(session, vault, device_id, rows, subject=subject, unreadable=unreadable)
    listed = [p if isinstance(p, FixColumns) else p.fix_columns() for p in parts]
    return concat_columns(listed).in_time_order()


def open_row_parts(
    session: Session,
    vault: Vault,
    device_id: str,
    rows: Iterable[StoredRow],
    *,
    subject: str | None = None,
    unreadable: list[int] | None = None,
) -> list[BlockArrays | FixColumns]:
    """`open_rows`' fixes as they decode, not yet sorted: the blocks in row order (arrays
    for binary blocks, consecutive ones joined where they store their columns alike), then
    the single rows as one part. For readers that take arrays (the export); the arguments
    are `open_rows`'."""
    blocks: list[tuple[bytes, int]] = []
    times: list[str] = []
    received: list[str] = []
    singles: list[dict[str, Any]] = []
    for stored_time, stored_received, key_ref, fixes, payload in rows:
        time_iso = iso_of_stored(stored_time)
        try:
            plain = open_payload(session, vault, device_id, time_iso, key_ref, payload, subject)
        except VaultError:
            if unreadable is None:
                raise
            unreadable.append(fixes or 1)
            continue
        if fixes is None:
            times.append(time_iso)
            received.append(iso_of_stored(stored_received))
            singles.append(orjson.loads(plain))
        else:
            blocks.append((plain, fixes))
    parts = decode_blocks(blocks)
    if singles:
        parts.append(
            FixColumns(times, received, {name: [v.get(name) for v in singles] for name in FIELDS})
        )
    return parts


def open_payload(
    session: Session,
    vault: Vault,
    device_id: str,
    time_iso: str,
    key_ref: str,
    payload: bytes,
    subject: str | None = None,
) -> bytes:
    """The plaintext of one row's payload (`time_iso` as `iso_of_stored` gives it)."""
    return vault.decrypt(
        session,
        payload,
        subject=subject_of_key_ref(key_ref) if subject is None else subject,
        key_class=POSITION_KEY_CLASS,
        table=POSITION_TABLE,
        column=POSITION_COLUMN,
        row=f"{device_id}|{time_iso}+00:00",  # = position_row_binding
    )


def fixes_of_row(time_iso: str, received_iso: str, fixes: int | None, plain: bytes) -> FixColumns:
    """The fixes of one row's opened payload (a single fix, or a block), in time order."""
    if fixes is None:
        values = orjson.loads(plain)
        return FixColumns([time_iso], [received_iso], {name: [values.get(name)] for name in FIELDS})
    return decode_block(plain, fixes).in_time_order()


def stored_rows_between(
    dialect: str, device_id: str, start: datetime | None, end: datetime | None
) -> Select[Any]:
    """The device's rows that may hold fixes with `start <= time < end` (unordered).

    Blocks are found by their first fix, so the rows start at the hour of `start`;
    the caller cuts the fixes to the period (`FixColumns.between`).
    """
    query = select(*stored_row_columns(dialect)).where(Position.device_id == device_id)
    if start is not None:
        query = query.where(Position.fix_time >= hour_of(start))
    if end is not None:
        query = query.where(Position.fix_time < as_utc(end))
    return query


def read_fix_columns(
    session: Session,
    vault: Vault,
    device_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> FixColumns:
    """The device's fixes with `start <= time < end`, oldest first, decrypted, as columns.

    The fast path for many fixes (API history, trips): no object per fix. Blocks
    are found by their first fix, so the query starts at the hour of `start`.
    """
    query = stored_rows_between(session.get_bind().dialect.name, device_id, start, end)
    found = open_rows(session, vault, device_id, session.execute(query))
    return found.between(
        None if start is None else iso_utc_text(start), None if end is None else iso_utc_text(end)
    )


def stored_positions(device_id: str, found: FixColumns) -> list[StoredPosition]:
    """`found` as StoredPosition objects (what the CLI, events and trips take)."""
    return [
        _stored(device_id, found.time[i], found.received[i], found.values(i))
        for i in range(len(found))
    ]


def _stored(
    device_id: str, time_iso: str, received_iso: str, values: dict[str, Any]
) -> StoredPosition:
    return StoredPosition(
        device_id,
        datetime.fromisoformat(time_iso).replace(tzinfo=UTC),
        datetime.fromisoformat(received_iso).replace(tzinfo=UTC),
        PositionFix(**values),
    )


def read_positions(
    session: Session,
    vault: Vault,
    device_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> list[StoredPosition]:
    """The device's positions with `start <= time < end`, oldest first, decrypted.

    Each row is opened with the key its `key_ref` names. Callers audit the read.
    """
    found = read_fix_columns(session, vault, device_id, start=start, end=end)
    if limit is not None and limit < len(found):
        found = found.between(None, found.time[limit])
    return stored_positions(device_id, found)


def latest_positions(
    session: Session, vault: Vault, device_ids: Sequence[str]
) -> dict[str, StoredPosition]:
    """Each device's newest position (devices that never reported are left out).

    The newest row of a device holds its newest fix: blocks are made only of
    hours that have passed, so a newer fix is a newer row. (A fix arriving late
    inside a compacted hour is the one exception, until the next compaction.)
    """
    if not device_ids:
        return {}
    newest = (
        select(Position.device_id, func.max(Position.fix_time).label("newest"))
        .where(Position.device_id.in_(device_ids))
        .group_by(Position.device_id)
        .subquery()
    )
    rows = session.execute(
        select(Position.device_id, *stored_row_columns(session.get_bind().dialect.name)).join(
            newest,
            and_(Position.device_id == newest.c.device_id, Position.fix_time == newest.c.newest),
        )
    )
    found = {}
    # One row per device: decoded straight into its position, no columns in between.
    for device_id, stored_time, stored_received, key_ref, fixes, payload in rows:
        time_iso = iso_of_stored(stored_time)
        plain = open_payload(session, vault, device_id, time_iso, key_ref, payload)
        if fixes is None:
            received_iso, values = iso_of_stored(stored_received), orjson.loads(plain)
        else:
            block = decode_block(plain, fixes).in_time_order()
            last = len(block) - 1
            time_iso, received_iso, values = (
                block.time[last],
                block.received[last],
                block.values(last),
            )
        found[device_id] = _stored(device_id, time_iso, received_iso, values)
    return found


def delete_fleet_positions(session: Session, device_id: str) -> int:
    """Remove a device's positions stored under the fleet key (done at activation)."""
    result = session.execute(
        delete(Position)
        .where(Position.device_id == device_id, Position.key_ref.startswith(FLEET_KEY_PREFIX))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
