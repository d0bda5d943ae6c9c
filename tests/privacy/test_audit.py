"""The audit log: a hash chain that names the first altered, removed or moved entry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from trackguard.privacy.audit import (
    GENESIS_HASH,
    AuditLog,
    entry_hash,
    list_entries,
    shred_subject,
    verify,
)
from trackguard.store.engine import Database
from trackguard.store.models.audit import AuditEntry

SUBJECTS = ("a" * 32, "b" * 32, "c" * 32)
TABLE = AuditEntry.__table__


def stepping_clock(
    start: datetime = datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
) -> Callable[[], datetime]:
    """A clock that moves one second (and a few microseconds) per reading."""
    ticks = iter(range(1_000_000))
    return lambda: start + timedelta(seconds=next(ticks), microseconds=17)


def append(db: Database, log: AuditLog, n: int, *, subject: str | None = None) -> list[AuditEntry]:
    entries = []
    with db.session() as session:
        for i in range(n):
            entries.append(
                log.append(
                    session,
                    actor="staff:helpdesk-1",
                    role="support",
                    purpose="provide.service",
                    subject_id=subject if subject is not None else SUBJECTS[i % len(SUBJECTS)],
                    categories=["user.location.precise", "user.contact.email"],
                    action="read",
                )
            )
    return entries


@pytest.fixture
def log() -> AuditLog:
    return AuditLog(clock=stepping_clock())


@pytest.fixture
def ten(db: Database, log: AuditLog) -> list[AuditEntry]:
    return append(db, log, 10)


def tamper(db: Database, statement: Any) -> None:
    """Change the table behind the log's back, as someone with database access could."""
    with db.engine.begin() as connection:
        connection.execute(statement)


def swap_seq(db: Database, first: int, second: int) -> None:
    tamper(db, update(TABLE).where(TABLE.c.seq == first).values(seq=-1))
    tamper(db, update(TABLE).where(TABLE.c.seq == second).values(seq=first))
    tamper(db, update(TABLE).where(TABLE.c.seq == -1).values(seq=second))


def test_an_empty_log_verifies(db: Database) -> None:
    result = verify(db)
    assert result.ok
    assert (result.checked, result.head_hash) == (0, None)


def test_a_chain_of_entries_verifies(db: Database, ten: list[AuditEntry]) -> None:
    result = verify(db, batch_size=3)
    assert result.ok
    assert result.checked == 10
    assert result.head_hash == ten[-1].hash


def test_entries_are_numbered_from_one_and_chain_from_genesis(ten: list[AuditEntry]) -> None:
    assert [e.seq for e in ten] == list(range(1, 11))
    assert ten[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(ten))


def test_entries_read_back_from_the_database_hash_the_same(
    db: Database, ten: list[AuditEntry]
) -> None:
    with db.session() as session:
        stored = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        for entry in stored:
            assert entry.hash == entry_hash(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                role=entry.role,
                purpose=entry.purpose,
                subject_digest=entry.subject_digest,
                categories=entry.categories,
                action=entry.action,
                prev_hash=entry.prev_hash,
            )


def test_every_hashed_field_changes_the_hash() -> None:
    base: dict[str, Any] = dict(
        seq=1,
        at=datetime(2024, 1, 1, tzinfo=UTC),
        actor="staff:1",
        role="support",
        purpose="provide.service",
        subject_digest="d" * 64,
        categories=["user.contact.email"],
        action="read",
        prev_hash=GENESIS_HASH,
    )
    changes: dict[str, Any] = dict(
        seq=2,
        at=datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        actor="staff:2",
        role="admin",
        purpose="marketing",
        subject_digest="e" * 64,
        categories=["user.contact.phone_number"],
        action="export",
        prev_hash="0" * 64,
    )
    original = entry_hash(**base)
    for field, value in changes.items():
        assert entry_hash(**{**base, field: value}) != original, field


TAMPERED_FIELDS = {
    "at": datetime(2030, 1, 1, tzinfo=UTC),
    "actor": "staff:someone-else",
    "role": "admin",
    "purpose": "marketing",
    "subject_id": "f" * 32,
    "subject_salt": "0" * 32,
    "subject_digest": "0" * 64,
    "categories": ["user.contact.email"],
    "action": "delete",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


@pytest.mark.parametrize("field", sorted(TAMPERED_FIELDS))
def test_altering_any_field_of_a_middle_entry_is_reported_at_that_entry(
    db: Database, ten: list[AuditEntry], field: str
) -> None:
    tamper(db, update(TABLE).where(TABLE.c.seq == 5).values({field: TAMPERED_FIELDS[field]}))
    result = verify(db, batch_size=3)
    assert not result.ok
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (5, "altered")
    assert result.checked == 4
    assert result.head_hash == ten[3].hash


def test_deleting_a_middle_entry_is_reported_as_removed_at_its_seq(
    db: Database, ten: list[AuditEntry]
) -> None:
    tamper(db, delete(TABLE).where(TABLE.c.seq == 5))
    result = verify(db, batch_size=3)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (5, "removed")
    assert "entry 5 is missing" in result.broken.detail


def test_deleting_the_first_entry_is_reported_as_removed(
    db: Database, ten: list[AuditEntry]
) -> None:
    tamper(db, delete(TABLE).where(TABLE.c.seq == 1))
    result = verify(db)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (1, "removed")


def test_deleting_several_entries_names_the_first_missing(
    db: Database, ten: list[AuditEntry]
) -> None:
    tamper(db, delete(TABLE).where(TABLE.c.seq.in_([4, 5, 6])))
    result = verify(db)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (4, "removed")
    assert "entries 4 to 6 are missing" in result.broken.detail


@pytest.mark.parametrize(("first", "second"), [(5, 6), (3, 8), (9, 10), (1, 2)])
def test_swapping_two_entries_is_reported_as_reordered_at_the_first(
    db: Database, ten: list[AuditEntry], first: int, second: int
) -> None:
    swap_seq(db, first, second)
    result = verify(db, batch_size=2)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (first, "reordered")
    assert result.checked == first - 1


def test_moving_an_entry_to_the_end_is_reported_as_reordered_where_it_was(
    db: Database, ten: list[AuditEntry]
) -> None:
    tamper(db, update(TABLE).where(TABLE.c.seq == 5).values(seq=99))
    result = verify(db)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (5, "reordered")


def test_shredding_a_subject_keeps_the_chain_valid(db: Database, ten: list[AuditEntry]) -> None:
    subject = SUBJECTS[0]
    with db.session() as session:
        assert shred_subject(session, subject) == 4  # entries 1, 4, 7, 10
    result = verify(db)
    assert result.ok
    assert (result.checked, result.shredded) == (10, 4)
    assert result.head_hash == ten[-1].hash
    with db.session() as session:
        assert list_entries(session, subject_id=subject) == []
        shredded = session.scalars(select(AuditEntry).where(AuditEntry.seq.in_([1, 4]))).all()
        assert all(e.subject_id is None and e.subject_salt is None for e in shredded)
        assert all(e.subject_digest for e in shredded)
        others = list_entries(session, subject_id=SUBJECTS[1])
        assert [e.seq for e in others] == [2, 5, 8]


def test_a_shredded_subject_cannot_be_put_back(db: Database, ten: list[AuditEntry]) -> None:
    with db.session() as session:
        shred_subject(session, SUBJECTS[0])
    tamper(db, update(TABLE).where(TABLE.c.seq == 4).values(subject_id=SUBJECTS[0]))
    result = verify(db)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (4, "altered")


def test_entries_without_a_subject_verify(db: Database, log: AuditLog) -> None:
    with db.session() as session:
        log.append(
            session,
            actor="system:retention",
            role="system",
            purpose="legal.obligation",
            subject_id=None,
            categories=[],
            action="sweep",
        )
    append(db, log, 2)
    assert verify(db).ok


def test_an_append_rolled_back_with_its_transaction_leaves_no_gap(
    db: Database, log: AuditLog
) -> None:
    append(db, log, 2)
    with pytest.raises(RuntimeError), db.session() as session:
        log.append(
            session,
            actor="staff:1",
            role="support",
            purpose="provide.service",
            subject_id=SUBJECTS[0],
            categories=["user.contact.email"],
            action="read",
        )
        raise RuntimeError("the change being audited failed")
    entries = append(db, log, 1)
    assert entries[0].seq == 3
    assert verify(db).ok


def test_concurrent_writers_extend_one_chain(db: Database) -> None:
    def slow_clock() -> datetime:
        # The clock is read between the tail read and the insert: widen that window.
        time.sleep(0.005)
        return datetime.now(UTC)

    log = AuditLog(clock=slow_clock)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for _ in range(15):
                with db.session() as session:
                    log.append(
                        session,
                        actor=f"staff:{number}",
                        role="support",
                        purpose="provide.service",
                        subject_id=SUBJECTS[number % 3],
                        categories=["user.location.precise"],
                        action="read",
                    )
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    result = verify(db)
    assert result.ok
    assert result.checked == 60


def test_the_subject_id_may_only_appear_in_the_subject_link(db: Database, log: AuditLog) -> None:
    with pytest.raises(ValueError, match="must not contain the subject id"), db.session() as s:
        log.append(
            s,
            actor=f"customer:{SUBJECTS[0]}",
            role="customer",
            purpose="provide.service",
            subject_id=SUBJECTS[0],
            categories=["user.contact.email"],
            action="read",
        )


def test_overlong_fields_are_refused_on_every_backend(db: Database, log: AuditLog) -> None:
    with pytest.raises(ValueError, match="'action' is longer than 80"), db.session() as s:
        log.append(
            s,
            actor="staff:1",
            role="support",
            purpose="provide.service",
            subject_id=None,
            categories=[],
            action="x" * 81,
        )


def test_list_entries_returns_the_newest_oldest_first(db: Database, ten: list[AuditEntry]) -> None:
    with db.session() as session:
        assert [e.seq for e in list_entries(session, limit=3)] == [8, 9, 10]
        assert [e.seq for e in list_entries(session, subject_id=SUBJECTS[2])] == [3, 6, 9]
