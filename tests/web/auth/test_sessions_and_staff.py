"""Sessions and staff accounts in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trackguard.clock import fixed_clock
from trackguard.errors import TrackguardError
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.base import new_id
from trackguard.store.models import Customer, StaffUser, WebSession
from trackguard.web.auth import (
    InvalidCredentials,
    LoginThrottle,
    Passwords,
    TooManyAttempts,
    create_staff_user,
    open_session,
    revoke,
    revoke_all,
    sign_in_staff,
)
from trackguard.web.auth.accounts import SignIn
from trackguard.web.auth.sessions import find_session, token_digest, touch

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


def _customer(runtime: Runtime) -> str:
    with runtime.db.session() as session:
        customer = Customer(id=new_id(), created_at=NOW, status="active", language="nl")
        session.add(customer)
    return customer.id


def test_only_the_token_hash_is_stored_and_finds_the_session(runtime: Runtime) -> None:
    customer = _customer(runtime)
    with runtime.db.session() as session:
        token, _ = open_session(session, kind="cookie", customer_id=customer, now=NOW)
    with runtime.db.session() as session:
        stored = session.scalars(select(WebSession)).one()
        assert stored.token_hash == token_digest(token) and token not in stored.token_hash
        assert find_session(session, token, now=NOW) is not None
        assert find_session(session, token, now=NOW, kind="token") is None
        assert find_session(session, token + "x", now=NOW) is None


def test_cookie_session_slides_but_never_past_thirty_days(runtime: Runtime) -> None:
    customer = _customer(runtime)
    with runtime.db.session() as session:
        token, row = open_session(session, kind="cookie", customer_id=customer, now=NOW)
        assert row.expires_at == NOW + timedelta(days=7)
        at = NOW
        for _ in range(4):  # used every 6 days: days 6, 12, 18, 24
            at += timedelta(days=6)
            found = find_session(session, token, now=at)
            assert found is not None
            touch(found, now=at)
        assert found.expires_at == NOW + timedelta(days=30)  # not day 31
        assert find_session(session, token, now=NOW + timedelta(days=29)) is not None
        assert find_session(session, token, now=NOW + timedelta(days=30)) is None


def test_revoked_sessions_end_at_once(runtime: Runtime) -> None:
    customer = _customer(runtime)
    with runtime.db.session() as session:
        one, row = open_session(session, kind="cookie", customer_id=customer, now=NOW)
        two, _ = open_session(session, kind="token", customer_id=customer, now=NOW)
        revoke(row, now=NOW + timedelta(minutes=1))
        assert row.expires_at == NOW + timedelta(minutes=1)
        assert find_session(session, one, now=NOW + timedelta(minutes=2)) is None
        assert revoke_all(session, customer_id=customer, now=NOW + timedelta(minutes=2)) == 1
        assert find_session(session, two, now=NOW + timedelta(minutes=3)) is None


def test_a_session_has_exactly_one_principal(runtime: Runtime) -> None:
    with pytest.raises(ValueError), runtime.db.session() as session:
        open_session(session, kind="cookie", now=NOW)
    with pytest.raises(IntegrityError), runtime.db.session() as session:
        session.add(
            WebSession(
                id=new_id(),
                token_hash="0" * 64,
                kind="cookie",
                created_at=NOW,
                last_seen_at=NOW,
                expires_at=NOW,
            )
        )


def test_staff_accounts_sign_in_by_role_and_close(runtime: Runtime) -> None:
    guard = SignIn(PASSWORDS, LoginThrottle(clock=fixed_clock(NOW)))
    with runtime.db.session() as session:
        staff = create_staff_user(
            session,
            runtime.vault,
            PASSWORDS,
            "Anna@Conneqtech.example",
            "s3cret!",
            "privacy_officer",
            now=NOW,
        )
        with pytest.raises(TrackguardError):
            create_staff_user(
                session, runtime.vault, PASSWORDS, "anna@conneqtech.example", "x", "admin", now=NOW
            )
        with pytest.raises(TrackguardError):
            create_staff_user(
                session,
                runtime.vault,
                PASSWORDS,
                "b@c.example",
                "x",
                "janitor",
                now=NOW,  # type: ignore[arg-type]
            )
    with runtime.db.session() as session:
        stored = session.get(StaffUser, staff.id)
        assert stored is not None and "anna" not in stored.email_index.lower()
        found = sign_in_staff(
            session,
            runtime.vault,
            guard,
            "anna@conneqtech.example",
            "s3cret!",
            address="a",
            now=NOW,
        )
        assert found.id == staff.id and found.role == "privacy_officer"
        assert found.last_login_at == NOW
        found.disabled_at = NOW
    with runtime.db.session() as session, pytest.raises(InvalidCredentials):
        sign_in_staff(
            session,
            runtime.vault,
            guard,
            "anna@conneqtech.example",
            "s3cret!",
            address="a",
            now=NOW,
        )


def test_staff_sign_in_is_throttled(runtime: Runtime) -> None:
    guard = SignIn(PASSWORDS, LoginThrottle(clock=fixed_clock(NOW)))
    with runtime.db.session() as session:
        create_staff_user(
            session, runtime.vault, PASSWORDS, "x@c.example", "good", "support", now=NOW
        )
    for _ in range(5):
        with runtime.db.session() as session, pytest.raises(InvalidCredentials):
            sign_in_staff(session, runtime.vault, guard, "x@c.example", "bad", address="a", now=NOW)
    with runtime.db.session() as session, pytest.raises(TooManyAttempts):
        sign_in_staff(session, runtime.vault, guard, "x@c.example", "good", address="a", now=NOW)
