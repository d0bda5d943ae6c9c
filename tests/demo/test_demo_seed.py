"""Seeding a real database (SQLite and PostgreSQL): every record kind, sealed, readable
with the keys, old enough for every retention rule, and never written twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import String, Text, func, or_, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc, fixed_clock
from trackguard.demo.antitheft import DEMO_WEBHOOK
from trackguard.demo.generate import DEMO_EMAIL, DEMO_FIRST_NAME, DEMO_LAST_NAME, generate
from trackguard.demo.position_payload import (
    position_key_ref,
)
from trackguard.demo.rules import rules_from_policy
from trackguard.demo.seed import SeedReport, demo_customer_id, seed_demo
from trackguard.demo.tracks import HOME
from trackguard.policy import Period
from trackguard.policy.model import RetentionRule, RetentionTarget
from trackguard.privacy.audit import verify
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.base import Base
from trackguard.store.models import (
    AuditEntry,
    ConsentEvent,
    Customer,
    Device,
    DeviceGeofence,
    Geofence,
    Position,
    ThirdPartyData,
    Webhook,
)
from trackguard.tracking.events import list_events, list_geofences
from trackguard.tracking.positions import read_positions
from trackguard.vault import FLEET_SUBJECT

CUSTOMERS = 8  # the demo login and one of each profile: every case, in a fraction of the time
# Rules on the vault's and the audit log's own rows: the demo seeds customers, not erasures
# from a year ago or audit entries from ten years ago.
INTERNAL_RULES = {"destroyed_keys", "audit_log"}
CARD_LIKE = re.compile(r"(?<![0-9A-Za-z])\d[\d -]{11,}\d(?![0-9A-Za-z])")
HASHED = re.compile(r"^([0-9a-f]{16,}|\$argon2.*)$")


@pytest.fixture
def runtime(settings: Settings, now: datetime) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(now)) as opened:
        yield opened


@pytest.fixture
def seeded(runtime: Runtime) -> SeedReport:
    return seed_demo(runtime, seed=1, customers=CUSTOMERS)


def _count(session: Session, table: str) -> int:
    return session.scalar(select(func.count()).select_from(Base.metadata.tables[table])) or 0


def test_seed_fills_every_table(runtime: Runtime, seeded: SeedReport) -> None:
    assert seeded.created
    with runtime.db.session() as session:
        empty = [t for t in Base.metadata.tables if _count(session, t) == 0]
    assert empty == []
    assert seeded.counts["customers"] == CUSTOMERS


def test_demo_login_is_found_by_blind_index_and_decrypts(
    runtime: Runtime, seeded: SeedReport
) -> None:
    with runtime.db.session() as session:
        index = runtime.vault.blind_index("email", DEMO_EMAIL.upper())  # look-ups ignore case
        customer = session.scalars(select(Customer).where(Customer.email_index == index)).one()
        assert customer.id == seeded.demo_customer_id == demo_customer_id(session, runtime.vault)
        assert runtime.vault.unseal(session, customer, "first_name") == DEMO_FIRST_NAME
        assert runtime.vault.unseal(session, customer, "last_name") == DEMO_LAST_NAME
        assert runtime.vault.unseal(session, customer, "email") == DEMO_EMAIL
        assert (
            customer.first_name is not None and DEMO_FIRST_NAME.encode() not in customer.first_name
        )
        assert customer.password_hash and customer.password_hash.startswith("$argon2id$")
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(customer.password_hash, "demo")


def test_database_holds_exactly_the_generated_people(runtime: Runtime, seeded: SeedReport) -> None:
    plan = generate(1, runtime.clock(), rules_from_policy(runtime.policy), CUSTOMERS)
    with runtime.db.session() as session:
        stored = {
            (
                runtime.vault.unseal(session, c, "first_name"),
                runtime.vault.unseal(session, c, "last_name"),
                runtime.vault.unseal(session, c, "billing_address"),
            )
            for c in session.scalars(select(Customer))
        }
    assert stored == {(c.first_name, c.last_name, c.billing_address) for c in plan.customers}


def test_positions_decrypt_to_valid_fixes_under_their_key(
    runtime: Runtime, seeded: SeedReport
) -> None:
    with runtime.db.session() as session:
        rows = session.execute(
            select(Position.device_id, Position.key_ref, Position.fixes, Device.customer_id).join(
                Device, Device.id == Position.device_id
            )
        ).all()
        owners, fixes = set(), 0
        for _device, key_ref, _, owner in rows:
            subject = owner if owner is not None else FLEET_SUBJECT
            version = runtime.vault.current_key_version(session, subject, "location")
            assert key_ref == position_key_ref(owner, version or 0)
            owners.add(owner)
        for device_id in {device_id for device_id, *_ in rows}:
            for position in read_positions(session, runtime.vault, device_id):
                fix = position.fix
                assert 52.0 < fix.lat < 52.4 and 5.2 < fix.lon < 5.5  # around Spakenburg
                assert fix.speed >= 0 and 0 <= fix.battery <= 100
                fixes += 1
    assert fixes > 200
    # Past hours of the demo's own trackers are stored as a running server keeps them.
    assert any(n is not None for _, _, n, owner in rows if owner == seeded.demo_customer_id)
    assert all(n is None for _, _, n, owner in rows if owner is None)  # fleet rows stay single
    assert seeded.demo_customer_id in owners and None in owners  # the demo's and the fleet's


def test_every_retention_rule_has_rows_to_act_on(runtime: Runtime, seeded: SeedReport) -> None:
    now, policy = runtime.clock(), runtime.policy
    with runtime.db.session() as session:
        for rule in policy.retention.rules:
            if rule.key in INTERNAL_RULES:
                continue
            for target in rule.targets:
                if target.record not in Base.metadata.tables:
                    continue  # declared ahead of the code (e.g. identity documents)
                verdicts = _verdicts(session, rule, target, now)
                assert any(verdicts), f"rule {rule.key} finds nothing to act on in {target.record}"
                if rule.trigger in ("age", "inactivity"):
                    assert not all(verdicts), f"rule {rule.key} would clear all {target.record}"


STATEMENT_PERIODS = {  # the privacy statement's own words, as ISO periods
    "chat_messages.sent_at": "P14D",
    "call_recordings.started_at": "P3M",
    "whatsapp_conversations.started_at": "P3M",
    "emails.sent_at": "P10Y",
    "complaints.filed_at": "P10Y",
    "payments.paid_at": "P10Y",
    "customers.last_app_use_at": "P2Y",
}


def test_records_are_as_old_as_the_statement_says_they_may_get(
    runtime: Runtime, seeded: SeedReport
) -> None:
    """Spelled out once more without the policy: some rows are past each period, some not."""
    with runtime.db.session() as session:
        for column, period in STATEMENT_PERIODS.items():
            table, name = column.split(".")
            cut = Period.parse(period).before(runtime.clock())
            values = session.scalars(select(Base.metadata.tables[table].c[name]))
            moments = [as_utc(m) for m in values]
            assert any(m < cut for m in moments), f"no {column} older than {period}"
            assert any(m > cut for m in moments), f"no {column} younger than {period}"


def _verdicts(
    session: Session, rule: RetentionRule, target: RetentionTarget, now: datetime
) -> list[bool]:
    """For each row of the target: would the rule act on it now?"""
    table = Base.metadata.tables[target.record]
    cut = rule.period.before(now)
    if rule.trigger == "unreferenced":
        (key,) = table.primary_key.columns
        referencing = [
            Base.metadata.tables[ref.split(".")[0]].c[ref.split(".")[1]]
            for ref in rule.referenced_by
        ]
        used = or_(*(key.in_(select(c).where(c.is_not(None))) for c in referencing))
        rows = session.execute(select(used, table.c[target.counts_from[0]]))
        return [not referenced and as_utc(since) < cut for referenced, since in rows]
    if rule.trigger == "consent_withdrawal":
        latest: dict[str, tuple[datetime, bool]] = {}
        events = session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.purpose == rule.purpose)
            .order_by(ConsentEvent.at)
        )
        for e in events:
            if e.customer_id:
                latest[e.customer_id] = (as_utc(e.at), e.given)
        owners = session.scalars(select(ThirdPartyData.customer_id))
        return [
            o in latest and not latest[o][1] and latest[o][0] < cut for o in owners if o is not None
        ]
    query = select(table)
    if target.scope != "all":
        linked = Device.customer_id.is_not(None)
        query = query.join(Device, Device.id == table.c.device_id).where(
            linked if target.scope == "linked" else ~linked
        )
    verdicts = []
    for row in session.execute(query).mappings():
        if target.only_if and not row[target.only_if]:
            continue  # not this rule's rows at all
        moments = [as_utc(row[c]) for c in target.counts_from if row[c] is not None]
        exempt = bool(target.exempt_if and row[target.exempt_if])
        verdicts.append(bool(moments) and max(moments) < cut and not exempt)
    return verdicts


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def test_no_full_card_number_is_stored_anywhere(runtime: Runtime, seeded: SeedReport) -> None:
    """Only the provider's token, the brand and the last four digits: no PAN in any
    readable column, and the vault-sealed ones hold no card numbers either."""
    with runtime.db.session() as session:
        for table in Base.metadata.sorted_tables:
            text_columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for column in text_columns:
                for value in session.scalars(select(column)):
                    if value is None or HASHED.match(value):
                        continue  # ids, blind indexes and digests: hex, not numbers
                    for run in CARD_LIKE.findall(value):
                        digits = re.sub(r"\D", "", run)
                        assert not (13 <= len(digits) <= 19 and _luhn_valid(digits)), (
                            f"{table.name}.{column.name} holds a card-like number"
                        )
        cards = session.execute(
            select(func.count()).where(Base.metadata.tables["payments"].c.card_last4.is_not(None))
        ).scalar()
        assert cards and cards > 0


def test_seeding_again_writes_nothing(runtime: Runtime, seeded: SeedReport) -> None:
    with runtime.db.session() as session:
        before = {t: _count(session, t) for t in Base.metadata.tables}
    again = seed_demo(runtime, seed=1, customers=CUSTOMERS)
    assert not again.created and again.counts == {}
    assert again.demo_customer_id == seeded.demo_customer_id
    with runtime.db.session() as session:
        assert {t: _count(session, t) for t in Base.metadata.tables} == before


def test_audit_log_records_the_seed_per_customer(runtime: Runtime, seeded: SeedReport) -> None:
    with runtime.db.session() as session:
        entries = list(session.scalars(select(AuditEntry)))
    assert len(entries) == CUSTOMERS == seeded.counts["audit_entries"]
    assert {(e.actor, e.role) for e in entries} == {("demo-seed", "system")}
    demo = next(e for e in entries if e.subject_id == seeded.demo_customer_id)
    assert {"user.contact.email", "user.location.precise", "user.financial.bank_account"} <= set(
        demo.categories
    )
    assert verify(runtime.db).ok


def test_antitheft_rows_read_back_through_the_services(
    runtime: Runtime, seeded: SeedReport
) -> None:
    demo_id = seeded.demo_customer_id
    assert demo_id is not None
    with runtime.db.session() as session:
        fences = {g.name: g for g in list_geofences(session, runtime.vault, demo_id)}
        assert set(fences) == {"Camping Renesse", "Thuis", "Kantoor Amersfoort"}
        assert fences["Thuis"].area.contains(*HOME) and fences["Camping Renesse"].device_ids == ()
        models = {
            name: [session.get_one(Device, d).model for d in fences[name].device_ids]
            for name in ("Thuis", "Kantoor Amersfoort")
        }
        assert models == {"Thuis": ["TFT100"], "Kantoor Amersfoort": ["FMB920"]}
        hooks = {
            runtime.vault.unseal(session, h, "url"): h
            for h in session.scalars(select(Webhook).where(Webhook.customer_id == demo_id))
        }
        assert set(hooks) == {DEMO_WEBHOOK}
        assert len(runtime.vault.unseal(session, hooks[DEMO_WEBHOOK], "secret") or "") >= 32
        events = list_events(session, customer_id=demo_id)
        assert {e.type for e in events} == {
            "deviceMoving",
            "geofenceExit",
            "geofenceEnter",
            "alarm",
        }
        # Every event points at a position the seed wrote (a row, or a fix in a block).
        fix_times = {
            device_id: {p.time for p in read_positions(session, runtime.vault, device_id)}
            for device_id in {e.device_id for e in events}
        }
        orphans = [e for e in events if as_utc(e.fix_time) not in fix_times[e.device_id]]
        assert orphans == []
        # The released tracker belongs to nobody and still watches its former owner's fences.
        released = session.execute(
            select(DeviceGeofence.linked_at, Geofence.customer_id)
            .join(Device, Device.id == DeviceGeofence.device_id)
            .join(Geofence, Geofence.id == DeviceGeofence.geofence_id)
            .where(Device.customer_id.is_(None))
        ).all()
        assert len(released) == 2 and len({owner for _, owner in released}) == 1
