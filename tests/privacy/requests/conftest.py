"""Rights-request fixtures: a runtime on a movable clock, a local SMTP server, customers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from request_helpers import EMAIL, NOW, AddCustomer, Counts, Inbox, MovableClock, free_port
from sqlalchemy import func, select

from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import AuditEntry, Customer, RequestEvent, RightsRequest


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def mails(inbox: tuple[Inbox, int]) -> Inbox:
    return inbox[0]


@pytest.fixture
def runtime(settings: Settings, inbox: tuple[Inbox, int], clock: MovableClock) -> Iterator[Runtime]:
    configured = settings.model_copy(update={"smtp_port": inbox[1]})
    with Runtime.open(configured, clock=clock) as opened:
        yield opened


@pytest.fixture
def add_customer(runtime: Runtime) -> AddCustomer:
    def add(
        email: str | None = EMAIL,
        *,
        language: str = "nl",
        first_name: str = "Jan",
        last_name: str = "de Vries",
        phone: str = "+31 6 12345678",
    ) -> str:
        vault = runtime.vault
        with runtime.db.session() as session:
            customer = Customer(
                created_at=NOW - timedelta(days=400),
                email_index=vault.blind_index("email", email) if email else None,
                language=language,
                status="active",
            )
            if email:
                vault.seal(session, customer, "email", email)
            vault.seal(session, customer, "first_name", first_name)
            vault.seal(session, customer, "last_name", last_name)
            vault.seal(session, customer, "phone", phone)
            session.add(customer)
            session.flush()
            return customer.id

    return add


@pytest.fixture
def row_counts(runtime: Runtime) -> Callable[[], Counts]:
    """Rows of the tables a request step writes: to prove a refused step wrote nothing."""

    def count() -> Counts:
        with runtime.db.session() as session:
            return Counts(
                requests=session.scalar(select(func.count()).select_from(RightsRequest)) or 0,
                events=session.scalar(select(func.count()).select_from(RequestEvent)) or 0,
                audit=session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            )

    return count
