"""Write the generated demo data: ORM rows, personal fields sealed by the vault.

One transaction: a seed that fails half-way leaves nothing behind, and running it
again when the demo login exists changes nothing (it is found by its blind index).
"""

from __future__ import annotations

import secrets
import wave
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from io import BytesIO
from random import Random
from typing import TYPE_CHECKING, TypeVar

import orjson
from argon2 import PasswordHasher
from sqlalchemy import FromClause, insert, select
from sqlalchemy.orm import Session

from trackguard.clock import fixed_clock
from trackguard.demo.generate import (
    DEFAULT_CUSTOMERS,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    generate,
    transcript_json,
)
from trackguard.demo.plans import CustomerPlan, DemoData, DevicePlan
from trackguard.demo.position_payload import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    encode_position_payload,
    position_key_ref,
    position_row_binding,
)
from trackguard.demo.privacy_records import add_privacy_records
from trackguard.demo.rules import rules_from_policy
from trackguard.demo.staff import add_demo_staff, published_password_hash
from trackguard.demo.tracks import TrackPoint
from trackguard.demo.web_records import add_web_records
from trackguard.privacy.audit import AuditLog
from trackguard.runtime import Runtime
from trackguard.store.base import Base, new_id
from trackguard.store.models import (
    BusinessAccount,
    CallRecording,
    ChatMessage,
    Complaint,
    ConsentEvent,
    Customer,
    Device,
    DeviceGeofence,
    EmailMessage,
    Event,
    Geofence,
    Order,
    Payment,
    Position,
    Purchase,
    ReturnRequest,
    RightsRequest,
    SurveyAnswer,
    ThirdPartyData,
    Webhook,
    WebVisit,
    WhatsAppConversation,
)
from trackguard.tracking.compaction import block_row
from trackguard.tracking.events import add_geofence
from trackguard.tracking.geofence import parse_area
from trackguard.tracking.notify import add_webhook
from trackguard.tracking.position_blocks import FIELDS, FixColumns, hour_of, iso_utc_text
from trackguard.vault import FLEET_SUBJECT, Vault
from trackguard.web.analytics.demo import add_visitor_statistics

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ACTOR, ROLE = "demo-seed", "system"
AUDIT_PURPOSE = "demo_data"
AUDIT_ACTION = "demo.seed.create"
# The demo login gets the real cost; the others' random passwords are never shown and
# are 128-bit strong, so a cheap hash loses nothing and keeps the seed under a second.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

Progress = Callable[[int, int], None]
_Row = TypeVar("_Row", bound=Base)


@dataclass(frozen=True)
class SeedReport:
    created: bool  # False: the demo login already existed and nothing was written
    counts: dict[str, int] = field(default_factory=dict)  # table name -> rows written
    demo_email: str = DEMO_EMAIL
    demo_password: str = DEMO_PASSWORD
    demo_customer_id: str | None = None


def demo_customer_id(session: Session, vault: Vault) -> str | None:
    """The demo login's customer id, if the demo data is there."""
    index = vault.blind_index("email", DEMO_EMAIL)
    return session.scalar(select(Customer.id).where(Customer.email_index == index))


def seed_demo(
    runtime: Runtime,
    *,
    seed: int = 1,
    customers: int = DEFAULT_CUSTOMERS,
    progress: Progress | None = None,
) -> SeedReport:
    """Fill the database with the demo data set for `seed` (see `generate`)."""
    with runtime.db.session() as session:
        existing = demo_customer_id(session, runtime.vault)
        if existing is not None:
            return SeedReport(created=False, demo_customer_id=existing)
        data = generate(seed, runtime.clock(), rules_from_policy(runtime.policy), customers)
        writer = _Writer(session, runtime, Random(f"{seed}:writer"))
        # The vault reads keys as it goes; flushing every pending row before each of
        # those reads buys nothing. The writer flushes where foreign keys need it.
        with session.no_autoflush:
            demo_id = writer.write(data, progress)
    return SeedReport(created=True, counts=dict(writer.counts), demo_customer_id=demo_id)


def _columns(points: list[TrackPoint]) -> FixColumns:
    """An hour's demo fixes as the columns of a block."""
    points = sorted(points, key=lambda p: p.fix_time)
    values = [orjson.loads(encode_position_payload(p.fix)) for p in points]
    return FixColumns(
        [iso_utc_text(p.fix_time) for p in points],
        [iso_utc_text(p.received_at) for p in points],
        {name: [v.get(name) for v in values] for name in FIELDS},
    )


class _Writer:
    def __init__(self, session: Session, runtime: Runtime, rng: Random) -> None:
        self.session, self.vault, self.runtime = session, runtime.vault, runtime
        self.rng = rng
        self.counts: Counter[str] = Counter()
        self.tables: dict[str, set[FromClause]] = {}  # customer id -> tables written, for the audit
        self.device_ids: dict[tuple[str | None, str], str] = {}  # (customer, IMEI) -> device id

    def row(
        self, model: type[_Row], plan: DataclassInstance, owner: str | None, **extra: object
    ) -> _Row:
        """Add a `model` row from `plan`, whose field names are the model's column names.

        Plain columns are copied; vault-encrypted ones are sealed (after the plain ones,
        because the subject the ciphertext binds to is one of them). `extra` adds or
        overrides values, e.g. the foreign keys.
        """
        columns = model.__table__.columns
        values = {f.name: getattr(plan, f.name) for f in fields(plan) if f.name in columns}
        values |= extra
        sealed = {k: values.pop(k) for k in list(values) if columns[k].info.get("encrypted")}
        obj = model(id=new_id(), **values)
        for column, value in sealed.items():
            self.vault.seal(self.session, obj, column, value)
        self.session.add(obj)
        self.counts[model.__tablename__] += 1
        if owner is not None:
            self.tables.setdefault(owner, set()).add(model.__table__)
        return obj

    def write(self, data: DemoData, progress: Progress | None) -> str:
        total = len(data.customers) + 2
        businesses = [self.row(BusinessAccount, b, None).id for b in data.business_accounts]
        for device in data.stock_devices:
            self._device(device, None)
        for visit in data.anonymous_visits:
            # A visitor we do not know: the vault seals the IP under the fleet's short-lived key.
            self.row(WebVisit, visit, None, customer_id=None)
        ids = []
        for done, plan in enumerate(data.customers, start=1):
            business = businesses[plan.business] if plan.business is not None else None
            ids.append(self._customer(plan, business))
            if progress:
                progress(done, total)
        self.session.flush()  # devices must exist before their positions
        self._positions(data.stock_devices, None)
        for plan, customer_id in zip(data.customers, ids, strict=True):
            self._positions(plan.devices, customer_id)
            self._antitheft(plan, customer_id)
        if progress:
            progress(total - 1, total)
        self.counts.update(add_privacy_records(self.session, self.runtime, ids, self.rng))
        self.counts.update(add_web_records(self.session, ids, self.runtime.clock()))
        self.counts.update(add_demo_staff(self.session, self.vault, self.runtime.clock()))
        self.counts.update(
            add_visitor_statistics(
                self.session, self.runtime.policy, self.runtime.clock(), self.rng
            )
        )
        self._audit()
        if progress:
            progress(total, total)
        return ids[0]

    # -- customers ---------------------------------------------------------------------

    def _customer(self, plan: CustomerPlan, business_id: str | None) -> str:
        password = plan.password or secrets.token_urlsafe(16)
        customer = self.row(
            Customer,
            plan,
            None,
            business_account_id=business_id,
            email_index=self.vault.blind_index("email", plan.email),
            password_hash=(
                published_password_hash(password) if plan.password else _CHEAP_HASHER.hash(password)
            ),
            birth_date=plan.birth_date.isoformat(),
            status="active",
        )
        cid = customer.id
        self.tables[cid] = {Customer.__table__}
        for device in plan.devices:
            self._device(device, cid)
        for device in plan.released_devices:  # nobody's now: written like stock
            self._device(device, None)
        self._commerce(plan, cid)
        self._communications(plan, cid)
        self._engagement(plan, cid)
        return cid

    def _device(self, plan: DevicePlan, customer_id: str | None) -> None:
        code = plan.activation_code
        device = self.row(
            Device,
            plan,
            customer_id,
            customer_id=customer_id,
            imei_index=self.vault.blind_index("imei", plan.imei),
            # Stock devices keep only the keyed hash: nobody's IMEI is stored readable
            # until a customer activates the tracker and it becomes their data.
            imei=plan.imei if customer_id is not None else None,
            activation_code_hash=_CHEAP_HASHER.hash(code) if code else None,
        )
        self.device_ids[(customer_id, plan.imei)] = device.id

    def _commerce(self, plan: CustomerPlan, cid: str) -> None:
        for o in plan.orders:
            order = self.row(Order, o, cid, customer_id=cid, total_cents=o.total_cents)
            link = {"customer_id": cid, "order_id": order.id}
            for line in o.purchases:
                self.row(Purchase, line, cid, **link)
            if o.payment is not None:
                self.row(Payment, o.payment, cid, **link)
            if o.return_request is not None:
                self.row(ReturnRequest, o.return_request, cid, **link)

    def _communications(self, plan: CustomerPlan, cid: str) -> None:
        for chat in plan.chats:
            conversation = new_id()
            for m in chat.messages:
                self.row(
                    ChatMessage,
                    m,
                    cid,
                    customer_id=cid,
                    conversation_id=conversation,
                    relevant_to_service=chat.relevant_to_service,
                )
        for call in plan.calls:
            self.row(
                CallRecording,
                call,
                cid,
                customer_id=cid,
                media_type="audio/wav",
                audio=_tone_wav(self.rng),
            )
        for wa in plan.whatsapps:
            self.row(
                WhatsAppConversation,
                wa,
                cid,
                customer_id=cid,
                message_count=len(wa.messages),
                media_type="application/json",
                transcript=transcript_json(wa.messages),
            )
        for kind, plans in ((EmailMessage, plan.emails), (Complaint, plan.complaints)):
            for item in plans:
                self.row(kind, item, cid, customer_id=cid)

    def _engagement(self, plan: CustomerPlan, cid: str) -> None:
        version = self.runtime.policy.version_id
        for consent in plan.consents:
            self.row(ConsentEvent, consent, cid, customer_id=cid, policy_version=version)
        kinds = (
            (WebVisit, plan.visits),
            (SurveyAnswer, plan.surveys),
            (ThirdPartyData, plan.third_party),
            (RightsRequest, plan.rights_requests),
        )
        for kind, plans in kinds:
            for item in plans:
                self.row(kind, item, cid, customer_id=cid)

    # -- positions ---------------------------------------------------------------------

    def _positions(self, devices: Iterable[DevicePlan], owner: str | None) -> None:
        """Encrypt each fix under the owner's location key (the fleet's for nobody's).

        As a running server keeps them: an owner's fixes of hours that ended longer
        than the compaction's settle time ago as one block per device and hour
        (`tracking.compaction`), the rest (and every fleet fix) one row each.
        """
        subject = owner if owner is not None else FLEET_SUBJECT
        settle = timedelta(minutes=self.runtime.settings.compaction_settle_minutes)
        folded_before = hour_of(self.runtime.clock() - settle)
        rows: list[dict[str, object]] = []
        blocks: list[dict[str, object]] = []
        fixes = 0
        for device in devices:
            device_id = self.device_ids[(owner, device.imei)]
            hours: dict[datetime, list[TrackPoint]] = {}
            for point in device.track:
                fixes += 1
                hour = hour_of(point.fix_time)
                if owner is not None and hour < folded_before:
                    hours.setdefault(hour, []).append(point)
                    continue
                payload = self.vault.encrypt(
                    self.session,
                    encode_position_payload(point.fix),
                    subject=subject,
                    key_class=POSITION_KEY_CLASS,
                    table=POSITION_TABLE,
                    column=POSITION_COLUMN,
                    row=position_row_binding(device_id, point.fix_time),
                )
                rows.append(
                    {
                        "device_id": device_id,
                        "fix_time": point.fix_time,
                        "received_at": point.received_at,
                        "payload": payload,
                    }
                )
            for points in hours.values():
                blocks.append(
                    block_row(self.session, self.vault, device_id, subject, _columns(points))
                )
        if rows:
            version = self.vault.current_key_version(self.session, subject, POSITION_KEY_CLASS)
            key_ref = position_key_ref(owner, version or 1)
            for row in rows:
                row["key_ref"] = key_ref
            # One executemany instead of an ORM object per fix: positions are the big table.
            self.session.execute(insert(Position), rows)
        if blocks:
            self.session.execute(insert(Position), blocks)
        self.counts[POSITION_TABLE] += fixes
        if owner is not None and (rows or blocks):
            self.tables[owner].add(Position.__table__)

    # -- anti-theft --------------------------------------------------------------------

    def _antitheft(self, plan: CustomerPlan, cid: str) -> None:
        """Geofences and webhooks through the services the app uses (they check the area
        and the URL, and seal them); links and events as rows pointing at what exists."""
        devices = {d.imei: self.device_ids[(cid, d.imei)] for d in plan.devices}
        devices |= {d.imei: self.device_ids[(None, d.imei)] for d in plan.released_devices}
        fences = []
        for g in plan.geofences:
            area, at = parse_area(g.area), fixed_clock(g.created_at)
            fence = add_geofence(self.session, self.vault, cid, g.name, area, clock=at)
            fence.updated_at = g.updated_at
            self._written(Geofence, cid)
            fences.append(fence.id)
            for link in g.links:
                self.session.add(
                    DeviceGeofence(
                        device_id=devices[link.imei], geofence_id=fence.id, linked_at=link.linked_at
                    )
                )
                self._written(DeviceGeofence, cid)
        for e in plan.events:
            fence_id = fences[e.geofence] if e.geofence is not None else None
            self.row(
                Event, e, cid, device_id=devices[e.imei], customer_id=cid, geofence_id=fence_id
            )
        for w in plan.webhooks:
            # The signing secret is random, like the passwords: nobody is shown it.
            hook, _ = add_webhook(
                self.session, self.vault, cid, w.url, clock=fixed_clock(w.created_at)
            )
            hook.enabled = w.enabled
            hook.last_delivered_at, hook.last_failed_at = w.last_delivered_at, w.last_failed_at
            self._written(Webhook, cid)

    def _written(self, model: type[Base], owner: str) -> None:
        """Count a row a service function added (`row` counts its own)."""
        self.counts[model.__tablename__] += 1
        self.tables.setdefault(owner, set()).add(model.__table__)

    # -- audit -------------------------------------------------------------------------

    def _audit(self) -> None:
        """One entry per customer: what the seed wrote about them, in categories."""
        log = AuditLog(self.runtime.clock)
        for cid, tables in self.tables.items():
            categories = {
                str(column.info["category"])
                for table in tables
                for column in table.columns
                if str(column.info.get("category", "")).startswith("user.")
            }
            log.append(
                self.session,
                actor=ACTOR,
                role=ROLE,
                purpose=AUDIT_PURPOSE,
                subject_id=cid,
                categories=sorted(categories),
                action=AUDIT_ACTION,
            )
            self.counts["audit_entries"] += 1


def _tone_wav(rng: Random) -> bytes:
    """A quarter second of telephone-quality tone: a stand-in for the recording itself,
    small enough that dozens of them cost nothing and still a real audio file."""
    rate, frequency = 8000, rng.choice((350, 440, 480, 620))
    period = rate // frequency
    samples = bytes(128 + (48 if (i % period) < period // 2 else -48) for i in range(rate // 4))
    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(samples)
    return buffer.getvalue()
