"""Erasure (GDPR Art. 17): what identifies the subject becomes unreadable at once, then goes.

`erase_subject` does everything in one transaction, in this order:

1. **Keys first.** The subject's data keys are destroyed (crypto-shredding), so every
   ciphertext under them is unreadable from the commit on, in backups and exports too.
   A key class is kept only when every record it encrypts is held under a legal
   obligation: the policy says so by giving each such record a purpose whose legal
   basis is `legal_obligation`. A key cannot keep half its class readable, so records
   the law keeps have classes of their own: the financial records (orders, returns,
   payments, purchases) and the correspondence (e-mails and complaints, kept for legal
   compliance) keep theirs and are deleted by their own retention rules; chats, calls,
   WhatsApp and e-mails still waiting to be sent go with the communications key.
2. **Rows.** Every table whose subject column leads to the customer (the models' table
   info `subject_column` / `subject_via`) is handled by what the policy and the schema
   say about it, not by a list here:
   * records under a kept key class, or plaintext records under a legal obligation
     (consents as proof, rights requests, restrictions, objections, holds, export
     bookkeeping), are kept; their free-form personal content (JSON or text) is cleared;
   * the table other tables reach the subject through (devices) is unlinked and
     anonymised: owner NULL, every personal column cleared, the keyed hash of the IMEI
     replaced by a random token, so the tracker's next report registers a fresh device;
   * rows under a destroyed key whose only plaintext personal data is their primary key
     and that a retention rule with scope `unlinked` purges (positions) are left to that
     rule: their payloads are unreadable the moment the key is gone, and removing
     millions of rows here would make erasure as slow as the history is long. On
     PostgreSQL the rule drops whole month partitions; the rows of an unlinked tracker
     are due there within the rule's period;
   * everything else is deleted.
3. **Legal holds.** An active hold on the subject (no record table) keeps everything:
   nothing is destroyed or deleted and the outcome says so. A hold on a table or one
   record keeps those rows and, with them, their key class.
4. **Exports.** The subject's export ZIPs are deleted from the exports directory and
   their rows marked deleted.
5. **Audit log.** The subject link of their audit entries is shredded (the chain still
   verifies), and one entry records the erasure with counts only.
6. **Account.** `anonymise_customer` clears the customers row; its status becomes
   "erased" once nothing is held back. Erasing an erased subject raises `AlreadyErased`.
7. **Request.** With a rights request, its outcome (counts, as JSON) and a notice in
   plain words, in the subject's language, are written onto it.

On SQLite the erasure runs with `secure_delete` on (freed cells are zeroed instead of
lingering in the file) and checkpoints the WAL afterwards, so the erased bytes leave
the database files too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, LargeBinary, Text, delete, func, select, update
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import Forbidden, NotFound, TrackguardError
from trackguard.policy import Policy
from trackguard.policy.render import format_period
from trackguard.privacy.anonymise import anonymise_customer, anonymise_row, is_personal
from trackguard.privacy.audit import AuditLog, shred_subject
from trackguard.privacy.retention import key_classes
from trackguard.runtime import Runtime
from trackguard.store.base import KEY_CLASSES
from trackguard.store.engine import Database
from trackguard.store.models import (
    Customer,
    ExportFile,
    LegalHold,
    RequestEvent,
    RightsRequest,
    SubjectKey,
)
from trackguard.store.subject_tables import SubjectTable, mapper_of, subject_tables, table_map

log = logging.getLogger(__name__)

ERASED = "erased"  # customers.status once erasure is complete
ERASURE_RIGHT = "erasure"  # the policy's right, and the rights request type
AUDIT_PURPOSE = "privacy_rights"
LEGAL_OBLIGATION = "legal_obligation"
UNLINKED_SCOPE = "unlinked"
_FREE_FORM = (JSON, Text, LargeBinary)


class AlreadyErased(TrackguardError):
    """The subject was erased before; nothing was changed."""


# -- the plan (pure) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """An active legal hold: on the whole subject (table None), a table, or one record."""

    table: str | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class ErasurePlan:
    subject_table: str | None  # anonymised, not deleted
    destroy_classes: tuple[str, ...]
    keep_classes: tuple[str, ...]
    delete: tuple[str, ...]  # children first
    keep: tuple[str, ...]
    unlink: tuple[str, ...]
    deferred: Mapping[str, str]  # table -> the retention rule that removes its rows
    held_everything: bool = False
    held: Mapping[str, frozenset[str]] = field(default_factory=dict)  # empty set: whole table

    def is_held(self, table: str) -> bool:
        return self.held_everything or table in self.held


def obliged_records(policy: Policy, tables: Iterable[SubjectTable]) -> set[str]:
    """Tables the policy keeps for a purpose whose legal basis is a legal obligation."""
    return {
        t.name
        for t in tables
        if policy.has_record(t.name)
        and any(p.legal_basis == LEGAL_OBLIGATION for p in policy.purposes_for(t.name))
    }


def _unlinked_rule(policy: Policy, table: str) -> str | None:
    for rule in policy.rules_for(table):
        if rule.target(table).scope == UNLINKED_SCOPE:
            return rule.key
    return None


def plan_erasure(
    policy: Policy, tables: list[SubjectTable], holds: Iterable[Hold] = ()
) -> ErasurePlan:
    """Decide, from the policy and the models alone, what erasure does to each table."""
    tables = [t for t in tables if t.name != SubjectKey.__tablename__]  # the vault's own
    holds = list(holds)
    held_everything = any(h.table is None for h in holds)
    held = _held_rows(tables, holds)
    obliged = obliged_records(policy, tables)
    by_class: dict[str, list[str]] = {}
    for t in tables:
        if t.key_class is not None:
            by_class.setdefault(t.key_class, []).append(t.name)
    # Kept by law: every record under the key is obliged. Kept by a hold: only the held rows.
    lawful_classes = {c for c, names in by_class.items() if all(n in obliged for n in names)}
    keep_classes = lawful_classes | {t.key_class for t in tables if t.key_class and t.name in held}
    if held_everything:
        keep_classes |= set(by_class)
    subject_table = next((t.name for t in tables if t.is_subject), None)
    unlink = {t.via.table.name for t in tables if t.via}
    delete_, keep, deferred = [], [], {}
    for t in reversed(tables):
        if t.name == subject_table or t.name in unlink:
            continue
        readable = t.key_class is None or t.key_class in keep_classes
        rule = _unlinked_rule(policy, t.name) if t.via else None
        if t.name in obliged and (t.key_class is None or t.key_class in lawful_classes):
            keep.append(t.name)
        elif rule and not readable and not t.plaintext_personal:
            deferred[t.name] = rule
        else:
            delete_.append(t.name)
    return ErasurePlan(
        subject_table=subject_table,
        destroy_classes=tuple(c for c in KEY_CLASSES if c in by_class and c not in keep_classes),
        keep_classes=tuple(c for c in KEY_CLASSES if c in keep_classes),
        delete=tuple(delete_),
        keep=tuple(keep),
        unlink=tuple(t.name for t in tables if t.name in unlink),
        deferred=deferred,
        held_everything=held_everything,
        held=held,
    )


def _held_rows(tables: list[SubjectTable], holds: list[Hold]) -> dict[str, frozenset[str]]:
    """Table -> the record ids held in it (an empty set: all the subject's rows there)."""
    ids: dict[str, set[str]] = {}
    whole: set[str] = set()
    for hold in holds:
        if hold.table is None:
            continue
        if hold.record_id is None:
            whole.add(hold.table)
        else:
            ids.setdefault(hold.table, set()).add(hold.record_id)
    for t in tables:  # a held row keeps what it belongs to: a held position keeps its tracker
        if t.via and (t.name in whole or t.name in ids):
            whole.add(t.via.table.name)
    held = {name: frozenset(found) for name, found in ids.items()}
    held.update({name: frozenset() for name in whole})
    return held


# -- the outcome ---------------------------------------------------------------------------


@dataclass
class ErasureOutcome:
    """What erasure did, in counts: no personal data, so it can be logged and audited."""

    at: datetime
    request_id: str | None = None
    complete: bool = True
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    deferred: dict[str, str] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    key_classes_destroyed: tuple[str, ...] = ()
    key_classes_kept: tuple[str, ...] = ()
    keys_destroyed: int = 0
    export_files_deleted: int = 0
    audit_entries_shredded: int = 0
    legal_holds: int = 0

    @property
    def rows_deleted(self) -> int:
        return sum(self.deleted.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": as_utc(self.at).isoformat(),
            "request_id": self.request_id,
            "complete": self.complete,
            "deleted": dict(sorted(self.deleted.items())),
            "kept": dict(sorted(self.kept.items())),
            "anonymised": dict(sorted(self.anonymised.items())),
            "deferred": dict(sorted(self.deferred.items())),
            "held": dict(sorted(self.held.items())),
            "key_classes_destroyed": list(self.key_classes_destroyed),
            "key_classes_kept": list(self.key_classes_kept),
            "keys_destroyed": self.keys_destroyed,
            "export_files_deleted": self.export_files_deleted,
            "audit_entries_shredded": self.audit_entries_shredded,
            "legal_holds": self.legal_holds,
        }


# -- doing it ------------------------------------------------------------------------------


def erase_subject(
    runtime: Runtime,
    customer_id: str,
    *,
    request_id: str | None = None,
    actor: str = "system",
    at: datetime | None = None,
) -> ErasureOutcome:
    """Erase the customer `customer_id` (see the module docstring for what that means).

    With `request_id`, the request must be this customer's erasure request; its
    outcome and a notice for the subject are written onto it. The request's status
    is left to the rights workflow. Raises NotFound, Forbidden or AlreadyErased
    before changing anything.
    """
    with runtime.db.session() as session:
        outcome = erase_in(session, runtime, customer_id, request_id=request_id, actor=actor, at=at)
    checkpoint(runtime.db)
    return outcome


def erase_in(
    session: Session,
    runtime: Runtime,
    customer_id: str,
    *,
    request_id: str | None = None,
    actor: str = "system",
    at: datetime | None = None,
) -> ErasureOutcome:
    """`erase_subject` inside the caller's transaction (the rights workflow closes the
    request in the same one). Call `checkpoint(runtime.db)` after it commits."""
    moment = as_utc(at if at is not None else runtime.clock())
    policy = runtime.policy
    policy.right(ERASURE_RIGHT)  # a policy without the right must not erase anyone
    tables = subject_tables()
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    if customer.status == ERASED:
        raise AlreadyErased(f"customer {customer_id} was erased already")
    request = _erasure_request(session, request_id, customer_id) if request_id else None
    language = customer.language
    if not key_classes.is_current(session):
        # Rows still under a key class their table has left (e-mails under communications)
        # would go with that key: move them to the class erasure keeps first.
        key_classes.move_subject(session, runtime.vault, customer_id)
    holds = _active_holds(session, customer_id)
    plan = plan_erasure(policy, tables, holds)
    outcome = ErasureOutcome(at=moment, request_id=request_id, legal_holds=len(holds))
    if plan.held_everything:
        outcome.complete = False
        outcome.key_classes_kept = plan.keep_classes
    else:
        with _secure_delete(session):
            _erase(session, runtime, customer, plan, outcome, tables)
    _audit(session, runtime, outcome, actor)
    if request is not None:
        _tell_subject(session, policy, request, outcome, plan, language, actor)
    session.flush()
    log.info(
        "erasure: %d rows deleted, %d key classes destroyed, complete=%s",
        outcome.rows_deleted,
        len(outcome.key_classes_destroyed),
        outcome.complete,
    )
    return outcome


def _erase(
    session: Session,
    runtime: Runtime,
    customer: Customer,
    plan: ErasurePlan,
    outcome: ErasureOutcome,
    tables: list[SubjectTable],
) -> None:
    customer_id = customer.id
    info = {t.name: t for t in tables}
    outcome.keys_destroyed = runtime.vault.destroy_keys(session, customer_id, plan.destroy_classes)
    outcome.key_classes_destroyed = plan.destroy_classes
    outcome.key_classes_kept = plan.keep_classes
    for name in plan.delete:
        outcome.deleted[name] = _delete_rows(session, info[name], customer_id, plan)
    for name in plan.keep:
        outcome.kept[name] = _keep_rows(session, info[name], customer_id, plan)
    outcome.export_files_deleted = _delete_exports(
        session, runtime.settings.exports_dir, customer_id, plan, outcome.at
    )
    outcome.audit_entries_shredded = shred_subject(session, customer_id)
    for name in plan.unlink:
        outcome.anonymised[name] = _unlink_rows(session, info[name], customer_id, plan)
    outcome.deferred = dict(plan.deferred)
    for name, ids in plan.held.items():
        outcome.held[name] = _count(session, info[name], customer_id, only=ids)
    outcome.complete = not any(outcome.held.values())
    if plan.subject_table is not None and not plan.is_held(plan.subject_table):
        anonymise_customer(session, runtime.vault, customer, at=outcome.at)
        if outcome.complete:
            customer.status = ERASED
        outcome.anonymised[plan.subject_table] = 1
    session.flush()


def _not_held(info: SubjectTable, plan: ErasurePlan) -> Any:
    """Rows of the table no hold covers (a hold on a composite-key table keeps them all)."""
    ids = plan.held.get(info.name)
    if ids is None:
        return None
    if not ids or len(info.key) != 1:
        return False
    return info.key[0].not_in(sorted(ids))


def _where(info: SubjectTable, customer_id: str, plan: ErasurePlan) -> list[Any] | None:
    extra = _not_held(info, plan)
    if extra is False:
        return None
    return [info.belongs_to(customer_id)] + ([] if extra is None else [extra])


def _delete_rows(session: Session, info: SubjectTable, customer_id: str, plan: ErasurePlan) -> int:
    where = _where(info, customer_id, plan)
    if where is None:
        return 0
    result = session.execute(delete(info.table).where(*where))
    return int(getattr(result, "rowcount", 0) or 0)


def _keep_rows(session: Session, info: SubjectTable, customer_id: str, plan: ErasurePlan) -> int:
    """Kept rows lose their free-form personal content: the record, not the detail, is proof."""
    table = info.table
    free_form = [
        c
        for c in table.columns
        if is_personal(c)
        and not c.info.get("encrypted")
        and c.nullable
        and isinstance(c.type, _FREE_FORM)
    ]
    where = _where(info, customer_id, plan)
    if free_form and where is not None:
        session.execute(update(table).where(*where).values({c.name: None for c in free_form}))
    return _count(session, info, customer_id)


def _count(
    session: Session, info: SubjectTable, customer_id: str, *, only: frozenset[str] = frozenset()
) -> int:
    """The subject's rows of the table (`only` those with these ids, for a single-column key)."""
    query = select(func.count()).select_from(info.table).where(info.belongs_to(customer_id))
    if only and len(info.key) == 1:
        query = query.where(info.key[0].in_(sorted(only)))
    return int(session.scalar(query) or 0)


def _unlink_rows(session: Session, info: SubjectTable, customer_id: str, plan: ErasurePlan) -> int:
    """Detach the subject's rows of a linking table (devices) and clear what they say."""
    mapper = mapper_of(info.table)
    subject = info.subject_key
    assert subject is not None  # only subject tables are unlinked
    subject_attr = mapper.get_property_by_column(subject).key
    where = _where(info, customer_id, plan)
    if where is None:
        return 0
    rows = session.scalars(select(mapper).where(*where)).all()
    for row in rows:
        anonymise_row(row)
        setattr(row, subject_attr, None)
    session.flush()
    return len(rows)


def _delete_exports(
    session: Session, exports_dir: Path, customer_id: str, plan: ErasurePlan, at: datetime
) -> int:
    """Delete the subject's export ZIPs from disk and mark their rows deleted."""
    if plan.is_held(ExportFile.__tablename__) and not plan.held.get(ExportFile.__tablename__):
        return 0
    held = plan.held.get(ExportFile.__tablename__, frozenset())
    files = session.scalars(
        select(ExportFile).where(
            ExportFile.customer_id == customer_id, ExportFile.deleted_at.is_(None)
        )
    ).all()
    root = exports_dir.resolve()
    deleted = 0
    for export in files:
        if export.id in held:
            continue
        path = (root / export.file_name).resolve()
        if not path.is_relative_to(root):
            raise TrackguardError(f"export file {export.id} points outside the exports directory")
        path.unlink(missing_ok=True)
        export.deleted_at = at
        deleted += 1
    return deleted


def _active_holds(session: Session, customer_id: str) -> list[Hold]:
    rows = session.execute(
        select(LegalHold.record_table, LegalHold.record_id).where(
            LegalHold.customer_id == customer_id, LegalHold.released_at.is_(None)
        )
    ).all()
    return [Hold(table, record_id) for table, record_id in rows]


def _erasure_request(session: Session, request_id: str, customer_id: str) -> RightsRequest:
    request = session.get(RightsRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"no rights request {request_id}")
    if request.customer_id != customer_id:
        raise Forbidden(f"rights request {request_id} is not this subject's")
    if request.type != ERASURE_RIGHT:
        raise Forbidden(f"rights request {request_id} is not an erasure request")
    return request


# -- telling the log and the subject ------------------------------------------------------


def _audit(session: Session, runtime: Runtime, outcome: ErasureOutcome, actor: str) -> None:
    """One entry, counts only. Written after shredding, so it names no subject."""
    policy = runtime.policy
    touched = [*outcome.deleted, *outcome.anonymised, *outcome.deferred]
    categories = sorted(
        {c for name in touched if policy.has_record(name) for c in policy.record(name).categories}
    ) or ["user"]
    verb = "erase" if outcome.complete else "erase.partial"
    action = (
        f"privacy.{verb}: {outcome.rows_deleted} rows, "
        f"{outcome.keys_destroyed} keys, {sum(outcome.held.values())} held"
    )
    AuditLog(runtime.clock).append(
        session,
        actor=actor,
        role=actor if actor in ("system", "subject") else "operator",
        purpose=policy.purpose(AUDIT_PURPOSE).key,
        subject_id=None,
        categories=categories,
        action=action,
    )


_NOTICE = {
    "en": {
        "done": (
            "We have erased your personal data. Your account has been anonymised and the keys "
            "that encrypted your data have been destroyed, so it can no longer be read."
        ),
        "kept": "The law obliges us to keep some records:",
        "held": (
            "Part of your data is under a legal hold (for example for a legal claim). We keep "
            "it until the hold ends and erase it then."
        ),
        "all_held": (
            "Your data is under a legal hold (for example for a legal claim), so we cannot "
            "erase it yet. We will erase it when the hold ends."
        ),
    },
    "nl": {
        "done": (
            "Wij hebben uw persoonsgegevens verwijderd. Uw account is geanonimiseerd en de "
            "sleutels waarmee uw gegevens waren versleuteld zijn vernietigd, zodat niemand ze "
            "nog kan lezen."
        ),
        "kept": "De wet verplicht ons sommige gegevens te bewaren:",
        "held": (
            "Een deel van uw gegevens valt onder een bewaarplicht (bijvoorbeeld voor een "
            "rechtszaak). Wij bewaren dat deel tot de bewaarplicht eindigt en verwijderen het "
            "daarna."
        ),
        "all_held": (
            "Uw gegevens vallen onder een bewaarplicht (bijvoorbeeld voor een rechtszaak), "
            "daarom kunnen wij ze nog niet verwijderen. Wij verwijderen ze zodra de "
            "bewaarplicht eindigt."
        ),
    },
}


def erasure_notice(
    policy: Policy, outcome: ErasureOutcome, plan: ErasurePlan, language: str
) -> str:
    """What the subject is told, in their language: done, what is kept and why, what is held."""
    lang = language if language in policy.policy.languages else policy.policy.languages[0]
    words = _NOTICE[lang]
    if plan.held_everything:
        return words["all_held"]
    parts = [words["done"]]
    kept_rules = {}
    for table in plan.keep:
        if table_map()[table].key_class in plan.keep_classes and outcome.kept.get(table):
            for rule in policy.rules_for(table):
                kept_rules[rule.key] = rule
    if kept_rules:
        lines = [
            f"- {r.name.get(lang)} ({format_period(r.period, lang)}): {r.statement.get(lang)}"
            for r in kept_rules.values()
        ]
        parts.append("\n".join([words["kept"], *lines]))
    if outcome.held:
        parts.append(words["held"])
    return "\n\n".join(parts)


def _tell_subject(
    session: Session,
    policy: Policy,
    request: RightsRequest,
    outcome: ErasureOutcome,
    plan: ErasurePlan,
    language: str,
    actor: str,
) -> None:
    request.outcome = json.dumps(outcome.to_dict(), sort_keys=True)
    session.add(
        RequestEvent(
            request_id=request.id,
            at=outcome.at,
            status=request.status,
            actor=actor,
            notice=erasure_notice(policy, outcome, plan, language),
        )
    )


# -- SQLite: leave no erased bytes in the files -------------------------------------------


@contextmanager
def _secure_delete(session: Session) -> Iterator[None]:
    """Zero freed cells while erasing (SQLite keeps deleted bytes in free space otherwise)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
    connection.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        yield
        session.flush()
    finally:
        connection.exec_driver_sql(f"PRAGMA secure_delete = {before}")


def checkpoint(db: Database) -> None:
    """Fold the WAL into the database and truncate it: old page images hold erased bytes.

    Best effort and never waiting: with a reader active it is left to the next checkpoint.
    """
    if db.dialect != "sqlite":
        return
    with db.engine.connect() as connection:
        timeout = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
        connection.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            row = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout}")
    if row is not None and row[0]:
        log.warning("WAL checkpoint after erasure was busy; the next checkpoint completes it")


__all__ = [
    "AlreadyErased",
    "ErasureOutcome",
    "ErasurePlan",
    "Hold",
    "checkpoint",
    "erase_in",
    "erase_subject",
    "erasure_notice",
    "obliged_records",
    "plan_erasure",
]
