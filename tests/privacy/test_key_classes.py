"""E-mails and complaints written before they had a key class of their own (under the
communications key) are moved to the correspondence key, so erasure keeps them readable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import fixed_clock
from trackguard.errors import VaultError
from trackguard.privacy.erasure import erase_subject
from trackguard.privacy.retention.key_classes import LAYOUT, Moved, move_key_classes
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Complaint, Customer, EmailMessage, VaultMeta
from trackguard.vault.binding import place_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OLD_BODY, NEW_BODY = "Written before the upgrade", "Written after the upgrade"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


def _sealed_as_before(
    session: Session, runtime: Runtime, row: object, column: str, text: str
) -> None:
    """Seal as the release before did: under the communications key."""
    place = place_of(session, row, column)
    blob = runtime.vault.encrypt(
        session,
        text,
        subject=place.subject,
        key_class="communications",
        table=place.table,
        column=place.column,
        row=place.row,
    )
    setattr(row, column, blob)


def _upgraded_database(runtime: Runtime) -> tuple[str, str, str]:
    """A customer with an old e-mail and complaint, and an e-mail written since."""
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(created_at=NOW, language="nl", status="active")
        session.add(customer)
        session.flush()
        old = EmailMessage(customer_id=customer.id, direction="inbound", sent_at=NOW)
        _sealed_as_before(session, runtime, old, "subject", "Old subject")
        _sealed_as_before(session, runtime, old, "body", OLD_BODY)
        complaint = Complaint(customer_id=customer.id, filed_at=NOW, channel="email", topic="x")
        _sealed_as_before(session, runtime, complaint, "body", OLD_BODY)
        new = EmailMessage(customer_id=customer.id, direction="outbound", sent_at=NOW)
        vault.seal(session, new, "subject", "New subject")
        vault.seal(session, new, "body", NEW_BODY)
        session.add_all([old, complaint, new])
        meta = session.get(VaultMeta, 1)
        assert meta is not None
        meta.key_class_layout = None  # as migration 0007 leaves an existing database
        session.flush()
        return customer.id, old.id, complaint.id


def _bodies(runtime: Runtime) -> set[str]:
    with runtime.db.session() as session:
        rows = [*session.scalars(select(EmailMessage)), *session.scalars(select(Complaint))]
        return {runtime.vault.unseal(session, r, "body") or "" for r in rows}


def test_old_ciphertexts_move_to_the_new_class_once(runtime: Runtime) -> None:
    _upgraded_database(runtime)
    with pytest.raises(VaultError):
        _bodies(runtime)  # the old rows do not open under their table's new class
    assert move_key_classes(runtime.db, runtime.vault) == Moved(fields=3)
    assert _bodies(runtime) == {OLD_BODY, NEW_BODY}
    with runtime.db.session() as session:
        meta = session.get(VaultMeta, 1)
        assert meta is not None and meta.key_class_layout == LAYOUT
    assert move_key_classes(runtime.db, runtime.vault) == Moved()  # done: nothing is read again


def test_erasure_moves_its_subject_first_and_keeps_the_correspondence(runtime: Runtime) -> None:
    customer, _, _ = _upgraded_database(runtime)
    outcome = erase_subject(runtime, customer)
    assert "correspondence" in outcome.key_classes_kept
    assert "communications" in outcome.key_classes_destroyed
    assert outcome.kept["emails"] == 2 and outcome.kept["complaints"] == 1
    assert _bodies(runtime) == {OLD_BODY, NEW_BODY}
