"""The writer's payloads read back exactly as the readers' own encoding would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from tests.gateway.helpers import report

from trackguard.gateway.payloads import (
    attributes_json,
    block_columns,
    block_payload,
    fix_time_text,
    single_payload,
)
from trackguard.protocols import teltonika
from trackguard.protocols.base import Alarm, PositionReport, Session
from trackguard.tracking.position_blocks import FIELDS, decode_block, iso_utc_text
from trackguard.tracking.positions import _json_attributes, encode_report_payload

RECEIVED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def teltonika_report() -> PositionReport:
    session = Session()
    teltonika.decode(teltonika.handshake("356938035643809"), session)
    packet = teltonika.avl_packet([teltonika.encode_record(report(3, protocol="teltonika"))])
    return teltonika.decode(packet, session).positions[0]


REPORTS = [
    report(0),
    teltonika_report(),
    PositionReport(
        protocol="h02",
        device_key="1234567890",
        time=datetime(2026, 3, 1, 7, 0, 0, 123456, tzinfo=UTC),
        valid=False,
        latitude=-33.123456789,
        longitude=151.987654321,
        speed=12.345,
        course=359.96,
        altitude=-4.44,
        satellites=0,
        battery=17.5,
        ignition=True,
        motion=False,
        alarm=Alarm.SOS,
        attributes={
            "cell": {"mcc": 204, "lac": [1, 2]},
            "raw": b"\x01\xff",
            "ratio": float("nan"),
            "name": "caf\u00e9",
            "huge": 2**70,  # beyond orjson's 64 bits: the standard encoder takes over
        },
    ),
]


@pytest.mark.parametrize("fix", REPORTS, ids=["gt06", "teltonika", "odd-values"])
def test_a_single_payload_holds_what_the_readers_encoding_holds(fix: PositionReport) -> None:
    assert json.loads(single_payload(fix)) == json.loads(encode_report_payload(fix))


def test_block_columns_hold_each_fixs_fields_with_null_for_what_it_lacks() -> None:
    fixes = [(fix, RECEIVED + timedelta(seconds=n)) for n, fix in enumerate(REPORTS)]
    columns = block_columns(fixes)
    for index, (fix, _) in enumerate(fixes):
        expected = json.loads(encode_report_payload(fix))
        assert {name: columns.columns[name][index] for name in FIELDS} == {
            name: expected.get(name) for name in FIELDS
        }
    assert columns.time[2] == "2026-03-01T07:00:00.123456"
    assert columns.received == [
        "2026-03-01T08:00:00.000000",
        "2026-03-01T08:00:01.000000",
        "2026-03-01T08:00:02.000000",
    ]


def test_a_block_payload_decodes_as_a_block_of_its_fixes() -> None:
    columns = block_columns([(fix, RECEIVED) for fix in REPORTS[:2]])
    assert decode_block(block_payload(columns), 2) == columns


def test_fix_time_text_is_the_blocks_time_text_for_any_zone() -> None:
    utc = datetime(2026, 3, 1, 7, 0, 5, 120, tzinfo=UTC)
    for moment in (utc, utc.astimezone(timezone(timedelta(hours=2))), utc.replace(tzinfo=None)):
        assert fix_time_text(moment) == iso_utc_text(moment) == "2026-03-01T07:00:05.000120"


@pytest.mark.parametrize("fixes", [2, 40, 400], ids=["small", "kilobytes", "beyond-32-KiB"])
def test_a_block_payload_of_any_size_decodes_as_its_fixes(fixes: int) -> None:
    # The compression window follows the document's size: each must still read back.
    columns = block_columns([(report(n), RECEIVED) for n in range(fixes)])
    assert decode_block(block_payload(columns), fixes) == columns


@pytest.mark.parametrize("fix", REPORTS, ids=["gt06", "teltonika", "odd-values"])
def test_attributes_are_made_json_safe_as_the_readers_encoding_makes_them(
    fix: PositionReport,
) -> None:
    assert attributes_json(fix.attributes) == _json_attributes(fix.attributes)
    assert attributes_json({1: "not a text key"}) == _json_attributes({1: "not a text key"})  # type: ignore[dict-item]
