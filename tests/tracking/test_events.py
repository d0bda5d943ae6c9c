"""Arming, geofences and the anti-theft monitor on both backends, and `trackguard antitheft`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from trackguard.clock import fixed_clock
from trackguard.commands.antitheft import app as antitheft_app
from trackguard.errors import Forbidden, NotFound
from trackguard.privacy.audit import AuditLog, list_entries, verify
from trackguard.protocols.base import Alarm, PositionReport
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device, Event, Geofence
from trackguard.tracking import events as antitheft
from trackguard.tracking.events import AntiTheftMonitor
from trackguard.tracking.geo import destination
from trackguard.tracking.geofence import CircleArea, parse_area
from trackguard.tracking.live import LiveHub
from trackguard.tracking.positions import encrypt_position, fix_of, insert_positions


@dataclass(frozen=True)
class CommittedPosition:
    """What the gateway's writer hands the monitor after a commit."""

    device_id: str
    customer_id: str | None
    report: PositionReport


NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SHED = (52.1561, 5.3878)
EMAIL, IMEI = "jan@example.nl", "359339075123456"
OTHER_EMAIL, OTHER_IMEI = "piet@example.nl", "359339075654321"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


def make_customer(runtime: Runtime, email: str, imei: str, *, activated: bool = True) -> str:
    """A customer with one tracker; returns the device id."""
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(created_at=NOW, email_index=vault.blind_index("email", email))
        vault.seal(session, customer, "email", email)
        session.add(customer)
        device = Device(
            customer_id=customer.id if activated else None,
            imei_index=vault.blind_index("imei", imei),
            name="Fiets",
            created_at=NOW,
            activated_at=NOW if activated else None,
        )
        session.add(device)
        session.flush()
        return device.id


@pytest.fixture
def device_id(runtime: Runtime) -> str:
    return make_customer(runtime, EMAIL, IMEI)


def owner(runtime: Runtime, device_id: str) -> str:
    with runtime.db.session() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.customer_id is not None
        return device.customer_id


def at(
    minutes: float, metres: float = 0.0, *, bearing: float = 90.0, **kw: object
) -> PositionReport:
    lat, lon = destination(*SHED, bearing, metres)
    values: dict[str, object] = {
        "protocol": "gt06",
        "device_key": IMEI,
        "time": NOW + timedelta(minutes=minutes),
        "valid": True,
        "latitude": lat,
        "longitude": lon,
    }
    values.update(kw)
    return PositionReport(**values)  # type: ignore[arg-type]


# -- service functions ---------------------------------------------------------------------


def test_arm_and_disarm_are_audited_about_the_owner(runtime: Runtime, device_id: str) -> None:
    customer = owner(runtime, device_id)
    log = AuditLog(runtime.clock)
    with runtime.db.session() as session:
        antitheft.arm(session, device_id, customer_id=customer, audit=log)
    with runtime.db.session() as session:
        assert session.get(Device, device_id).armed is True  # type: ignore[union-attr]
        antitheft.disarm(session, device_id, actor="operator", audit=log)
    with runtime.db.session() as session:
        assert session.get(Device, device_id).armed is False  # type: ignore[union-attr]
        entries = list_entries(session, subject_id=customer)
    assert [(e.actor, e.action) for e in entries] == [
        ("customer", "antitheft.arm"),
        ("operator", "antitheft.disarm"),
    ]
    assert entries[0].categories == ["user.device"]
    assert verify(runtime.db).ok


def test_a_customer_cannot_arm_someone_elses_tracker(runtime: Runtime, device_id: str) -> None:
    other = owner(runtime, make_customer(runtime, OTHER_EMAIL, OTHER_IMEI))
    with pytest.raises(NotFound), runtime.db.session() as session:
        antitheft.arm(session, device_id, customer_id=other)


def test_a_tracker_nobody_activated_cannot_be_armed(runtime: Runtime) -> None:
    stock = make_customer(runtime, OTHER_EMAIL, OTHER_IMEI, activated=False)
    with pytest.raises(Forbidden), runtime.db.session() as session:
        antitheft.arm(session, stock, actor="operator")


def test_geofences_are_stored_encrypted_and_read_back(runtime: Runtime, device_id: str) -> None:
    customer = owner(runtime, device_id)
    area = CircleArea(*SHED, 120.0)
    with runtime.db.session() as session:
        fence = antitheft.add_geofence(session, runtime.vault, customer, "Thuis", area)
        antitheft.link_geofence(session, device_id, fence.id, customer_id=customer)
        antitheft.link_geofence(session, device_id, fence.id, customer_id=customer)  # idempotent
    with runtime.db.session() as session:
        raw = session.get(Geofence, fence.id)
        assert raw is not None and b"CIRCLE" not in raw.area and b"Thuis" not in raw.name
        [view] = antitheft.list_geofences(session, runtime.vault, customer)
    assert (view.name, view.area, view.device_ids) == ("Thuis", area, (device_id,))
    assert view.to_traccar()["area"] == "CIRCLE (52.1561 5.3878, 120)"
    with runtime.db.session() as session:
        assert antitheft.unlink_geofence(session, device_id, fence.id, customer_id=customer)
        antitheft.delete_geofence(session, customer, fence.id)
    with runtime.db.session() as session:
        assert antitheft.list_geofences(session, runtime.vault, customer) == []


def test_a_geofence_links_only_to_its_owners_trackers(runtime: Runtime, device_id: str) -> None:
    other = owner(runtime, make_customer(runtime, OTHER_EMAIL, OTHER_IMEI))
    with runtime.db.session() as session:
        fence = antitheft.add_geofence(
            session, runtime.vault, other, "Werk", CircleArea(*SHED, 50.0)
        )
    with pytest.raises(NotFound), runtime.db.session() as session:
        antitheft.link_geofence(session, device_id, fence.id)


# -- the monitor ---------------------------------------------------------------------------


def batch(
    device_id: str, customer: str | None, *reports: PositionReport
) -> list[CommittedPosition]:
    return [CommittedPosition(device_id, customer, r) for r in reports]


@pytest.mark.anyio
async def test_moving_while_armed_is_stored_and_pushed_live(
    runtime: Runtime, device_id: str
) -> None:
    customer = owner(runtime, device_id)
    hub = LiveHub()
    monitor = AntiTheftMonitor(runtime.db, runtime.vault, hub=hub)
    with hub.subscribe(customer) as live:
        assert await monitor.on_committed(batch(device_id, customer, at(0), at(1, 3))) == []
        with runtime.db.session() as session:
            antitheft.arm(session, device_id, customer_id=customer)
        stored = await monitor.on_committed(batch(device_id, customer, at(5, 4), at(6, 400)))
        assert [e.type for e in stored] == ["deviceMoving"]
        kinds = []
        while live.pending():
            message = await live.get()
            assert message is not None
            kinds.append(message.kind)
    assert kinds == ["position", "position", "position", "position", "event"]
    with runtime.db.session() as session:
        [row] = antitheft.list_events(session, customer_id=customer)
    assert (row.type, row.device_id, row.alert) == ("deviceMoving", device_id, True)
    assert row.fix_time == NOW + timedelta(minutes=6)
    assert (row.email_status, row.webhook_status) == ("skipped", "skipped")  # no notifier
    item = antitheft.traccar_event(row)
    assert set(item) == {"id", "type", "eventTime", "deviceId", "geofenceId", "attributes"}


@pytest.mark.anyio
async def test_geofence_exit_while_disarmed_is_recorded_not_alerted(
    runtime: Runtime, device_id: str
) -> None:
    customer = owner(runtime, device_id)
    with runtime.db.session() as session:
        fence = antitheft.add_geofence(
            session, runtime.vault, customer, "Thuis", CircleArea(*SHED, 100.0)
        )
        antitheft.link_geofence(session, device_id, fence.id)
    monitor = AntiTheftMonitor(runtime.db, runtime.vault)
    await monitor.on_committed(batch(device_id, customer, at(0, 10)))
    stored = await monitor.on_committed(batch(device_id, customer, at(10, 300)))
    assert [(e.type, e.geofence_id, e.alert) for e in stored] == [("geofenceExit", fence.id, False)]


@pytest.mark.anyio
async def test_geofence_changes_apply_from_the_next_batch(runtime: Runtime, device_id: str) -> None:
    customer = owner(runtime, device_id)
    monitor = AntiTheftMonitor(runtime.db, runtime.vault)
    with runtime.db.session() as session:
        fence = antitheft.add_geofence(
            session, runtime.vault, customer, "Thuis", CircleArea(*SHED, 100.0)
        )
        antitheft.link_geofence(session, device_id, fence.id)
    await monitor.on_committed(batch(device_id, customer, at(0, 150)))  # outside
    with runtime.db.session() as session:  # another process grows the circle
        antitheft.update_geofence(
            session,
            runtime.vault,
            customer,
            fence.id,
            area=CircleArea(*SHED, 1_000.0),
            clock=fixed_clock(NOW + timedelta(minutes=1)),
        )
    stored = await monitor.on_committed(batch(device_id, customer, at(2, 160)))
    assert stored == []  # a changed geofence is learnt again, silently
    stored = await monitor.on_committed(batch(device_id, customer, at(3, 1_500)))
    assert [e.type for e in stored] == ["geofenceExit"]


@pytest.mark.anyio
async def test_an_armed_tracker_keeps_its_place_across_a_restart(
    runtime: Runtime, device_id: str
) -> None:
    customer = owner(runtime, device_id)
    parked = at(0, 3)
    with runtime.db.session() as session:
        row = encrypt_position(
            session,
            runtime.vault,
            device_id=device_id,
            customer_id=customer,
            fix_time=parked.time,
            received_at=parked.time,
            fix=fix_of(parked),
        )
        insert_positions(session, [row])
        antitheft.arm(session, device_id, customer_id=customer)
    fresh = AntiTheftMonitor(runtime.db, runtime.vault)  # knows nothing yet
    stored = await fresh.on_committed(batch(device_id, customer, at(30, 300)))
    assert [e.type for e in stored] == ["deviceMoving"]


@pytest.mark.anyio
async def test_alarms_and_unowned_trackers(runtime: Runtime, device_id: str) -> None:
    customer = owner(runtime, device_id)
    stock = make_customer(runtime, OTHER_EMAIL, OTHER_IMEI, activated=False)
    monitor = AntiTheftMonitor(runtime.db, runtime.vault)
    sos = at(0, alarm=Alarm.SOS)
    assert await monitor.on_committed(batch(stock, None, sos)) == []
    stored = await monitor.on_committed(
        batch(device_id, customer, sos, at(0.1, alarm=Alarm.POWER_CUT))
    )
    assert [e.attributes for e in stored] == [{"alarm": "sos"}, {"alarm": "powerCut"}]
    with runtime.db.session() as session:
        rows = session.scalars(select(Event).order_by(Event.time)).all()
    assert [r.attributes["alarm"] for r in rows] == ["sos", "powerCut"]


@pytest.mark.anyio
async def test_the_monitor_never_raises_into_the_writer(
    runtime: Runtime, device_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = owner(runtime, device_id)
    monitor = AntiTheftMonitor(runtime.db, runtime.vault)

    def broken(*_: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(monitor, "_load", broken)
    assert await monitor.on_committed(batch(device_id, customer, at(0, alarm=Alarm.SOS))) == []
    assert monitor.failures == 1


def test_events_are_listed_with_traccar_filters(runtime: Runtime, device_id: str) -> None:
    customer = owner(runtime, device_id)
    with runtime.db.session() as session:
        for minutes, kind in ((0, "alarm"), (5, "deviceMoving"), (9, "alarm")):
            session.add(
                Event(
                    device_id=device_id,
                    customer_id=customer,
                    type=kind,
                    time=NOW + timedelta(minutes=minutes),
                    attributes={},
                )
            )
    with runtime.db.session() as session:
        found = antitheft.list_events(
            session,
            customer_id=customer,
            since=NOW + timedelta(minutes=1),
            types=["alarm", "deviceMoving"],
        )
        assert [e.time.minute for e in found] == [5, 9]
        assert [e.type for e in antitheft.list_events(session, limit=1)] == ["alarm"]


def test_policy_check_covers_the_anti_theft_tables(runtime: Runtime) -> None:
    from trackguard.policy.check import check
    from trackguard.store.base import Base

    report = check(runtime.policy, Base.metadata)
    assert report.ok, [str(f) for f in report.findings]
    for table in ("geofences", "device_geofences", "events", "webhooks"):
        assert runtime.policy.record(table).retention


@pytest.mark.anyio
async def test_slow_live_subscribers_lose_the_oldest_messages_counted() -> None:
    hub = LiveHub(queue_size=3)
    slow, other = hub.subscribe("c1"), hub.subscribe("c2")
    for minute in range(5):
        assert hub.publish_position("c1", "d1", at(minute)) == 1
    assert (slow.dropped, hub.dropped, slow.pending(), other.pending()) == (2, 2, 3, 0)
    first = await slow.get()
    assert first is not None and first.data["fixTime"] == "2026-03-02T02:02:00.000Z"
    slow.close()
    assert hub.subscriber_count("c1") == 0 and hub.publish_position("c1", "d1", at(9)) == 0
    assert [m.kind async for m in slow] == ["position", "position"]
    other.close()


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli(settings: Settings, runtime: Runtime) -> CliRunner:
    return CliRunner(
        env={
            "TRACKGUARD_DATABASE_URL": settings.resolved_database_url,
            "TRACKGUARD_DATA_DIR": str(settings.data_dir),
        }
    )


def test_cli_arm_geofence_and_events(
    cli: CliRunner, runtime: Runtime, device_id: str, tmp_path: Path
) -> None:
    result = cli.invoke(antitheft_app, ["arm", IMEI, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"device": device_id, "armed": True}
    assert IMEI not in result.output

    result = cli.invoke(
        antitheft_app,
        [
            "geofence",
            "add",
            "--customer",
            EMAIL,
            "--name",
            "Thuis",
            "--circle",
            "52.1561,5.3878,150",
        ],
    )
    assert result.exit_code == 0, result.output
    fence_id = result.output.split()[1]
    result = cli.invoke(antitheft_app, ["geofence", "link", IMEI, fence_id])
    assert result.exit_code == 0, result.output
    result = cli.invoke(antitheft_app, ["geofence", "list", "--customer", EMAIL, "--json"])
    assert json.loads(result.output) == [
        {
            "id": fence_id,
            "name": "Thuis",
            "area": "CIRCLE (52.1561 5.3878, 150)",
            "devices": [device_id],
        }
    ]
    result = cli.invoke(
        antitheft_app,
        ["geofence", "add", "--customer", EMAIL, "--name", "Veld", "--polygon",
         "52.15 5.38, 52.16 5.38, 52.16 5.40"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    with runtime.db.session() as session:
        session.add(
            Event(
                device_id=device_id,
                customer_id=owner(runtime, device_id),
                type="alarm",
                time=NOW,
                attributes={"alarm": "sos"},
                alert=True,
                email_status="sent",
                webhook_status="skipped",
            )
        )
    result = cli.invoke(antitheft_app, ["events", "--device", IMEI, "--json"])
    assert result.exit_code == 0, result.output
    [event] = json.loads(result.output)
    assert (event["type"], event["attributes"], event["email"]) == (
        "alarm",
        {"alarm": "sos"},
        "sent",
    )
    result = cli.invoke(antitheft_app, ["events"])
    assert "sos" in result.output and EMAIL not in result.output

    result = cli.invoke(antitheft_app, ["disarm", IMEI])
    assert result.exit_code == 0 and "disarmed" in result.output
    with runtime.db.session() as session:
        actions = [e.action for e in list_entries(session)]
    assert actions == [
        "antitheft.arm",
        "antitheft.geofence.add",
        "antitheft.geofence.link",
        "antitheft.geofence.read",
        "antitheft.geofence.add",
        "antitheft.events.read",
        "antitheft.events.read",
        "antitheft.disarm",
    ]


def test_cli_refuses_unknown_trackers_and_bad_areas(cli: CliRunner, device_id: str) -> None:
    result = cli.invoke(antitheft_app, ["arm", "000000000000000"])
    assert result.exit_code != 0 and isinstance(result.exception, NotFound)
    result = cli.invoke(
        antitheft_app, ["geofence", "add", "--customer", EMAIL, "--name", "X", "--circle", "1,2"]
    )
    assert result.exit_code != 0
    result = cli.invoke(antitheft_app, ["geofence", "add", "--customer", EMAIL, "--name", "X"])
    assert result.exit_code != 0


def test_every_command_help_ends_with_an_example(cli: CliRunner) -> None:
    for command in (
        ["arm"],
        ["disarm"],
        ["events"],
        ["geofence", "add"],
        ["geofence", "link"],
        ["geofence", "list"],
    ):
        result = cli.invoke(antitheft_app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Example: trackguard antitheft" in result.output, command


def test_polygon_area_round_trips_through_the_cli_parser() -> None:
    area = parse_area("POLYGON ((52.15 5.38, 52.16 5.38, 52.16 5.40))")
    assert area.contains(52.158, 5.385)
