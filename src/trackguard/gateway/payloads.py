"""What the batch writer encrypts: a fix's payload fields, alone or as a block's columns.

Pure values, no I/O. The fields and their rounding are those of
`tracking.positions.encode_report_payload` (the readers' format); a test holds
the two together. The single payload is serialised with orjson (sorted keys,
several times faster than the standard library's encoder, the writer's largest
cost per fix); a value orjson refuses (an integer beyond 64 bits in a protocol
attribute) falls back to the standard encoder, so no fix is ever unstorable here.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from trackguard.protocols.base import PositionReport
from trackguard.tracking.position_blocks import (
    BLOCK_FORMAT,
    FixColumns,
    encode_block,
    iso_utc_text,
)
from trackguard.tracking.positions import _json_attributes, encode_report_payload

_BLOCK_ZLIB_LEVEL = 1
_ZERO = timedelta(0)


def fix_values(report: PositionReport) -> dict[str, Any]:
    """The payload fields of `report` (optional ones only when the device sent them)."""
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
        values["attributes"] = _json_attributes(report.attributes)
    return values


def fix_time_text(moment: datetime) -> str:
    """`iso_utc_text(moment)`; one C call for the usual UTC time (a gateway checked it)."""
    if moment.utcoffset() == _ZERO:
        return moment.isoformat(timespec="microseconds")[:26]  # without "+00:00"
    return iso_utc_text(moment)


def single_payload(report: PositionReport) -> bytes:
    """The plaintext of a single-fix row: the fields as JSON with sorted keys."""
    try:
        return orjson.dumps(fix_values(report), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return encode_report_payload(report)


def block_columns(
    fixes: Sequence[tuple[PositionReport, datetime]], times: Sequence[str] | None = None
) -> FixColumns:
    """The columns of a block of (report, received at) pairs, already in fix time order.

    `times`: the fixes' `iso_utc_text` times when the caller has them already.
    """
    reports = [report for report, _ in fixes]
    received: dict[datetime, str] = {}  # a packet's fixes share one receiving time
    for _, at in fixes:
        if at not in received:
            received[at] = fix_time_text(at)
    # Column by column, as `fix_values` rounds each field: no dict per fix on the way.
    columns: dict[str, list[Any]] = {
        "lat": [round(r.latitude, 6) for r in reports],
        "lon": [round(r.longitude, 6) for r in reports],
        "speed": [round(r.speed, 1) for r in reports],
        "course": [None if r.course is None else round(r.course, 1) % 360 for r in reports],
        "altitude": [None if r.altitude is None else round(r.altitude, 1) for r in reports],
        "satellites": [r.satellites for r in reports],
        "valid": [r.valid for r in reports],
        "battery": [r.battery for r in reports],
        "ignition": [r.ignition for r in reports],
        "motion": [r.motion for r in reports],
        "alarm": [None if r.alarm is None else str(r.alarm) for r in reports],
        "protocol": [r.protocol for r in reports],
        "attributes": [_json_attributes(r.attributes) if r.attributes else None for r in reports],
    }
    return FixColumns(
        list(times) if times is not None else [fix_time_text(r.time) for r in reports],
        [received[at] for _, at in fixes],
        columns,
    )


def block_payload(columns: FixColumns) -> bytes:
    """`position_blocks.encode_block`'s document, serialised by orjson and compressed fast.

    The readers decode it alike; zlib level 1 instead of 6 costs a few per cent of
    size and saves most of the compression time (compaction rewrites customers'
    hours at its own level later).
    """
    document: dict[str, Any] = {"v": BLOCK_FORMAT, "t": columns.time, "r": columns.received}
    document.update(columns.columns)
    try:
        encoded = orjson.dumps(document)
    except orjson.JSONEncodeError:
        return encode_block(columns)
    return zlib.compress(encoded, _BLOCK_ZLIB_LEVEL)
