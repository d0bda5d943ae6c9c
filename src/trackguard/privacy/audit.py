"""The audit log: append-only, hash-chained, verifiable, shreddable in place.

Every entry records who (actor, role) did what (action) to whose data (subject,
categories) and why (purpose), and when. Its hash is SHA-256 over a canonical
encoding (sorted-key, compact JSON) of seq, time, actor, role, purpose, subject
digest, categories, action and the previous entry's hash; the first entry
chains from `GENESIS_HASH`. Changing, removing or reordering an entry therefore
breaks the chain at that entry, and `verify` names it.

Shredding in place (pretix style). Erasure must be able to remove the link from
audit entries to a subject without deleting the entries (the audit trail itself
must survive) and without breaking verification. So the hash does not cover the
subject id but `subject_digest = SHA-256(subject_salt || subject_id)`, stored
beside it with a random per-entry salt. `shred_subject` sets `subject_id` and
`subject_salt` to NULL and keeps the digest: the chain still verifies, and with
the salt gone nobody can link the digest back to the subject, not even someone
who still holds the id elsewhere (a backup, a record kept under legal
obligation). An unsalted digest would not give that: anyone with the id could
recompute it. While the id is present, `verify` checks it against the digest,
so altering the subject of an entry is detected like any other alteration.

Because the subject link is the only thing shredding clears, a subject id must
not appear in actor, purpose or action; `append` refuses it. When a subject acts
on their own data, the actor is "subject" and the subject link says who.

Appends serialise, so two writers cannot fork the chain: on PostgreSQL through a
transaction-scoped advisory lock, on SQLite by taking the database write lock
before the tail is read. Both happen inside the caller's transaction, so the
entry commits or rolls back with the change it records. The unique `prev_hash`
column is the backstop: the database refuses a second entry after the same tail.

Limit: an unkeyed chain cannot show that entries were cut off its end. Record
the head hash (`VerifyResult.head_hash`, `trackguard audit verify --json`)
somewhere else to detect that.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, cast

from sqlalchemy import String, Table, insert, select, text, update
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc, system_clock
from trackguard.errors import ConfigurationError
from trackguard.store.engine import Database
from trackguard.store.models.audit import AuditEntry

GENESIS_HASH = hashlib.sha256(b"trackguard audit log genesis v1").hexdigest()
# Fixed key of the PostgreSQL advisory lock guarding the chain's tail ("tgaudit1").
ADVISORY_LOCK_KEY = int.from_bytes(b"tgaudit1", "big") & 0x7FFF_FFFF_FFFF_FFFF
HASH_VERSION = 1

Reason = Literal["altered", "removed", "reordered"]


class AuditRecord(Protocol):
    """What verification reads of an entry: an `AuditEntry` or a selected row."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def subject_id(self) -> str | None: ...
    @property
    def subject_salt(self) -> str | None: ...
    @property
    def subject_digest(self) -> str | None: ...
    @property
    def categories(self) -> Sequence[str]: ...
    @property
    def action(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def subject_digest(salt: str, subject_id: str) -> str:
    return hashlib.sha256(f"{salt}:{subject_id}".encode()).hexdigest()


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    role: str,
    purpose: str,
    subject_digest: str | None,
    categories: Sequence[str],
    action: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical encoding of one entry (the subject only as digest)."""
    payload = {
        "v": HASH_VERSION,
        "seq": seq,
        # Microseconds always: both backends keep them, so the text survives a round trip.
        "at": as_utc(at).isoformat(timespec="microseconds"),
        "actor": actor,
        "role": role,
        "purpose": purpose,
        "subject": subject_digest,
        "categories": list(categories),
        "action": action,
        "prev": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hash_of(record: AuditRecord, seq: int) -> str:
    return entry_hash(
        seq=seq,
        at=record.at,
        actor=record.actor,
        role=record.role,
        purpose=record.purpose,
        subject_digest=record.subject_digest,
        categories=record.categories,
        action=record.action,
        prev_hash=record.prev_hash,
    )


class AuditLog:
    """Appends entries to the chain, in the caller's session and transaction."""

    def __init__(self, clock: Clock = system_clock) -> None:
        self.clock = clock

    def append(
        self,
        session: Session,
        *,
        actor: str,
        role: str,
        purpose: str,
        subject_id: str | None,
        categories: Iterable[str],
        action: str,
    ) -> AuditEntry:
        """Add one entry after the current tail and flush it (still inside the lock)."""
        entry = AuditEntry(
            **self._next_values(
                session,
                actor=actor,
                role=role,
                purpose=purpose,
                subject_id=subject_id,
                categories=categories,
                action=action,
            )
        )
        session.add(entry)
        session.flush()
        return entry

    def record(
        self,
        session: Session,
        *,
        actor: str,
        role: str,
        purpose: str,
        subject_id: str | None,
        categories: Iterable[str],
        action: str,
    ) -> None:
        """`append` for callers that do not need the entry back: one Core INSERT, no ORM
        object or flush (a read API writes one entry per request, so this is its hot path)."""
        values = self._next_values(
            session,
            actor=actor,
            role=role,
            purpose=purpose,
            subject_id=subject_id,
            categories=categories,
            action=action,
        )
        session.connection().execute(_INSERT_ENTRY, values)

    def _next_values(
        self,
        session: Session,
        *,
        actor: str,
        role: str,
        purpose: str,
        subject_id: str | None,
        categories: Iterable[str],
        action: str,
    ) -> dict[str, Any]:
        """The columns of the entry after the current tail, taking the append lock first."""
        _check_fields(actor=actor, role=role, purpose=purpose, action=action, subject_id=subject_id)
        given = list(categories)
        if any(not isinstance(c, str) or not c for c in given):
            raise ValueError("audit categories must be non-empty strings")
        cats = sorted(set(given))  # canonical: order and repeats carry no meaning
        _lock_tail(session)
        tail = session.connection().execute(_TAIL).first()  # Core: no ORM result machinery
        seq, prev_hash = (tail[0] + 1, tail[1]) if tail else (1, GENESIS_HASH)
        salt = digest = None
        if subject_id is not None:
            salt = secrets.token_hex(16)
            digest = subject_digest(salt, subject_id)
        at = as_utc(self.clock())
        values: dict[str, Any] = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "role": role,
            "purpose": purpose,
            "subject_id": subject_id,
            "subject_salt": salt,
            "subject_digest": digest,
            "categories": cats,
            "action": action,
            "prev_hash": prev_hash,
        }
        values["hash"] = entry_hash(
            seq=seq,
            at=at,
            actor=actor,
            role=role,
            purpose=purpose,
            subject_digest=digest,
            categories=cats,
            action=action,
            prev_hash=prev_hash,
        )
        return values


# Built once: statements used again skip SQLAlchemy's construction and cache-key work.
_ENTRIES = cast(Table, AuditEntry.__table__)
_TAIL = select(_ENTRIES.c.seq, _ENTRIES.c.hash).order_by(_ENTRIES.c.seq.desc()).limit(1)
_INSERT_ENTRY = insert(_ENTRIES)
_LOCK_SQLITE = text("UPDATE audit_entries SET seq = seq WHERE 0")
_LOCK_POSTGRESQL = text("SELECT pg_advisory_xact_lock(:key)")


def _check_fields(*, subject_id: str | None, **fields: str) -> None:
    """Refuse what PostgreSQL would refuse anyway, so SQLite stores the same log."""
    columns = AuditEntry.__table__.c
    for name, value in {**fields, "subject_id": subject_id}.items():
        if value is None and name == "subject_id":
            continue
        if not isinstance(value, str) or not value:
            raise ValueError(f"audit field '{name}' must be a non-empty string")
        column_type = columns[name].type
        if (
            isinstance(column_type, String)
            and column_type.length
            and len(value) > column_type.length
        ):
            raise ValueError(f"audit field '{name}' is longer than {column_type.length}")
        if subject_id and name != "subject_id" and subject_id in value:
            # Shredding clears only the subject link; a copy elsewhere would survive it.
            raise ValueError(f"audit field '{name}' must not contain the subject id")


def _lock_tail(session: Session) -> None:
    """Serialise appenders for the rest of the caller's transaction."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(_LOCK_POSTGRESQL, {"key": ADVISORY_LOCK_KEY})
    elif dialect == "sqlite":
        # A write that changes nothing still takes SQLite's single write lock (waiting up
        # to busy_timeout), so the tail read below cannot be overtaken by another writer.
        connection.execute(_LOCK_SQLITE)
    else:
        raise ConfigurationError(f"audit log has no append lock for backend '{dialect}'")


def shred_subject(session: Session, subject_id: str) -> int:
    """Unlink every entry about `subject_id` (keeping the entries); returns how many.

    Hashes cover only the digest, so the chain verifies as before.
    """
    result = session.execute(
        update(AuditEntry)
        .where(AuditEntry.subject_id == subject_id)
        .values(subject_id=None, subject_salt=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_entries(
    session: Session, *, subject_id: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """The newest `limit` entries (about `subject_id`, if given), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(session.scalars(query).all()))


# --- verification -----------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not verify."""

    seq: int
    reason: Reason
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int  # entries that verified before the break (all of them when ok)
    shredded: int  # verified entries whose subject link was shredded
    head_hash: str | None  # hash of the last verified entry
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "entries": self.checked,
            "shredded": self.shredded,
            "head_hash": self.head_hash,
        }
        if self.broken:
            data |= {
                "broken_at": self.broken.seq,
                "reason": self.broken.reason,
                "detail": self.broken.detail,
            }
        return data


class ChainIndex(Protocol):
    """Look-ups that let `verify_chain` tell a moved entry from an altered one."""

    def seq_with_hash(self, value: str) -> int | None: ...
    def seq_after(self, value: str) -> int | None: ...


def verify_chain(records: Iterable[AuditRecord], index: ChainIndex | None = None) -> VerifyResult:
    """Check `records` in seq order; stop at the first entry that breaks the chain.

    Pure: reads the records once (so they can be streamed) and asks `index` only
    after something is already wrong.
    """
    prev_seq, prev_hash = 0, GENESIS_HASH
    checked = shredded = 0
    for record in records:
        broken = _check(record, prev_seq + 1, prev_hash, index)
        if broken:
            head = prev_hash if checked else None
            return VerifyResult(checked, shredded, head, broken)
        checked += 1
        shredded += record.subject_id is None and record.subject_digest is not None
        prev_seq, prev_hash = record.seq, record.hash
    return VerifyResult(checked, shredded, prev_hash if checked else None)


def _check(
    record: AuditRecord, expected_seq: int, expected_prev: str, index: ChainIndex | None
) -> ChainBreak | None:
    seq = record.seq
    if not _subject_matches(record):
        return ChainBreak(seq, "altered", f"entry {seq}'s subject does not match its digest")
    if _hash_of(record, seq) != record.hash:
        written_as = _written_as(record, index)
        if written_as is not None:
            return ChainBreak(
                seq, "reordered", f"entry {seq} holds the entry written as {written_as}"
            )
        return ChainBreak(seq, "altered", f"entry {seq}'s hash does not match its content")
    if record.prev_hash != expected_prev:
        found = index.seq_with_hash(record.prev_hash) if index else None
        if found is not None and found > seq:
            return ChainBreak(
                expected_seq, "reordered", f"entry {found} belongs before entry {seq}"
            )
        if seq > expected_seq:
            return ChainBreak(expected_seq, "removed", _missing(expected_seq, seq))
        return ChainBreak(seq, "removed", f"the entry before entry {seq} in the chain is missing")
    if seq != expected_seq:
        # Intact and linked, yet numbered past a gap: only a forged entry looks like this.
        return ChainBreak(expected_seq, "removed", _missing(expected_seq, seq))
    return None


def _missing(first: int, found: int) -> str:
    last = found - 1
    span = f"entry {first} is" if first == last else f"entries {first} to {last} are"
    return f"{span} missing (the log goes on at entry {found})"


def _subject_matches(record: AuditRecord) -> bool:
    if record.subject_id is None:
        return True  # never had a subject, or shredded: the hash still covers the digest
    if record.subject_salt is None or record.subject_digest is None:
        return False
    return subject_digest(record.subject_salt, record.subject_id) == record.subject_digest


def _written_as(record: AuditRecord, index: ChainIndex | None) -> int | None:
    """The seq under which this entry's content still verifies, if it is not its own."""
    candidates = [record.seq - 1, record.seq + 1]  # adjacent swaps need no look-up
    if index is not None:
        before = index.seq_with_hash(record.prev_hash)
        after = index.seq_after(record.hash)
        candidates += [before + 1 if before is not None else 0, after - 1 if after else 0]
    for seq in dict.fromkeys(candidates):
        if seq >= 1 and seq != record.seq and _hash_of(record, seq) == record.hash:
            return seq
    return None


class _SessionIndex:
    def __init__(self, session: Session) -> None:
        self.session = session

    def seq_with_hash(self, value: str) -> int | None:
        return self.session.scalar(select(AuditEntry.seq).where(AuditEntry.hash == value))

    def seq_after(self, value: str) -> int | None:
        return self.session.scalar(select(AuditEntry.seq).where(AuditEntry.prev_hash == value))


_VERIFIED_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.role,
    AuditEntry.purpose,
    AuditEntry.subject_id,
    AuditEntry.subject_salt,
    AuditEntry.subject_digest,
    AuditEntry.categories,
    AuditEntry.action,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def verify(source: Session | Database, *, batch_size: int = 1000) -> VerifyResult:
    """Verify the whole log, streaming it in seq order `batch_size` rows at a time."""
    if isinstance(source, Database):
        with source.session() as session:
            return verify(session, batch_size=batch_size)
    query = (
        select(*_VERIFIED_COLUMNS).order_by(AuditEntry.seq).execution_options(yield_per=batch_size)
    )
    with source.execute(query) as rows:
        return verify_chain(rows, _SessionIndex(source))
