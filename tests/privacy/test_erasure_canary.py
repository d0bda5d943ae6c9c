"""After erasure nothing identifying the subject can be read: a canary proves it.

A unique random value is planted in every personal field of one subject (and
their positions sit around a unique coordinate); an export ZIP is made for them.
After `erase_subject` the canary is searched for in every column of every table,
in the SQLite files, in the exports directory and in everything logged; every
ciphertext of theirs that is still stored must refuse to decrypt (KeyDestroyed).
Each search is first shown to find the canary before erasure, so it cannot pass
by looking in the wrong place.
"""

from __future__ import annotations

import json
import logging
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, select, text
from sqlalchemy.engine import make_url

from trackguard.clock import fixed_clock
from trackguard.errors import KeyDestroyed
from trackguard.privacy.audit import AuditLog, verify
from trackguard.privacy.erasure import erase_subject
from trackguard.privacy.requests.outbox import Outbox
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.base import Base, new_id
from trackguard.store.models import (
    CallRecording,
    ChatMessage,
    Complaint,
    ConsentEvent,
    Customer,
    Device,
    DeviceGeofence,
    EmailMessage,
    Event,
    ExportFile,
    Geofence,
    IdentityDocument,
    Order,
    OutboxMessage,
    Payment,
    Position,
    RightsRequest,
    SurveyAnswer,
    ThirdPartyData,
    Webhook,
    WebVisit,
    WhatsAppConversation,
)
from trackguard.tracking.devices import mark_seen
from trackguard.tracking.positions import (
    PartitionKeeper,
    PositionFix,
    encrypt_position,
    insert_positions,
    position_row_binding,
    subject_of_key_ref,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
POSITIONS = 40
KEPT_SUBJECT, KEPT_COMPLAINT = "Order 1234 never arrived", "The parcel was left in the rain."


@dataclass
class Planted:
    """One subject with a canary in every personal field."""

    canary: str
    coordinate: str  # the unique latitude to 4 decimals, as any plaintext of a fix starts
    customer_id: str
    device_id: str
    imei: str
    imei_index: str
    request_id: str


def make_canary() -> str:
    return "cnry" + secrets.token_hex(10)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


def _sealed(session: Any, runtime: Runtime, obj: object, **values: str | bytes) -> None:
    for column, value in values.items():
        runtime.vault.seal(session, obj, column, value)


def plant_subject(runtime: Runtime, canary: str, *, positions: int = POSITIONS) -> Planted:
    """Store a customer with the canary in every personal field the schema has."""
    vault, c = runtime.vault, canary
    # A unique spot to 4 decimals (about 10 m); the fixes spread only below that.
    spot = 52.0 + secrets.randbelow(9000) / 1e4
    lat, lon = spot + 1e-5, 5.0 + secrets.randbelow(9000) / 1e4
    email = f"{c}@example.nl"
    imei = "35" + "".join(str(secrets.randbelow(10)) for _ in range(13))
    with runtime.db.session() as session:
        customer = Customer(
            created_at=NOW - timedelta(days=400),
            email_index=vault.blind_index("email", email),
            password_hash=f"$argon2id${c}-hash",
            language="en",
            last_login_at=NOW - timedelta(days=1),
            last_app_use_at=NOW - timedelta(days=2),
        )
        session.add(customer)
        _sealed(
            session,
            runtime,
            customer,
            email=email,
            first_name=f"{c}-first",
            last_name=f"{c}-last",
            birth_date=f"{c}-1980-01-01",
            birthplace=f"{c}-Amersfoort",
            nationality=f"{c}-NL",
            billing_address=f"{c}-Einsteinweg 1",
            postal_address=f"{c}-Postbus 2",
            phone=f"{c}-0612345678",
            ip_address=f"{c}-192.0.2.7",
            browser_device_type=f"{c}-Firefox",
        )
        session.flush()
        cid = customer.id
        device = Device(
            imei_index=vault.blind_index("imei", imei),
            name=f"{c}-bike",
            protocol="gt06",
            armed=True,
            created_at=NOW - timedelta(days=300),
            activated_at=NOW - timedelta(days=300),
            customer_id=cid,
            last_seen_at=NOW,
            activation_code_hash=f"{c}-code",
        )
        session.add(device)
        _sealed(session, runtime, device, imei=imei)
        session.flush()
        fence = Geofence(customer_id=cid, created_at=NOW, updated_at=NOW)
        _sealed(session, runtime, fence, name=f"{c}-home", area=f"CIRCLE ({lat} {lon}, 50)")
        session.add(fence)
        session.flush()
        session.add(DeviceGeofence(device_id=device.id, geofence_id=fence.id, linked_at=NOW))
        session.add(
            Event(
                device_id=device.id,
                customer_id=cid,
                geofence_id=fence.id,
                type="geofenceExit",
                time=NOW,
                fix_time=NOW,
                attributes={"note": f"{c}-event"},
            )
        )
        hook = Webhook(customer_id=cid, created_at=NOW)
        _sealed(session, runtime, hook, url=f"https://{c}.example/hook", secret=f"{c}-secret")
        session.add(hook)
        chat = ChatMessage(
            customer_id=cid, conversation_id=new_id(), sent_at=NOW, sender="customer"
        )
        _sealed(session, runtime, chat, body=f"{c}-chat")
        call = CallRecording(
            customer_id=cid, started_at=NOW, duration_seconds=61, direction="inbound"
        )
        _sealed(session, runtime, call, phone_number=f"{c}-call", audio=f"OggS{c}".encode())
        whatsapp = WhatsAppConversation(customer_id=cid, started_at=NOW, message_count=3)
        _sealed(session, runtime, whatsapp, phone_number=f"{c}-wa", transcript=f"{c}-wa-text")
        # Correspondence: kept up to 10 years by law, so no canary, but it must stay readable.
        mail = EmailMessage(customer_id=cid, direction="inbound", sent_at=NOW)
        _sealed(session, runtime, mail, subject=KEPT_SUBJECT, body="Where is my order?")
        complaint = Complaint(customer_id=cid, filed_at=NOW, channel="email", topic="delivery")
        _sealed(session, runtime, complaint, body=KEPT_COMPLAINT)
        # A notice the relay has not taken yet: it goes with the subject.
        Outbox(runtime).queue(
            session,
            customer_id=cid,
            to=email,
            subject=f"{c}-notice",
            body=f"{c}-notice-body",
            purpose="privacy_rights",
            audit_action="rights_request.notice_emailed",
        )
        visit = WebVisit(
            customer_id=cid,
            visited_at=NOW,
            domain_name=f"{c}.isp.example",
            path=f"/track/{c}-path",
            referrer=f"https://{c}.example/",
            clicked_link=f"/{c}-link",
            seconds_on_page=12,
            browser_device_type=f"{c}-ua",
            operating_system=f"{c}-os",
        )
        _sealed(session, runtime, visit, ip_address=f"{c}-ip")
        survey = SurveyAnswer(
            customer_id=cid,
            survey="nps",
            question="How likely are you to recommend us?",
            channel="website",
            answered_at=NOW,
        )
        _sealed(session, runtime, survey, answer=f"{c}-answer")
        social = ThirdPartyData(
            customer_id=cid,
            source="facebook",
            source_reference=f"https://facebook.example/{c}",
            collected_at=NOW,
        )
        _sealed(session, runtime, social, name=f"{c}-social", email=email, content=f"{c}-posts")
        session.add(
            ConsentEvent(
                customer_id=cid,
                purpose="newsletter",
                given=True,
                policy_version=runtime.policy.version_id,
                channel="portal",
                proof="I want the newsletter",
                at=NOW,
            )
        )
        rectification = RightsRequest(
            customer_id=cid,
            type="rectification",
            status="completed",
            received_at=NOW - timedelta(days=20),
            due_at=NOW + timedelta(days=8),
            details={"corrections": {"last_name": f"{c}-corrected"}},
        )
        erasure = RightsRequest(
            customer_id=cid,
            type="erasure",
            status="in_progress",
            received_at=NOW,
            due_at=NOW + timedelta(days=28),
        )
        identity = IdentityDocument(customer_id=cid, received_at=NOW, content_type="image/jpeg")
        _sealed(session, runtime, identity, content=f"JFIF{c}-passport".encode())
        session.add_all(
            [chat, call, whatsapp, mail, complaint, visit, survey, social, rectification]
        )
        session.add_all([erasure, identity])
        # Financial records: kept 10 years by law, so no canary, but they must stay readable.
        order = Order(
            customer_id=cid,
            order_number=f"ORD-{secrets.token_hex(4)}",
            placed_at=NOW - timedelta(days=30),
            status="delivered",
            total_cents=12900,
        )
        _sealed(session, runtime, order, shipping_address="Kept street 9, Utrecht")
        payment = Payment(
            customer_id=cid,
            paid_at=NOW - timedelta(days=30),
            amount_cents=12900,
            method="ideal",
            provider="mollie",
        )
        _sealed(session, runtime, payment, iban="NL91ABNA0417164300")
        session.add_all([order, payment])
        AuditLog(runtime.clock).append(
            session,
            actor="staff:helpdesk-1",
            role="support",
            purpose="customer_service",
            subject_id=cid,
            categories=["user.contact.email"],
            action="read",
        )
        session.flush()
        planted = Planted(
            canary=c,
            coordinate=f"{spot:.4f}",
            customer_id=cid,
            device_id=device.id,
            imei=imei,
            imei_index=device.imei_index,
            request_id=erasure.id,
        )
    store_positions(runtime, planted.device_id, cid, lat, lon, positions)
    live_a_little(runtime, planted)
    return planted


def live_a_little(runtime: Runtime, planted: Planted) -> None:
    """Rows change after they are written (the tracker reports, the customer logs in), so
    older copies of them are freed inside the database file before erasure ever runs."""
    for minute in range(3):
        with runtime.db.session() as session:
            mark_seen(session, [(planted.device_id, NOW + timedelta(minutes=minute))])
            customer = session.get(Customer, planted.customer_id)
            assert customer is not None
            customer.last_login_at = NOW + timedelta(minutes=minute)
            device = session.get(Device, planted.device_id)
            assert device is not None
            device.name = f"{planted.canary}-bike-{'x' * minute}"  # renamed by its owner


def store_positions(
    runtime: Runtime, device_id: str, customer_id: str, lat: float, lon: float, count: int
) -> None:
    times = [NOW - timedelta(minutes=count - i) for i in range(count)]
    PartitionKeeper(runtime.db.engine).ensure(times, now=NOW)
    with runtime.db.session() as session:
        rows = [
            encrypt_position(
                session,
                runtime.vault,
                device_id=device_id,
                customer_id=customer_id,
                fix_time=t,
                received_at=t,
                fix=PositionFix(lat + i * 1e-6, lon, 12.5, 90.0, 3.0, 7, True, 80.0),
            )
            for i, t in enumerate(times)
        ]
        insert_positions(session, rows)


def write_export_file(runtime: Runtime, planted: Planted) -> Path:
    """The subject's access export ZIP, made by the export code when it is there."""
    try:
        from trackguard.privacy.export import write_export
    except ImportError:  # built by another change; until then a ZIP made the same way
        return _hand_made_export(runtime, planted)
    return write_export(runtime, planted.customer_id, kind="access").path


def _hand_made_export(runtime: Runtime, planted: Planted) -> Path:
    exports = runtime.settings.exports_dir
    exports.mkdir(parents=True, exist_ok=True)
    name = f"export-{new_id()}.zip"
    path = exports / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        data = {"customer": {"first_name": f"{planted.canary}-first"}}
        archive.writestr("data.json", json.dumps(data))
        archive.writestr("positions.csv", f"time,lat\n{NOW.isoformat()},{planted.coordinate}1\n")
    with runtime.db.session() as session:
        session.add(
            ExportFile(
                customer_id=planted.customer_id,
                file_name=name,
                size_bytes=path.stat().st_size,
                sha256="0" * 64,
                created_at=NOW,
            )
        )
    return path


# -- searching --------------------------------------------------------------------------------


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value).encode()
    return str(value).encode()


def found_in_tables(runtime: Runtime, needles: list[str]) -> list[str]:
    """`table.column` of every stored value holding one of `needles`, raw bytes compared."""
    wanted = [n.encode() for n in needles]
    hits = []
    with runtime.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    raw = _as_bytes(value)
                    if any(n in raw for n in wanted):
                        hits.append(f"{table.name}.{column.name}")
    return sorted(set(hits))


def sqlite_files(runtime: Runtime) -> list[Path]:
    url = make_url(runtime.settings.resolved_database_url)
    assert url.database
    base = Path(url.database)
    return [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-journal")) if p.exists()]


def found_in_sqlite_files(runtime: Runtime, needle: str) -> list[str]:
    with runtime.db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return [p.name for p in sqlite_files(runtime) if needle.encode() in p.read_bytes()]


def found_in_dir(directory: Path, needle: str) -> list[str]:
    """Files holding `needle`, looking inside ZIPs too (stored or deflated)."""
    hits = []
    for path in directory.rglob("*") if directory.exists() else []:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data += b"".join(archive.read(n) for n in archive.namelist())
        if needle.encode() in data:
            hits.append(path.name)
    return hits


def undecryptable_positions(runtime: Runtime, planted: Planted) -> tuple[int, int]:
    """(refused with KeyDestroyed, decrypted) over the positions still stored for the device."""
    refused = opened = 0
    with runtime.db.session() as session:
        rows = session.scalars(select(Position).where(Position.device_id == planted.device_id))
        for row in rows:
            try:
                runtime.vault.decrypt(
                    session,
                    row.payload,
                    subject=subject_of_key_ref(row.key_ref),
                    key_class="location",
                    table="positions",
                    column="payload",
                    row=position_row_binding(row.device_id, row.fix_time),
                )
                opened += 1
            except KeyDestroyed:
                refused += 1
    return refused, opened


def test_no_canary_survives_erasure(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    canary = make_canary()
    planted = plant_subject(runtime, canary)
    export = write_export_file(runtime, planted)
    needles = [canary, planted.imei, planted.imei_index]

    # Each search finds what it looks for before erasure.
    before = found_in_tables(runtime, needles)
    assert {"devices.name", "web_visits.path", "rights_requests.details", "devices.imei_index"} <= (
        set(before)
    )
    assert found_in_dir(runtime.settings.exports_dir, canary) == [export.name]
    assert found_in_dir(runtime.settings.exports_dir, planted.coordinate) == [export.name]
    assert undecryptable_positions(runtime, planted) == (0, POSITIONS)
    if runtime.db.dialect == "sqlite":
        assert found_in_sqlite_files(runtime, canary)

    outcome = erase_subject(runtime, planted.customer_id, request_id=planted.request_id)

    assert found_in_tables(runtime, needles) == []
    assert found_in_dir(runtime.settings.exports_dir, canary) == []
    assert not export.exists()
    if runtime.db.dialect == "sqlite":
        assert found_in_sqlite_files(runtime, canary) == []
    # Positions wait for retention, but nobody can read them any more.
    assert undecryptable_positions(runtime, planted) == (POSITIONS, 0)
    assert outcome.deferred == {"positions": "unlinked_positions"}
    assert canary not in caplog.text and planted.coordinate not in caplog.text
    assert canary not in json.dumps(outcome.to_dict())
    with runtime.db.session() as session:
        request = session.get(RightsRequest, planted.request_id)
        assert request is not None and request.outcome is not None
        assert canary not in request.outcome
        assert session.scalars(select(OutboxMessage)).all() == []
        # What the law keeps stays readable, still linked to the (anonymised) account.
        mail = session.scalar(select(EmailMessage))
        complaint = session.scalar(select(Complaint))
        assert mail is not None and complaint is not None
        assert mail.customer_id == complaint.customer_id == planted.customer_id
        assert runtime.vault.unseal(session, mail, "subject") == KEPT_SUBJECT
        assert runtime.vault.unseal(session, complaint, "body") == KEPT_COMPLAINT
    assert outcome.kept["emails"] == outcome.kept["complaints"] == 1
    assert verify(runtime.db).ok


# Financial records and correspondence: no canary.
KEPT_BY_LAW = {"orders", "returns", "payments", "purchases", "emails", "complaints"}
FREE_TEXT_MIN_LENGTH = 100  # shorter personal strings are codes ("geofenceExit", a purpose)


def test_the_canary_covers_every_personal_column(runtime: Runtime) -> None:
    """The planting is complete: every encrypted column and every free-text personal column
    (JSON, or text of 100+ characters) of every subject table carries the canary (or, for
    an area, the unique coordinate), so the searches above miss no kind of field."""
    canary = make_canary()
    planted = plant_subject(runtime, canary, positions=1)
    hits = set(found_in_tables(runtime, [canary]))
    decrypted = decrypt_all_sealed(runtime)
    lat = planted.coordinate.split(",")[0]
    for table in Base.metadata.sorted_tables:
        if not table.info.get("subject_column") or table.name in KEPT_BY_LAW | {"positions"}:
            continue
        for column in table.columns:
            place = f"{table.name}.{column.name}"
            if column.info.get("encrypted"):
                values = decrypted.get(place, [])
                assert any(n in v for v in values for n in (canary, lat, planted.imei)), place
            elif str(column.info.get("category", "")).startswith("user.") and (
                isinstance(column.type, JSON)
                or (isinstance(column.type, String) and (column.type.length or 0) >= 100)
            ):
                assert place in hits, place


def decrypt_all_sealed(runtime: Runtime) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with runtime.db.session() as session:
        for mapper in Base.registry.mappers:
            table = mapper.local_table
            if not table.info.get("key_class") or table.name == "positions":
                continue
            columns = [c.name for c in table.columns if c.info.get("encrypted")]
            for obj in session.scalars(select(mapper.class_)):
                for column in columns:
                    value = runtime.vault.unseal_bytes(session, obj, column)
                    if value is not None:
                        key = f"{table.name}.{column}"
                        found.setdefault(key, []).append(value.decode(errors="replace"))
    return found


def test_postgres_keeps_no_canary_in_table_text(runtime: Runtime) -> None:
    """The same search in SQL, as an operator with psql would run it (PostgreSQL only)."""
    if runtime.db.dialect != "postgresql":
        pytest.skip("PostgreSQL text search of every column")
    canary = make_canary()
    planted = plant_subject(runtime, canary, positions=3)
    tables = [t.name for t in Base.metadata.sorted_tables]

    def matches() -> list[str]:
        with runtime.db.engine.connect() as connection:
            return [
                name
                for name in tables
                if connection.execute(
                    text(f'SELECT count(*) FROM "{name}" t WHERE t::text LIKE :needle'),
                    {"needle": f"%{canary}%"},
                ).scalar()
            ]

    assert {"devices", "web_visits", "rights_requests"} <= set(matches())
    erase_subject(runtime, planted.customer_id)
    assert matches() == []
