"""Anonymising an account clears what the models tag as personal; the row and its links stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, func, select

from trackguard.clock import fixed_clock
from trackguard.privacy.anonymise import (
    ANONYMISED,
    NoNeutralValue,
    anonymise_customer,
    anonymise_row,
    is_identifying,
    neutral_value,
)
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device, Order

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EMAIL = "anna.de.vries@example.nl"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


def make_customer(runtime: Runtime) -> str:
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(
            created_at=NOW - timedelta(days=900),
            email_index=vault.blind_index("email", EMAIL),
            password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            language="en",
            last_login_at=NOW - timedelta(days=800),
            last_app_use_at=NOW - timedelta(days=790),
        )
        session.add(customer)
        for column, value in {
            "email": EMAIL,
            "first_name": "Anna",
            "last_name": "de Vries",
            "phone": "+31 6 12345678",
            "billing_address": "Dorpsstraat 1, Bunschoten",
            "ip_address": "192.0.2.7",
        }.items():
            vault.seal(session, customer, column, value)
        session.flush()
        session.add(
            Order(
                customer_id=customer.id,
                order_number="ORD-1",
                placed_at=NOW - timedelta(days=850),
                status="delivered",
                total_cents=9900,
            )
        )
        return customer.id


def test_every_personal_column_is_cleared_and_the_row_stays(runtime: Runtime) -> None:
    customer_id = make_customer(runtime)
    with runtime.db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        anonymise_customer(session, runtime.vault, customer, at=NOW)
    with runtime.db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        cleared = [c for c in Customer.__table__.columns if is_identifying(c)]
        # Driven by the tags: every personal or credential column, nothing hand-picked.
        assert {c.name for c in cleared} >= {
            "email_index",
            "email",
            "first_name",
            "last_name",
            "phone",
            "billing_address",
            "ip_address",
            "password_hash",
            "last_login_at",
            "last_app_use_at",
            "language",
        }
        for column in cleared:
            assert getattr(customer, column.key) == neutral_value(column), column.name
        assert customer.language == Customer.__table__.c.language.default.arg  # type: ignore[union-attr]
        assert customer.status == ANONYMISED and customer.anonymised_at == NOW
        assert customer.created_at == NOW - timedelta(days=900)  # operational: kept
        # The row and what points at it stay: counts and financial records still add up.
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        order = session.scalar(select(Order))
        assert order is not None and order.customer_id == customer_id
        # Nobody finds the account by e-mail address any more.
        found = session.scalar(
            select(Customer).where(
                Customer.email_index == runtime.vault.blind_index("email", EMAIL)
            )
        )
        assert found is None


def test_anonymising_twice_keeps_the_first_moment(runtime: Runtime) -> None:
    customer_id = make_customer(runtime)
    for at in (NOW, NOW + timedelta(days=3)):
        with runtime.db.session() as session:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            anonymise_customer(session, runtime.vault, customer, at=at)
    with runtime.db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None and customer.anonymised_at == NOW


def test_a_tracker_loses_its_name_owner_data_and_imei_link(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        device = Device(
            imei_index=runtime.vault.blind_index("imei", "356938035643809"),
            name="Anna's bike",
            armed=True,
            created_at=NOW,
            last_seen_at=NOW,
            activation_code_hash="$argon2id$code",
            protocol="gt06",
        )
        session.add(device)
        session.flush()
        before = device.imei_index
        cleared = anonymise_row(device)
        assert set(cleared) >= {"imei_index", "imei", "name", "armed", "last_seen_at"}
        assert "activation_code_hash" in cleared  # a credential goes too
        assert device.name is None and device.armed is False and device.last_seen_at is None
        # The keyed hash of the IMEI is replaced by a random token: unique, linking nothing.
        assert device.imei_index != before and len(device.imei_index) == 32
        assert device.protocol == "gt06" and device.created_at == NOW


def test_neutral_values_come_from_the_schema() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("note", String(50), nullable=True, info={"category": "user.content"}),
        Column("flag", Boolean, nullable=False, default=True, info={"category": "user.device"}),
        Column("code", String(64), nullable=False, unique=True, info={"category": "user.unique"}),
        Column("seen", DateTime, nullable=False, info={"category": "user.behavior"}),
    )
    assert neutral_value(table.c.note) is None
    assert neutral_value(table.c.flag) is True
    tokens = {neutral_value(table.c.code) for _ in range(20)}
    assert len(tokens) == 20  # a fresh random token each time: unique, and links nothing
    with pytest.raises(NoNeutralValue, match=r"t\.seen"):
        neutral_value(table.c.seen)
