"""Devices: registered by IMEI (only its keyed hash), activated with a one-time code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from trackguard.errors import Forbidden, NotFound
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device, Position
from trackguard.tracking.devices import (
    CODE_ALPHABET,
    AlreadyActivated,
    activate_device,
    customer_by_email,
    find_device,
    list_devices,
    mark_seen,
    register_device,
    resolve_devices,
)
from trackguard.tracking.positions import PositionFix, encrypt_position, insert_positions

IMEI = "356938035643809"
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


def new_customer(runtime: Runtime, email: str = "jan@example.nl") -> str:
    with runtime.db.session() as session:
        customer = Customer(created_at=NOW, email_index=runtime.vault.blind_index("email", email))
        session.add(customer)
        session.flush()
        return customer.id


def test_registration_keeps_only_the_keyed_hash_and_a_code_hash(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        registration = register_device(session, runtime.vault, IMEI, now=NOW, protocol="gt06")
    code = registration.activation_code
    assert registration.created
    assert len(code.replace("-", "")) == 12 and set(code.replace("-", "")) <= set(CODE_ALPHABET)
    with runtime.db.session() as session:
        device = session.get(Device, registration.device_id)
        assert device is not None
        assert device.imei is None and device.customer_id is None
        assert device.imei_index == runtime.vault.blind_index("imei", IMEI)
        assert device.activation_code_hash and code not in device.activation_code_hash
        assert device.protocol == "gt06"
        # Printed IMEIs come in groups; the look-up ignores spaces and dashes.
        assert find_device(session, runtime.vault, "35 6938 0356 43809").id == device.id


def test_registering_again_replaces_the_code(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        first = register_device(session, runtime.vault, IMEI, now=NOW)
        second = register_device(session, runtime.vault, IMEI, now=NOW)
    assert second.device_id == first.device_id and not second.created
    customer = new_customer(runtime)
    with runtime.db.session() as session, pytest.raises(Forbidden):
        activate_device(
            session, runtime.vault, IMEI, first.activation_code, customer_id=customer, now=NOW
        )


def test_activation_moves_the_device_to_its_owner(runtime: Runtime) -> None:
    customer = new_customer(runtime)
    with runtime.db.session() as session:
        code = register_device(session, runtime.vault, IMEI, now=NOW).activation_code
    with runtime.db.session() as session:
        device = activate_device(
            session, runtime.vault, IMEI, code.lower(), customer_id=customer, now=NOW
        )
        assert device.customer_id == customer and device.activated_at == NOW
        assert device.activation_code_hash is None  # single use
        assert runtime.vault.unseal(session, device, "imei") == IMEI  # under the owner's key
    with runtime.db.session() as session, pytest.raises(AlreadyActivated):
        activate_device(session, runtime.vault, IMEI, code, customer_id=customer, now=NOW)


def test_a_wrong_code_or_an_unknown_device_does_not_activate(runtime: Runtime) -> None:
    customer = new_customer(runtime)
    with runtime.db.session() as session:
        register_device(session, runtime.vault, IMEI, now=NOW)
    with runtime.db.session() as session, pytest.raises(Forbidden):
        activate_device(
            session, runtime.vault, IMEI, "AAAA-BBBB-CCCC", customer_id=customer, now=NOW
        )
    with runtime.db.session() as session, pytest.raises(NotFound):
        activate_device(session, runtime.vault, "111", "AAAA", customer_id=customer, now=NOW)
    with runtime.db.session() as session:
        assert find_device(session, runtime.vault, IMEI).customer_id is None


def test_a_device_that_reported_on_its_own_cannot_be_activated_without_a_code(
    runtime: Runtime,
) -> None:
    customer = new_customer(runtime)
    with runtime.db.session() as session:
        refs = resolve_devices(session, runtime.vault, {IMEI: "teltonika"}, now=NOW)
    with runtime.db.session() as session, pytest.raises(Forbidden):
        activate_device(session, runtime.vault, IMEI, "", customer_id=customer, now=NOW)
    with runtime.db.session() as session:
        registration = register_device(session, runtime.vault, IMEI, now=NOW)
    assert registration.device_id == refs[IMEI].id and not registration.created


def test_activation_deletes_the_positions_kept_under_the_fleet_key(runtime: Runtime) -> None:
    customer = new_customer(runtime)
    with runtime.db.session() as session:
        code = register_device(session, runtime.vault, IMEI, now=NOW).activation_code
        device = find_device(session, runtime.vault, IMEI)
        fix = PositionFix(52.2, 5.4, 10.0, 90.0, 3.0, 8, True, 80)
        row = encrypt_position(
            session,
            runtime.vault,
            device_id=device.id,
            customer_id=None,
            fix_time=NOW,
            received_at=NOW,
            fix=fix,
        )
        insert_positions(session, [row])
    with runtime.db.session() as session:
        activate_device(session, runtime.vault, IMEI, code, customer_id=customer, now=NOW)
    with runtime.db.session() as session:
        assert session.scalars(select(Position)).all() == []


def test_resolve_registers_unknown_devices_once(runtime: Runtime) -> None:
    keys = {f"35693803564{n:04d}": "gt06" for n in range(3)}
    with runtime.db.session() as session:
        first = resolve_devices(session, runtime.vault, keys, now=NOW)
    with runtime.db.session() as session:
        second = resolve_devices(session, runtime.vault, keys, now=NOW)
        assert first == second
        assert all(ref.customer_id is None for ref in second.values())
        assert len(session.scalars(select(Device)).all()) == 3


def test_last_seen_only_moves_forward(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        ref = resolve_devices(session, runtime.vault, {IMEI: "gt06"}, now=NOW)[IMEI]
        mark_seen(session, [(ref.id, NOW), (ref.id, NOW.replace(hour=9))])
    with runtime.db.session() as session:
        mark_seen(session, [(ref.id, NOW)])
    with runtime.db.session() as session:
        assert session.get(Device, ref.id).last_seen_at == NOW.replace(hour=9)  # type: ignore[union-attr]


def test_the_list_shows_pseudonyms_and_owners_never_imeis(runtime: Runtime) -> None:
    customer = new_customer(runtime)
    with runtime.db.session() as session:
        code = register_device(session, runtime.vault, IMEI, now=NOW).activation_code
        register_device(session, runtime.vault, "860000000000001", now=NOW)
        activate_device(session, runtime.vault, IMEI, code, customer_id=customer, now=NOW)
    with runtime.db.session() as session:
        found = list_devices(session)
    assert sorted(d.activated for d in found) == [False, True]
    assert {d.owner for d in found} == {None, customer}
    text = repr([d.to_json() for d in found])
    assert IMEI not in text and "860000000000001" not in text
    assert all(d.pseudonym.startswith("dev-") for d in found)


def test_customers_are_found_by_the_blind_index_of_their_email(runtime: Runtime) -> None:
    customer = new_customer(runtime, "Jan@Example.NL")
    with runtime.db.session() as session:
        assert customer_by_email(session, runtime.vault, "jan@example.nl") == customer
        with pytest.raises(NotFound):
            customer_by_email(session, runtime.vault, "piet@example.nl")
