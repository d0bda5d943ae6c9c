"""Devices: registration by IMEI, activation by a customer, and the look-ups the writer needs.

A device is found by the blind index of its IMEI (`devices.imei_index`), never by
the IMEI itself. Until a customer activates it, a device is a non-customer
device: the database holds only that keyed hash (`imei` stays NULL), and its
positions go under the rotating fleet key. Activation needs the activation code
the operator was shown once when registering it (`register_device`); it stores
the IMEI encrypted under the new owner's profile key, moves the device to the
owner, and removes the positions kept under the fleet key (they were kept only
to see that the tracker works, and may be someone else's whereabouts).

Unknown devices that report are registered automatically (`resolve_devices`),
without an activation code: the operator issues one with `register_device`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import Forbidden, NotFound, TrackguardError
from trackguard.store.base import new_id
from trackguard.store.models.accounts import Customer
from trackguard.store.models.tracking import Device
from trackguard.store.types import UTCDateTime
from trackguard.tracking.positions import delete_fleet_positions
from trackguard.vault import Vault

# No 0/O, 1/I/L: codes are read off a label or a screen and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LEN = 3, 4  # 12 characters, ~59 bits
PROTOCOL_MAX_LEN = 20  # devices.protocol is String(20)
_LOOKUP_CHUNK = 500
_HASHER = PasswordHasher()


class AlreadyActivated(TrackguardError):
    """The device already belongs to a customer."""


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """What the writer needs to know about a reporting device."""

    id: str
    customer_id: str | None


@dataclass(frozen=True)
class Registration:
    device_id: str
    activation_code: str  # shown once; only its hash is stored
    created: bool  # False: the device had reported before (or was registered) already


@dataclass(frozen=True)
class DeviceSummary:
    """One line of `trackguard devices list`: no IMEI, only its pseudonym."""

    id: str
    pseudonym: str
    protocol: str | None
    activated: bool
    owner: str | None
    created_at: datetime
    activated_at: datetime | None
    last_seen_at: datetime | None
    has_activation_code: bool

    def to_json(self) -> dict[str, object]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "id": self.id,
            "pseudonym": self.pseudonym,
            "protocol": self.protocol,
            "activated": self.activated,
            "owner": self.owner,
            "created_at": iso(self.created_at),
            "activated_at": iso(self.activated_at),
            "last_seen_at": iso(self.last_seen_at),
            "has_activation_code": self.has_activation_code,
        }


def imei_index(vault: Vault, imei: str) -> str:
    return vault.blind_index("imei", imei)


class ImeiIndexes:
    """Remembers the blind index of IMEIs seen lately: the batch writer looks up the same
    devices in every batch, and an HMAC per report adds up. Bounded; cleared when full."""

    def __init__(self, vault: Vault, max_size: int = 100_000) -> None:
        self.vault, self.max_size = vault, max_size
        self._known: dict[str, str] = {}

    def __call__(self, imei: str) -> str:
        index = self._known.get(imei)
        if index is None:
            if len(self._known) >= self.max_size:
                self._known.clear()
            index = self._known[imei] = imei_index(self.vault, imei)
        return index


def pseudonym(index: str) -> str:
    """A short, stable name for a device that reveals nothing (a prefix of the keyed hash)."""
    return f"dev-{index[:16]}"


def new_activation_code() -> str:
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def _normal_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


def _protocol(value: str | None) -> str | None:
    return None if value is None else value[:PROTOCOL_MAX_LEN]


def find_device(session: Session, vault: Vault, imei: str) -> Device:
    device = session.scalar(select(Device).where(Device.imei_index == imei_index(vault, imei)))
    if device is None:
        raise NotFound("no device with that IMEI is registered")
    return device


def register_device(
    session: Session, vault: Vault, imei: str, *, now: datetime, protocol: str | None = None
) -> Registration:
    """Register `imei` (or find it, if it reported already) and issue a new activation code.

    A code issued before is replaced. An activated device gets no code.
    """
    if not imei.strip():
        raise TrackguardError("an IMEI is needed")
    index = imei_index(vault, imei)
    device = session.scalar(select(Device).where(Device.imei_index == index))
    created = device is None
    if device is None:
        device = Device(id=new_id(), imei_index=index, created_at=now)
        session.add(device)
    elif device.customer_id is not None:
        raise AlreadyActivated("the device is already activated by a customer")
    if protocol is not None:
        device.protocol = _protocol(protocol)
    code = new_activation_code()
    device.activation_code_hash = _HASHER.hash(_normal_code(code))
    session.flush()
    return Registration(device.id, code, created)


def activate_device(
    session: Session,
    vault: Vault,
    imei: str,
    code: str,
    *,
    customer_id: str,
    now: datetime,
) -> Device:
    """Give the device to the customer, if `code` is its activation code.

    The code is single-use. The IMEI is stored encrypted under the customer's
    profile key; positions from before, under the fleet key, are deleted.
    """
    device = find_device(session, vault, imei)
    if device.customer_id is not None:
        raise AlreadyActivated("the device is already activated by a customer")
    if not _code_matches(device.activation_code_hash, code):
        raise Forbidden("the activation code does not match this device")
    if session.get(Customer, customer_id) is None:
        raise NotFound("no such customer")
    device.customer_id = customer_id
    device.activated_at = now
    device.activation_code_hash = None
    session.flush()
    vault.seal(session, device, "imei", imei.strip())
    delete_fleet_positions(session, device.id)
    session.flush()
    return device


def _code_matches(stored: str | None, code: str) -> bool:
    if stored is None:
        return False
    try:
        return _HASHER.verify(stored, _normal_code(code))
    except (VerificationError, InvalidHashError):
        return False


def customer_by_email(session: Session, vault: Vault, email: str) -> str:
    found = session.scalar(
        select(Customer.id).where(Customer.email_index == vault.blind_index("email", email))
    )
    if found is None:
        raise NotFound("no customer with that e-mail address")
    return found


def list_devices(session: Session) -> list[DeviceSummary]:
    rows = session.scalars(select(Device).order_by(Device.created_at, Device.id))
    return [
        DeviceSummary(
            id=d.id,
            pseudonym=pseudonym(d.imei_index),
            protocol=d.protocol,
            activated=d.customer_id is not None,
            owner=d.customer_id,
            created_at=d.created_at,
            activated_at=d.activated_at,
            last_seen_at=d.last_seen_at,
            has_activation_code=d.activation_code_hash is not None,
        )
        for d in rows
    ]


# -- the writer's side ---------------------------------------------------------------


def resolve_devices(
    session: Session,
    vault: Vault,
    protocols: Mapping[str, str | None],
    *,
    now: datetime,
    indexes: Callable[[str], str] | None = None,
) -> dict[str, DeviceRef]:
    """Map each device key (IMEI) to its device, registering unknown ones.

    `protocols` maps device key -> the protocol it reported on. New devices get
    no activation code and no stored IMEI, only its blind index. On PostgreSQL the
    rows are locked FOR SHARE until the caller commits, so an activation cannot
    slip between this look-up and the positions written for the old owner.
    """
    index_of = indexes or (lambda imei: imei_index(vault, imei))
    by_index = {index_of(key): key for key in protocols}
    found = _lookup(session, by_index)
    missing = [index for index in by_index if index not in found]
    if missing:
        rows = [
            {
                "id": new_id(),
                "imei_index": index,
                "protocol": _protocol(protocols[by_index[index]]),
                "created_at": now,
                "armed": False,
            }
            for index in missing
        ]
        dialect = session.get_bind().dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(Device).on_conflict_do_nothing(index_elements=["imei_index"])
        session.execute(statement, rows)
        found.update(_lookup(session, {index: by_index[index] for index in missing}))
    return {by_index[index]: ref for index, ref in found.items()}


def _lookup(session: Session, by_index: Mapping[str, str]) -> dict[str, DeviceRef]:
    found: dict[str, DeviceRef] = {}
    indexes = list(by_index)
    for start in range(0, len(indexes), _LOOKUP_CHUNK):
        chunk = indexes[start : start + _LOOKUP_CHUNK]
        for index, device_id, customer_id in session.execute(_LOOKUP, {"indexes": chunk}):
            found[index] = DeviceRef(device_id, customer_id)
    return found


# Built once: a statement used again skips SQLAlchemy's construction and cache-key work,
# which every writer batch would otherwise pay.
_LOOKUP = (
    select(Device.imei_index, Device.id, Device.customer_id)
    .where(Device.imei_index.in_(bindparam("indexes", expanding=True)))
    .with_for_update(read=True)
)


def mark_seen(session: Session, seen: Iterable[tuple[str, datetime]]) -> None:
    """Move `devices.last_seen_at` forward (never back) for each (device id, time)."""
    latest: dict[str, datetime] = {}
    for device_id, at in seen:
        if device_id not in latest or at > latest[device_id]:
            latest[device_id] = at
    if not latest:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # Straight to the driver (the hot path of every batch): naive UTC text, as
        # `UTCDateTime` stores it on SQLite, so text order is time order.
        stamps = {
            d: as_utc(at).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            for d, at in latest.items()
        }
        connection.exec_driver_sql(
            "UPDATE devices SET last_seen_at = ? "
            "WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
            [(stamps[d], d, stamps[d]) for d in sorted(latest)],
        )
        return
    table, stamp = cast(Table, Device.__table__), UTCDateTime()
    statement = (
        table.update()
        .where(
            table.c.id == bindparam("device"),
            table.c.last_seen_at.is_(None) | (table.c.last_seen_at < bindparam("at", type_=stamp)),
        )
        .values(last_seen_at=bindparam("at", type_=stamp))
    )
    # In id order: two writers updating the same devices then lock them in the same order.
    params = [{"device": d, "at": latest[d]} for d in sorted(latest)]
    session.execute(statement, params)
