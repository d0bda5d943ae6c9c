"""The subject's positions, decrypted in batches into positions.csv and tracks.gpx.

One pass over the rows feeds both files: rows are read from a streaming cursor
(server-side on PostgreSQL), each a single fix or an hour's block
(`tracking.position_blocks`), decrypted with the key its `key_ref` names; each
hour's fixes are written as CSV rows and handed to the trip splitter, which
writes the GPX track points of trips. Only rows encrypted under the subject's own location key are
exported: a tracker that changed hands keeps its earlier owner's positions under
that owner's key, and those are not this subject's data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.privacy.export.gpx import GpxWriter, TrackPoint
from trackguard.privacy.export.trip_stream import TripSplitter
from trackguard.store.models.tracking import Position
from trackguard.tracking.positions import (
    StoredRow,
    iso_of_stored,
    open_rows,
    stored_row_columns,
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
    counts = _Counts()
    own_refs: dict[str, bool] = {}
    dialect = session.get_bind().dialect.name
    for device in devices:
        gpx.track_name = device.label
        splitter: TripSplitter[TrackPoint] = TripSplitter(gpx, trip_config)
        out = _HourWriter(session, vault, subject_id, device, writer, splitter, counts)
        query = (
            select(*stored_row_columns(dialect))
            .where(Position.device_id == device.id)
            .order_by(Position.fix_time)
            .execution_options(yield_per=batch_rows)
        )
        hour = ""  # the hour (ISO text prefix) whose rows `pending` holds
        pending: list[StoredRow] = []
        # Core, not ORM: plain rows, no per-row ORM loading machinery.
        for batch in session.connection().execute(query).partitions():
            for row in batch:
                key_ref = row[2]
                own = own_refs.get(key_ref)
                if own is None:
                    own = own_refs[key_ref] = _names_subject(key_ref, subject_id)
                if not own:
                    continue
                # A late fix lands inside its hour's block: an hour is written in one go.
                row_hour = iso_of_stored(row[0])[:13]
                if row_hour != hour:
                    out.write(pending)
                    hour, pending = row_hour, []
                pending.append(tuple(row))  # type: ignore[arg-type]
        out.write(pending)
        splitter.close()
    return PositionCounts(counts.rows, counts.unreadable, gpx.tracks, gpx.points)


@dataclass
class _Counts:
    rows: int = 0
    unreadable: int = 0


@dataclass
class _HourWriter:
    """Writes one device's fixes an hour at a time, as CSV rows and trip points."""

    session: Session
    vault: Vault
    subject_id: str
    device: ExportDevice
    csv_writer: Any
    splitter: TripSplitter[TrackPoint]
    counts: _Counts

    def write(self, rows: list[StoredRow]) -> None:
        if not rows:
            return
        unreadable: list[int] = []  # rows whose key was destroyed: gone for good
        fixes = open_rows(
            self.session,
            self.vault,
            self.device.id,
            rows,
            subject=self.subject_id,
            unreadable=unreadable,
        )
        self.counts.unreadable += sum(unreadable)
        csv_rows = []
        track: list[tuple[Fix, TrackPoint]] = []
        device_id, default_protocol = self.device.id, self.device.protocol
        parse_time = datetime.fromisoformat
        for row in fixes.rows():
            t, r, lat, lon, speed, course, altitude, satellites, valid = row[:9]
            battery, ignition, motion, alarm, protocol, attributes = row[9:]
            time = t + "Z"
            csv_rows.append(
                (
                    device_id,
                    time,
                    lat,
                    lon,
                    speed,
                    course,
                    altitude,
                    satellites,
                    _FLAG[valid],
                    battery,
                    _FLAG[ignition],
                    _FLAG[motion],
                    alarm,
                    protocol or default_protocol,
                    _dumps(attributes) if attributes else "",
                    r + "Z",
                )
            )
            track.append(
                (
                    Fix(parse_time(t), lat, lon, speed, valid, ignition, motion),
                    TrackPoint(lat, lon, time, altitude, satellites),
                )
            )
        self.csv_writer.writerows(csv_rows)
        self.counts.rows += len(csv_rows)
        self.splitter.add_batch(track)


_FLAG = {None: "", True: "true", False: "false"}
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _names_subject(key_ref: str, subject_id: str) -> bool:
    try:
        return subject_of_key_ref(key_ref) == subject_id
    except VaultError:
        return False
