"""write_export on a seeded database (SQLite and PostgreSQL): what the ZIP holds, that it
is the subject's data only, decrypted, explained from the policy, recorded and audited."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import stat
import zipfile
from collections.abc import Callable
from datetime import datetime
from html import escape
from pathlib import Path
from xml.etree.ElementTree import Element

import gpxpy
import pytest
from sqlalchemy import or_, select

from trackguard.demo.generate import DEMO_EMAIL
from trackguard.demo.seed import SeedReport
from trackguard.errors import NotFound, TrackguardError
from trackguard.policy.render import format_article, format_period
from trackguard.privacy.audit import verify
from trackguard.privacy.export import ExportResult, portable, write_export
from trackguard.privacy.export.archive import ExportArchive
from trackguard.runtime import Runtime
from trackguard.store.models import (
    AuditEntry,
    CallRecording,
    ChatMessage,
    Customer,
    Device,
    ExportFile,
    Position,
)
from trackguard.store.subject_tables import subject_tables
from trackguard.tracking.positions import read_positions
from trackguard.tracking.trips import Fix, detect


def _members(result: ExportResult) -> dict[str, bytes]:
    with zipfile.ZipFile(result.path) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


def _export_rows(runtime: Runtime) -> set[str]:
    with runtime.db.session() as session:
        return set(session.scalars(select(ExportFile.id)))


def _customers(runtime: Runtime) -> list[Customer]:
    with runtime.db.session() as session:
        return list(session.scalars(select(Customer).order_by(Customer.id)))


def _personal_values(runtime: Runtime, customer_id: str) -> set[str]:
    """Identifying values of one customer: ids, decrypted contact data, device ids."""
    with runtime.db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        values = {customer.id}
        for column in ("email", "first_name", "last_name", "phone", "billing_address"):
            value = runtime.vault.unseal(session, customer, column)
            if value:
                values.add(value)
        values |= set(session.scalars(select(Device.id).where(Device.customer_id == customer_id)))
    return values


def test_access_export_holds_every_member_privately_named_and_recorded(
    runtime: Runtime, seeded: SeedReport
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    result = write_export(runtime, subject, lang="en")
    members = _members(result)
    assert {"index.html", "data.json", "positions.csv", "tracks.gpx"} <= set(members)
    assert any(name.startswith("files/call_recordings/") for name in members)
    exports = runtime.settings.exports_dir
    assert re.fullmatch(r"export-[0-9a-f]{32}\.zip", result.path.name)
    assert result.path.parent == exports
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(exports.stat().st_mode) == 0o700
    assert [p.name for p in exports.iterdir()] == [result.path.name]  # no .part, no work dir
    assert result.size_bytes == result.path.stat().st_size
    with runtime.db.session() as session:
        row = session.get(ExportFile, result.export_id)
        assert row is not None
        assert (row.customer_id, row.file_name) == (subject, result.path.name)
        assert (row.size_bytes, row.sha256, row.id) == (
            result.size_bytes,
            result.sha256,
            result.export_id,
        )
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry is not None
        assert (entry.subject_id, entry.purpose, entry.action) == (
            subject,
            "privacy_rights",
            "export.access",
        )
        assert "user.location.precise" in entry.categories
        assert verify(session).ok
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.sha256


def test_data_json_holds_the_decrypted_records_and_no_credentials(
    runtime: Runtime, seeded: SeedReport
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    result = write_export(runtime, subject)
    members = _members(result)
    data = json.loads(members["data.json"])
    assert data["subject"] == {"id": subject}
    records = {r["table"]: r for r in data["records"]}
    expected_tables = {
        t.name for t in subject_tables() if t.name not in ("consent_events", "rights_requests")
    }
    assert set(records) == expected_tables
    assert {"customers", "positions", "devices", "device_geofences", "call_recordings"} <= set(
        records
    )
    assert not set(records) & {"vault_meta", "retention_runs", "business_accounts"}
    customer = records["customers"]["rows"][0]
    assert customer["email"] == DEMO_EMAIL
    assert (
        "password_hash" not in customer and "password_hash" not in records["customers"]["columns"]
    )
    assert records["customers"]["columns"]["email"] == "user.contact.email"
    assert "user.contact.email" in records["customers"]["categories"]
    assert b"$argon2" not in members["data.json"]
    with runtime.db.session() as session:
        chats = session.scalars(select(ChatMessage).where(ChatMessage.customer_id == subject))
        bodies = {runtime.vault.unseal(session, m, "body") for m in chats}
        call = session.scalars(
            select(CallRecording).where(CallRecording.customer_id == subject)
        ).first()
        assert call is not None
        audio = runtime.vault.unseal_bytes(session, call, "audio")
    assert bodies and {r["body"] for r in records["chat_messages"]["rows"]} == bodies
    exported_call = next(r for r in records["call_recordings"]["rows"] if r["id"] == call.id)
    assert members[exported_call["audio"]["file"]] == audio
    assert exported_call["audio"]["media_type"] == call.media_type
    assert records["positions"]["count"] == result.counts["positions"]
    assert records["positions"]["rows_in"] == ["positions.csv", "tracks.gpx"]
    # Consents and requests have their own sections; a request carries its history.
    assert data["consents"]["events"] and all(
        e["customer_id"] == subject for e in data["consents"]["events"]
    )
    latest = max(data["consents"]["events"], key=lambda e: e["at"])
    assert data["consents"]["current"][latest["purpose"]]["given"] == latest["given"]
    assert data["requests"] and all("request_events" in r for r in data["requests"])


def test_positions_and_tracks_are_every_stored_fix_and_one_track_per_trip(
    runtime: Runtime, seeded: SeedReport, gpx11: Callable[[bytes], Element]
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    result = write_export(runtime, subject)
    members = _members(result)
    rows = list(csv.DictReader(io.StringIO(members["positions.csv"].decode())))
    with runtime.db.session() as session:
        devices = list(session.scalars(select(Device.id).where(Device.customer_id == subject)))
        stored = {device: read_positions(session, runtime.vault, device) for device in devices}
        assert session.scalars(select(Position).where(Position.device_id.in_(devices))).all()
    assert len(rows) == sum(len(p) for p in stored.values()) == result.counts["positions"]
    first = stored[rows[0]["device_id"]][0]
    assert rows[0]["time"].endswith("Z")
    assert datetime.fromisoformat(rows[0]["time"].replace("Z", "+00:00")) == first.time
    assert (float(rows[0]["latitude"]), float(rows[0]["longitude"])) == (
        first.fix.lat,
        first.fix.lon,
    )
    gpx11(members["tracks.gpx"])
    parsed = gpxpy.parse(members["tracks.gpx"].decode())
    trips = [
        trip
        for device in sorted(devices)
        for trip in detect(
            Fix(p.time, p.fix.lat, p.fix.lon, p.fix.speed, p.fix.valid) for p in stored[device]
        ).trips
    ]
    assert len(trips) > 1
    assert len(parsed.tracks) == len(trips) == result.counts["tracks"]
    for track, trip in zip(parsed.tracks, trips, strict=True):
        points = track.segments[0].points
        assert len(points) == trip.fix_count
        assert (points[0].time, points[-1].time) == (trip.start_time, trip.end_time)


def test_other_customers_data_never_appears(runtime: Runtime, seeded: SeedReport) -> None:
    subject = seeded.demo_customer_id
    others = [c.id for c in _customers(runtime) if c.id != subject]
    assert others
    result = write_export(runtime, subject)  # type: ignore[arg-type]
    blob = b"\n".join(_members(result).values())
    for other in others:
        for value in _personal_values(runtime, other):
            assert value.encode() not in blob


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_index_explains_each_category_held_from_the_policy(
    runtime: Runtime, seeded: SeedReport, lang: str
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    page = _members(write_export(runtime, subject, lang=lang))["index.html"].decode()
    policy = runtime.policy
    assert f'<html lang="{lang}">' in page
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert policy.right("access").name.get(lang) in page
    for table in ("customers", "positions", "orders", "chat_messages"):
        record = policy.record(table)
        assert escape(record.name.get(lang)) in page
        for key in record.purposes:
            purpose = policy.purpose(key)
            basis = policy.legal_basis(purpose.legal_basis)
            if any(c in purpose.categories for c in record.categories):
                assert escape(purpose.name.get(lang)) in page
                assert escape(basis.name.get(lang)) in page
                assert escape(format_article(basis.article, lang)) in page
        for rule in policy.rules_for(table):
            assert escape(rule.name.get(lang)) in page
            assert escape(format_period(rule.period, lang)) in page
    location = policy.category("user.location.precise")
    assert escape(location.name.get(lang)) in page
    other = "nl" if lang == "en" else "en"
    assert escape(policy.record("positions").name.get(other)) not in page


def test_index_follows_the_customers_language(runtime: Runtime, seeded: SeedReport) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    with runtime.db.session() as session:
        customer = session.get(Customer, subject)
        assert customer is not None
        customer.language = "en"
    result = write_export(runtime, subject)
    assert result.lang == "en"
    assert '<html lang="en">' in _members(result)["index.html"].decode()


def test_portability_export_is_the_portable_subset_and_says_so(
    runtime: Runtime, seeded: SeedReport
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    result = write_export(runtime, subject, kind="portability", lang="en")
    members = _members(result)
    data = json.loads(members["data.json"])
    tables = {r["table"] for r in data["records"]}
    policy = runtime.policy
    assert tables == {t.name for t in subject_tables() if portable(policy, t.name)}
    assert {"customers", "positions", "orders"} <= tables
    assert not tables & {"chat_messages", "third_party_data", "audit_entries", "web_visits"}
    assert "consents" not in data and "requests" not in data
    assert not any(name.startswith("files/") for name in members)
    assert {"positions.csv", "tracks.gpx"} <= set(members)
    page = members["index.html"].decode()
    assert policy.right("portability").name.get("en") in page
    assert "machine-readable" in page
    with runtime.db.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "export.portability" in actions


def test_destroyed_keys_leave_fields_unreadable_not_the_export_broken(
    runtime: Runtime, seeded: SeedReport
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    with runtime.db.session() as session:
        runtime.vault.destroy_keys(session, subject, ["profile", "location"])
    result = write_export(runtime, subject)
    members = _members(result)
    customer = next(
        r for r in json.loads(members["data.json"])["records"] if r["table"] == "customers"
    )["rows"][0]
    assert customer["email"] is None and "email" in customer["unreadable"]
    assert DEMO_EMAIL.encode() not in b"".join(members.values())
    assert result.counts.get("positions", 0) == 0
    assert members["positions.csv"].decode().count("\n") == 1  # the header only


def test_bad_requests_write_nothing(runtime: Runtime, seeded: SeedReport) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    before = _export_rows(runtime)
    with pytest.raises(NotFound):
        write_export(runtime, "0" * 32)
    with pytest.raises(TrackguardError, match="language"):
        write_export(runtime, subject, lang="de")
    with pytest.raises(TrackguardError, match="kind"):
        write_export(runtime, subject, kind="everything")  # type: ignore[arg-type]
    exports = runtime.settings.exports_dir
    assert not exports.exists() or not any(exports.iterdir())
    assert _export_rows(runtime) == before


def test_an_export_that_fails_midway_leaves_no_file(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    with pytest.raises(RuntimeError), ExportArchive(exports) as archive:
        with archive.zip.open("positions.csv", "w") as member:
            member.write(b"device_id,time\n" * 1000)
        raise RuntimeError("killed")
    assert list(exports.iterdir()) == []
    assert not archive.path.exists()


def test_positions_a_tracker_recorded_before_it_was_the_subjects_stay_out(
    runtime: Runtime, seeded: SeedReport
) -> None:
    """A tracker handed to the subject keeps its earlier positions under the key they were
    written with (a previous owner's, or the fleet's): they are not the subject's data."""
    subject = seeded.demo_customer_id
    assert subject is not None
    before = write_export(runtime, subject).counts["positions"]
    with runtime.db.session() as session:
        device = session.scalars(
            select(Device)
            .where(or_(Device.customer_id.is_(None), Device.customer_id != subject))
            .where(Device.id.in_(select(Position.device_id)))
            .order_by(Device.id)
        ).first()
        assert device is not None
        device.customer_id = subject
        device_id = device.id
    result = write_export(runtime, subject)
    members = _members(result)
    assert result.counts["positions"] == before
    assert device_id not in members["positions.csv"].decode()
    positions = next(
        r for r in json.loads(members["data.json"])["records"] if r["table"] == "positions"
    )
    assert positions["unreadable"] == 0  # skipped as someone else's, not tried and failed
