"""What the batch writer encrypts: a fix's payload fields, alone or as a block's columns.

Pure values, no I/O. The fields and their rounding are those of
`tracking.positions.encode_report_payload` (the readers' format); a test holds
the two together. The single payload is serialised with orjson (sorted keys,
several times faster than the standard library's encoder, the writer's largest
cost per fix); a value orjson refuses (an integer beyond 64 bits in a protocol
attribute) falls back to the standard encoder, so no fix is ever unstorable here.
"""

from __future__ import annotations

import operator
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

import orjson

from trackguard.protocols.base import PositionReport
from trackguard.tracking.position_blocks import (
    BLOCK_FORMAT,
    FixColumns,
    encode_block,
    iso_utc_text,
)
from trackguard.tracking.positions import _json_attributes, encode_report_payload, report_values

_BLOCK_ZLIB_LEVEL = 1
_ZERO = timedelta(0)
_COLUMN_FIELDS = operator.attrgetter(
    "latitude",
    "longitude",
    "speed",
    "course",
    "altitude",
    "satellites",
    "valid",
    "battery",
    "ignition",
    "motion",
    "alarm",
)
_COLUMN_COUNT = 11
_SCALAR_TYPES = frozenset((str, int, bool, type(None)))  # = positions._SCALARS
_TEXT = frozenset((str,))


def fix_values(report: PositionReport) -> dict[str, Any]:
    """The payload fields of `report`, as `tracking.positions` stores them."""
    return report_values(report, attributes_json)


def fix_time_text(moment: datetime) -> str:
    """`iso_utc_text(moment)`; one C call for the usual UTC time (a gateway checked it)."""
    if moment.tzinfo is UTC or moment.utcoffset() == _ZERO:
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
    # Transposed in C (attrgetter, zip) and rounded column by column as `fix_values`
    # rounds each field: no dict and few Python-level steps per fix.
    fields = list(zip(*map(_COLUMN_FIELDS, reports), strict=True)) or [()] * _COLUMN_COUNT
    (lat, lon, speed, course, altitude, satellites, valid, battery, ignition, motion, alarm) = (
        fields
    )
    columns: dict[str, list[Any]] = {
        "lat": list(map(round, lat, repeat(6))),
        "lon": list(map(round, lon, repeat(6))),
        "speed": list(map(round, speed, repeat(1))),
        "course": [None if c is None else round(c, 1) % 360 for c in course],
        "altitude": (
            list(map(round, altitude, repeat(1)))
            if None not in altitude
            else [None if a is None else round(a, 1) for a in altitude]
        ),
        "satellites": list(satellites),
        "valid": list(valid),
        "battery": list(battery),
        "ignition": list(ignition),
        "motion": list(motion),
        "alarm": [None if a is None else str(a) for a in alarm],
        "protocol": [r.protocol for r in reports],
        "attributes": [attributes_json(r.attributes) if r.attributes else None for r in reports],
    }
    return FixColumns(
        list(times) if times is not None else [fix_time_text(r.time) for r in reports],
        [received[at] for _, at in fixes],
        columns,
    )


def attributes_json(attributes: Mapping[str, object]) -> dict[str, Any]:
    """`positions._json_attributes`, with the usual case (text keys, scalar values)
    checked by set operations in C instead of two Python-level passes."""
    if _SCALAR_TYPES.issuperset(map(type, attributes.values())) and _TEXT.issuperset(
        map(type, attributes)
    ):
        return dict(attributes)
    return _json_attributes(attributes)


def _zlib_window_bits(size: int) -> int:
    """The smallest zlib window (2**9 .. 2**15 bytes) that holds `size` bytes: a
    block of one packet is a kilobyte or two, and setting up the default 32 KiB
    window and hash table costs several times more than compressing it."""
    return max(9, min(15, (size - 1).bit_length()))


def block_payload(columns: FixColumns) -> bytes:
    """`position_blocks.encode_block`'s document, serialised by orjson and compressed fast.

    The readers decode it alike (`zlib.decompress` reads the window size from the
    stream); zlib level 1 instead of 6 costs a few per cent of size and saves most of
    the compression time (compaction rewrites customers' hours at its own level later).
    """
    document: dict[str, Any] = {"v": BLOCK_FORMAT, "t": columns.time, "r": columns.received}
    document.update(columns.columns)
    try:
        encoded = orjson.dumps(document)
    except orjson.JSONEncodeError:
        return encode_block(columns)
    bits = _zlib_window_bits(len(encoded))
    compressor = zlib.compressobj(_BLOCK_ZLIB_LEVEL, zlib.DEFLATED, bits, max(1, bits - 7))
    return compressor.compress(encoded) + compressor.flush()
