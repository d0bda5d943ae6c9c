"""The subject's positions, decrypted in batches into positions.csv and tracks.gpx.

One pass over the rows feeds both files: each batch is read from a streaming
cursor (server-side on PostgreSQL), decrypted with the key its `key_ref` names,
written as CSV rows, and handed to the trip splitter, which writes the GPX track
points of trips. Only rows encrypted under the subject's own location key are
exported: a tracker that changed hands keeps its earlier owner's positions under
that owner's key, and those are not this subject's data.
"""

from __future__ import annotations

import csv
import json
import json.scanner
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.privacy.export.gpx import GpxWriter, TrackPoint
from trackguard.privacy.export.trip_stream import TripSplitter
from trackguard.store.models.tracking import Position
from trackguard.tracking.positions import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    subject_of_key_ref,
)
from trackguard.tracking.trips import Fix, TripConfig
from trackguard.vault import Vault

CSV_COLUMNS = (
    "device_id",
    "time",
    "latitude",
    "longitude",
    "speed_kmh",
    "course",
    "altitude",
    "satellites",
    "valid",
    "battery",
    "ignition",
    "motion",
    "alarm",
    "protocol",
    "attributes",
    "received_at",
)
BATCH_ROWS = 5_000


@dataclass(frozen=True)
class ExportDevice:
    """A tracker of the subject: its id, a label for its tracks, its protocol."""

    id: str
    label: str
    protocol: str | None


@dataclass(frozen=True)
class PositionCounts:
    rows: int  # written to positions.csv
    unreadable: int  # stored, but their key was destroyed
    tracks: int  # trips written to tracks.gpx
    track_points: int


def export_positions(
    session: Session,
    vault: Vault,
    subject_id: str,
    devices: Sequence[ExportDevice],
    csv_out: TextIO,
    gpx: GpxWriter,
    *,
    batch_rows: int = BATCH_ROWS,
    trip_config: TripConfig | None = None,
) -> PositionCounts:
    """Write the header and every readable position of `devices` (see module doc)."""
    writer = csv.writer(csv_out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = unreadable = 0
    own_refs: dict[str, bool] = {}
    decrypt = vault.decrypt
    dialect = session.get_bind().dialect.name
    fix_time_col = _utc_text(Position.fix_time, dialect)
    received_col = _utc_text(Position.received_at, dialect)
    for device in devices:
        gpx.track_name = device.label
        splitter: TripSplitter[TrackPoint] = TripSplitter(gpx, trip_config)
        query = (
            select(fix_time_col, received_col, Position.key_ref, Position.payload)
            .where(Position.device_id == device.id)
            .order_by(Position.fix_time)
            .execution_options(yield_per=batch_rows)
        )
        binding_prefix = f"{device.id}|"
        # Core, not ORM: plain rows, no per-row ORM loading machinery.
        for batch in session.connection().execute(query).partitions():
            csv_rows = []
            track: list[tuple[Fix, TrackPoint]] = []
            for stored_time, received_at, key_ref, payload in batch:
                own = own_refs.get(key_ref)
                if own is None:
                    own = own_refs[key_ref] = _names_subject(key_ref, subject_id)
                if not own:
                    continue
                fix_time, iso = _utc_time(stored_time)
                try:
                    plain = decrypt(
                        session,
                        payload,
                        subject=subject_id,
                        key_class=POSITION_KEY_CLASS,
                        table=POSITION_TABLE,
                        column=POSITION_COLUMN,
                        # = position_row_binding(device.id, fix_time), without re-parsing
                        row=f"{binding_prefix}{iso}+00:00",
                    )
                except VaultError:  # key destroyed: the position is gone for good
                    unreadable += 1
                    continue
                # The fields of `encode_position_payload`, read from the dict directly.
                v = _scan(plain.decode(), 0)[0]
                time = iso + "Z"
                lat, lon, speed, valid = v["lat"], v["lon"], v["speed"], v["valid"]
                altitude, satellites = v["altitude"], v["satellites"]
                attributes = v.get("attributes")
                csv_rows.append(
                    (
                        device.id,
                        time,
                        lat,
                        lon,
                        speed,
                        v["course"],
                        altitude,
                        satellites,
                        _FLAG[valid],
                        v["battery"],
                        _FLAG[v.get("ignition")],
                        _FLAG[v.get("motion")],
                        v.get("alarm"),
                        v.get("protocol") or device.protocol,
                        _dumps(attributes) if attributes else "",
                        _utc_time(received_at)[1] + "Z",
                    )
                )
                track.append(
                    (
                        Fix(fix_time, lat, lon, speed, valid, v.get("ignition"), v.get("motion")),
                        TrackPoint(lat, lon, time, altitude, satellites),
                    )
                )
            writer.writerows(csv_rows)
            rows += len(csv_rows)
            splitter.add_batch(track)
        splitter.close()
    return PositionCounts(rows, unreadable, gpx.tracks, gpx.points)


_FLAG = {None: "", True: "true", False: "false"}
# json's own (C) scanner: what json.loads does, without its wrappers' cost per call.
_make_scanner: Any = json.scanner.make_scanner  # typeshed declares it a class taking itself
_scan: Callable[[str, int], tuple[Any, int]] = _make_scanner(json.JSONDecoder())
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _utc_text(column: Any, dialect: str) -> Any:
    """A time column as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff", made by the database:
    at millions of rows, converting each value in Python (UTCDateTime) is the cost."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(column, String())  # SQLite stores exactly that text


def _utc_time(value: str | datetime) -> tuple[datetime, str]:
    """(naive UTC datetime, ISO 8601 text with microseconds) of a stored time."""
    if type(value) is str and len(value) == 26:  # SQLite's text: "2026-03-01 10:00:00.000000"
        return datetime.fromisoformat(value), f"{value[:10]}T{value[11:]}"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment, moment.isoformat(timespec="microseconds")


def _names_subject(key_ref: str, subject_id: str) -> bool:
    try:
        return subject_of_key_ref(key_ref) == subject_id
    except VaultError:
        return False
