"""`trackguard devices add|list|activate` and `trackguard positions IMEI --json` (audited)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.cli_helpers import Run, cli_env, cli_runner

from trackguard.errors import Forbidden, TrackguardError
from trackguard.gateway.writer import PositionWriter
from trackguard.privacy.audit import list_entries, verify
from trackguard.protocols.base import PositionReport
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer

IMEI = "356938035643809"
START = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
EMAIL = "jan@example.nl"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


@pytest.fixture
def run(settings: Settings, runtime: Runtime) -> Run:
    return cli_runner(cli_env(settings))


def fix(n: int) -> PositionReport:
    return PositionReport(
        protocol="gt06",
        device_key=IMEI,
        time=START + timedelta(minutes=n),
        valid=True,
        latitude=52.2 + n * 0.001,
        longitude=5.4 + n * 0.001,
        speed=20.0,
        course=180.0,
        altitude=2.5,
        satellites=7,
        battery=64.0,
    )


def store(runtime: Runtime, reports: list[PositionReport]) -> None:
    async def write() -> None:
        async with PositionWriter.from_runtime(runtime) as writer:
            await writer.store(reports)

    asyncio.run(write())


def test_positions_json_has_the_fields_the_issue_names(run: Run, runtime: Runtime) -> None:
    store(runtime, [fix(n) for n in range(3)])
    result = run("positions", IMEI, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["time"] for r in rows] == [fix(n).time.isoformat() for n in range(3)]
    first = rows[0]
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert first["valid"] is True
    assert (first["latitude"], first["longitude"]) == (52.2, 5.4)
    assert first["speed"] == 20.0  # km/h
    assert first["course"] == 180.0
    assert first["protocol"] == "gt06"
    assert (first["altitude"], first["satellites"], first["battery"]) == (2.5, 7, 64.0)


def test_reading_positions_is_audited_as_the_operator(run: Run, runtime: Runtime) -> None:
    store(runtime, [fix(0)])
    assert run("positions", IMEI, "--json").exit_code == 0
    with runtime.db.session() as session:
        entry = list_entries(session, limit=1)[-1]
    assert (entry.actor, entry.role, entry.action) == ("operator", "operator", "positions.read")
    assert entry.purpose == "device_operations"  # nobody's tracker
    assert entry.subject_id is None
    assert entry.categories == ["user.location.precise"]
    assert purpose_is_in_policy(runtime, entry.purpose)
    assert verify(runtime.db).ok


def purpose_is_in_policy(runtime: Runtime, key: str) -> bool:
    return key in {p.key for p in runtime.policy.purposes_for("positions")}


def test_from_and_to_select_a_window(run: Run, runtime: Runtime) -> None:
    store(runtime, [fix(n) for n in range(5)])
    result = run(
        "positions", IMEI, "--from", "2026-03-01T07:01:00Z", "--to", "2026-03-01T09:03:00+02:00"
    )
    assert result.exit_code == 0, result.output
    result = run(
        "positions", IMEI, "--json", "--from", "2026-03-01T07:01:00", "--to", "2026-03-01T07:03:00"
    )
    assert [r["time"] for r in json.loads(result.output)] == [
        fix(1).time.isoformat(),
        fix(2).time.isoformat(),
    ]
    bad = run("positions", IMEI, "--from", "yesterday")
    assert isinstance(bad.exception, TrackguardError)


def test_a_purpose_the_policy_does_not_allow_is_refused(run: Run, runtime: Runtime) -> None:
    store(runtime, [fix(0)])
    result = run("positions", IMEI, "--json", "--purpose", "direct_marketing")
    assert isinstance(result.exception, Forbidden)
    assert "52.2" not in result.output


def test_devices_add_activate_list(run: Run, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        customer = Customer(created_at=START, email_index=runtime.vault.blind_index("email", EMAIL))
        session.add(customer)
        session.flush()
        customer_id = customer.id

    added = run("devices", "add", IMEI, "--protocol", "gt06", "--json")
    assert added.exit_code == 0, added.output
    code = json.loads(added.output)["activation_code"]

    listed = run("devices", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [device] = json.loads(listed.output)
    assert IMEI not in listed.output
    assert device["activated"] is False and device["owner"] is None
    assert device["protocol"] == "gt06" and device["pseudonym"].startswith("dev-")

    wrong = run("devices", "activate", IMEI, "--customer", EMAIL, "--code", "AAAA-AAAA-AAAA")
    assert isinstance(wrong.exception, Forbidden)
    done = run("devices", "activate", IMEI, "--customer", EMAIL, "--code", code)
    assert done.exit_code == 0, done.output
    assert customer_id in done.output

    [device] = json.loads(run("devices", "list", "--json").output)
    assert device["activated"] is True and device["owner"] == customer_id

    store(runtime, [fix(10)])
    assert run("positions", IMEI, "--json").exit_code == 0
    with runtime.db.session() as session:
        entry = list_entries(session, limit=1)[-1]
        assert entry.subject_id == customer_id and entry.purpose == "service_delivery"
        activation = [e for e in list_entries(session) if e.action == "devices.activate"]
        assert activation[0].subject_id == customer_id


def test_the_fleet_key_can_be_rotated_by_hand(run: Run) -> None:
    first = run("devices", "rotate-fleet-key")
    second = run("devices", "rotate-fleet-key")
    assert "version 1" in first.output and "version 2" in second.output
