"""The subject's positions, decrypted in batches into positions.csv and tracks.gpx.

One pass over the rows feeds both files: rows are read from a streaming cursor
(server-side on PostgreSQL), each a single fix or an hour's block
(`tracking.position_blocks`), decrypted with the key its `key_ref` names. Whole
hours are gathered into batches of about `BATCH_FIXES` fixes, and each batch is
handled column by column (numpy, `fix_arrays` and `text_columns`): its CSV rows
are formatted at once (on a second thread; compressed on another), its usable
fixes' `<trkpt>` lines too (on a third thread, while the next batch decrypts),
and the trip splitter (`trip_stream`) picks the lines of trips out of them.
Python does work per batch and per trip, not per position. Only rows encrypted
under the subject's own location key are exported: a tracker that changed hands
keeps its earlier owner's positions under that owner's key, and those are not
this subject's data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.privacy.export.background_write import BackgroundWriter, ByteSink
from trackguard.privacy.export.fix_arrays import FALSE, TRUE, UNKNOWN, Coded, FixArrays
from trackguard.privacy.export.gpx import GpxWriter, TrackPoints, trkpt_lines
from trackguard.privacy.export.text_columns import (
    TextMatrix,
    choices,
    constant,
    decimals,
    join_rows,
    strings,
)
from trackguard.privacy.export.trip_stream import TripFixes, TripSplitter, moving_flags
from trackguard.store.models.tracking import Position
from trackguard.tracking.positions import (
    StoredRow,
    iso_of_stored,
    open_row_parts,
    stored_row_columns,
    subject_of_key_ref,
)
from trackguard.tracking.trips import TripConfig
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
# Rows fetched at once: binary blocks are ~30 KB each (uncompressed), so 100 of them
# (~40,000 fixes, several batches) keep the fetch small whatever the row kind.
BATCH_ROWS = 100
# Fixes handled at once: enough that numpy's per-call cost vanishes, few enough to stay small.
BATCH_FIXES = 8_192


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
    csv_out: ByteSink,
    gpx: GpxWriter,
    *,
    batch_rows: int = BATCH_ROWS,
    batch_fixes: int = BATCH_FIXES,
    trip_config: TripConfig | None = None,
) -> PositionCounts:
    """Write the header and every readable position of `devices` (see module doc).

    CSV rows are formatted as UTF-8 bytes on a second thread and written to `csv_out`
    from there; `gpx` writes to its own byte sink.
    """
    csv_out.write((",".join(CSV_COLUMNS) + "\n").encode())
    counts = _Counts()
    own_refs: dict[str, bool] = {}
    config = trip_config or TripConfig()
    with (
        BackgroundWriter(csv_out) as csv_bytes,
        ThreadPoolExecutor(1, thread_name_prefix="export-trips") as trip_thread,
    ):
        for device in devices:
            gpx.track_name = device.label
            splitter = TripSplitter(gpx, config)
            out = _BatchWriter(
                session, vault, subject_id, device, csv_bytes, splitter, config, counts
            )
            batches = _hour_batches(
                session, device.id, subject_id, own_refs, batch_rows, batch_fixes
            )
            for rows in batches:
                out.write(rows, trip_thread)
            out.finish()
            splitter.close()
    return PositionCounts(counts.rows, counts.unreadable, gpx.tracks, gpx.points)


def _hour_batches(
    session: Session,
    device_id: str,
    subject_id: str,
    own_refs: dict[str, bool],
    batch_rows: int,
    batch_fixes: int,
) -> Iterator[list[StoredRow]]:
    """The device's rows under the subject's key, oldest first, in batches of whole hours
    holding at least `batch_fixes` fixes (the last may hold fewer)."""
    query = (
        select(*stored_row_columns(session.get_bind().dialect.name))
        .where(Position.device_id == device_id)
        .order_by(Position.fix_time)
        .execution_options(yield_per=batch_rows)
    )
    hour = ""  # the hour (ISO text prefix) of the last row in `pending`
    pending: list[StoredRow] = []
    pending_fixes = 0
    # Core, not ORM: plain rows, no per-row ORM loading machinery.
    for batch in session.connection().execute(query).partitions():
        for row in batch:
            key_ref = row[2]
            own = own_refs.get(key_ref)
            if own is None:
                own = own_refs[key_ref] = _names_subject(key_ref, subject_id)
            if not own:
                continue
            # A late fix lands inside its hour's block: a batch holds whole hours.
            row_hour = iso_of_stored(row[0])[:13]
            if row_hour != hour:
                if pending_fixes >= batch_fixes:
                    yield pending
                    pending, pending_fixes = [], 0
                hour = row_hour
            pending.append(tuple(row))  # type: ignore[arg-type]
            pending_fixes += row[3] or 1
    if pending:
        yield pending


@dataclass
class _Counts:
    rows: int = 0
    unreadable: int = 0


@dataclass
class _BatchWriter:
    """Writes one device's fixes a batch at a time, as CSV rows and trip points."""

    session: Session
    vault: Vault
    subject_id: str
    device: ExportDevice
    csv_out: BackgroundWriter
    splitter: TripSplitter
    config: TripConfig
    counts: _Counts
    # The previous batch's trip fixes, still being made: the splitter takes them once
    # the next batch has been decrypted (or at `finish`), in batch order.
    made: Future[TripFixes] | None = None

    def write(self, rows: list[StoredRow], trip_thread: Executor) -> None:
        if not rows:
            return
        unreadable: list[int] = []  # rows whose key was destroyed: gone for good
        parts = open_row_parts(
            self.session,
            self.vault,
            self.device.id,
            rows,
            subject=self.subject_id,
            unreadable=unreadable,
        )
        self.counts.unreadable += sum(unreadable)
        if not parts:
            return
        arrays = FixArrays.of_parts(parts)
        self.csv_out.write_made(partial(csv_rows, self.device, arrays))
        self.counts.rows += len(arrays)
        making = trip_thread.submit(_trip_fixes, arrays, self.config)
        self.finish()
        self.made = making

    def finish(self) -> None:
        """Hand the trip fixes still being made to the splitter."""
        if self.made is not None:
            made, self.made = self.made, None
            self.splitter.add(made.result())


def csv_rows(device: ExportDevice, fixes: FixArrays) -> bytes:
    """The CSV rows (`CSV_COLUMNS`) of `fixes`, quoted as the csv module would."""
    count = len(fixes)

    def text(value: str) -> TextMatrix:
        return constant(count, value.encode())

    return join_rows(
        [
            text(f"{_csv_field(device.id)},"),
            fixes.time_text,
            text("Z,"),
            decimals(fixes.lat, 6, shortest=True),
            text(","),
            decimals(fixes.lon, 6, shortest=True),
            text(","),
            decimals(fixes.speed, 6, shortest=True),
            text(","),
            decimals(fixes.course, 6, shortest=True),
            text(","),
            decimals(fixes.altitude, 6, shortest=True),
            text(","),
            decimals(fixes.satellites, 0, shortest=True),
            text(","),
            choices(fixes.valid, _FLAG_TEXT),
            text(","),
            decimals(fixes.battery, 6, shortest=True),
            text(","),
            choices(fixes.ignition, _FLAG_TEXT),
            text(","),
            choices(fixes.motion, _FLAG_TEXT),
            text(","),
            _text_column(fixes.alarm, None),
            text(","),
            _text_column(fixes.protocol, device.protocol),
            text(","),
            _attributes_column(fixes.attributes),
            text(","),
            fixes.received_text,
            text("Z\n"),
        ]
    )


def _trip_fixes(fixes: FixArrays, config: TripConfig) -> TripFixes:
    """The usable fixes (`FixArrays.usable`) as the trip splitter takes them."""
    keep = fixes.usable()
    every = bool(keep.all())

    def pick(column: Any) -> Any:
        return column if every else column[keep]

    lat, lon, time_text = pick(fixes.lat), pick(fixes.lon), pick(fixes.time_text)
    moving = moving_flags(
        config, pick(fixes.speed), pick(fixes.ignition), true=TRUE, unknown=UNKNOWN
    )
    points = TrackPoints(lat, lon, time_text, pick(fixes.altitude), pick(fixes.satellites))
    return TripFixes(pick(fixes.time_us), lat, lon, moving, trkpt_lines(points))


def _text_column(values: Coded, default: str | None) -> TextMatrix:
    """A text column (`default` where empty), few distinct values as a rule."""
    texts = [_csv_field(str(v) if v else default).encode() for v in values.values]
    if len(texts) == 1:
        return constant(len(values), texts[0])
    return choices(values.codes, texts)


def _attributes_column(values: Coded) -> TextMatrix:
    if not any(values.values):
        return np.zeros((len(values), 0), np.uint8)
    texts = strings([_csv_field(_dumps(a)) if a else None for a in values.values])
    return texts[values.codes]


def _csv_field(value: str | None) -> str:
    """One field as csv.writer's QUOTE_MINIMAL writes it (and quoted on a CR too)."""
    if value is None:
        return ""
    value = value.replace("\0", "")
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


_FLAG_TEXT = [b"", b"", b""]
_FLAG_TEXT[FALSE], _FLAG_TEXT[TRUE], _FLAG_TEXT[UNKNOWN] = b"false", b"true", b""
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _names_subject(key_ref: str, subject_id: str) -> bool:
    try:
        return subject_of_key_ref(key_ref) == subject_id
    except VaultError:
        return False
