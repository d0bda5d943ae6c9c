"""Traccar JSON shapes from plain values: the column fast path says exactly what
`position_json` says, and the response encoder writes what Starlette's would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from starlette.responses import JSONResponse

from trackguard.tracking.position_blocks import FIELDS, FixColumns, iso_utc_text
from trackguard.tracking.positions import PositionFix, encode_position_payload, stored_positions
from trackguard.web.traccar.ids import position_id, split_position_id
from trackguard.web.traccar.responses import json_bytes
from trackguard.web.traccar.serialize import column_positions_json, iso, position_json

START = datetime(2026, 3, 1, 23, 59, 58, 987654, tzinfo=UTC)  # crosses an hour and a day
FIXES = [
    PositionFix(52.1, 4.3, 40.0, 90.5, 3.0, 9, True, 87.0, ignition=True, protocol="gt06"),
    PositionFix(52.2, 4.4, 0.0, None, None, None, False, None),
    PositionFix(
        52.3,
        4.5,
        12.3,
        359.9,
        -1.5,
        4,
        True,
        12.0,
        motion=False,
        alarm="sos",
        attributes={"odometer": 1234, "io": "a1"},
    ),
]


def _columns() -> FixColumns:
    """FIXES as a block decodes: each field a column, absent values null, times as text."""
    payloads = [json.loads(encode_position_payload(fix)) for fix in FIXES]  # as stored
    moments = [START + timedelta(seconds=1.5 * n) for n in range(len(FIXES))]
    return FixColumns(
        [iso_utc_text(m) for m in moments],
        [iso_utc_text(m + timedelta(seconds=2)) for m in moments],
        {name: [p.get(name) for p in payloads] for name in FIELDS},
    )


def test_column_positions_say_what_position_json_says() -> None:
    found = _columns()
    expected = [
        position_json(
            device_number=7,
            fix_time=p.time,
            server_time=p.received_at,
            fix=p.fix,
            protocol="osmand",
        )
        for p in stored_positions("d1", found)
    ]
    fast = column_positions_json(7, "osmand", found)
    assert fast == expected
    assert [list(item) for item in fast] == [list(item) for item in expected]  # key order too
    assert [p["protocol"] for p in expected] == ["gt06", "osmand", "osmand"]
    assert expected[2]["attributes"] == {
        "odometer": 1234,
        "io": "a1",
        "batteryLevel": 12.0,
        "sat": 4,
        "motion": False,
        "alarm": "sos",
    }


def test_position_ids_and_times_are_traccars() -> None:
    found = _columns()
    first, second, _ = column_positions_json(3, None, found)
    assert first["fixTime"] == first["deviceTime"] == "2026-03-01T23:59:58.987Z"
    assert second["fixTime"] == "2026-03-02T00:00:00.487Z"
    assert second["serverTime"] == "2026-03-02T00:00:02.487Z"
    assert split_position_id(second["id"]) == (3, datetime(2026, 3, 2, tzinfo=UTC))
    assert first["id"] == position_id(3, START)
    assert iso(START) == "2026-03-01T23:59:58.987Z"
    assert iso(START.replace(tzinfo=None)) == "2026-03-01T23:59:58.987Z"  # naive: UTC


def test_json_bytes_match_starlettes_encoding() -> None:
    found = _columns()
    body = {"positions": column_positions_json(1, "h02", found), "name": "Fietsje één"}
    assert json.loads(json_bytes(body)) == json.loads(JSONResponse(body).body)
    assert "één".encode() in json_bytes(body)  # UTF-8, not \\u escapes
    huge = {"attributes": {"counter": 2**70}}  # beyond orjson's 64-bit integers
    assert json.loads(json_bytes(huge)) == huge
