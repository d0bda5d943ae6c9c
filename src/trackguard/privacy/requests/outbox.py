"""The mail outbox: an e-mail goes out only after the transaction that decided it commits.

Sending inside a transaction holds SQLite's write lock for as long as the relay takes
(up to the SMTP timeout), and a transaction that rolls back afterwards has still sent
its mail. So a step `queue`s its message with everything else it writes (encrypted,
see `store.models.outbox`) and, once committed, `deliver`s it through the one sender,
`trackguard.mail.Mailer`. What the relay does not take stays queued with the kind of
failure (`waiting` lists it) and `OutboxJob`, inside `serve`, retries it, backing off,
until it goes out, stops being useful (`not_after`) or retention removes it.

Delivery is at least once: a sender that dies after the relay accepted a message but
before the row is deleted sends it again. Two senders never send one message at once:
taking it moves its next attempt a lease ahead, in a short transaction of its own, and
the SMTP conversation happens with no transaction open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import VaultError
from trackguard.mail import Mailer, MailError
from trackguard.periodic import PeriodicJob
from trackguard.privacy.audit import AuditLog
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than an SMTP conversation at the longest timeout
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
DRAIN_BATCH = 100
DRAIN_INTERVAL = 60.0  # seconds between two drains inside `serve`
FIRST_DRAIN_DELAY = 5.0
MAIL_CATEGORIES = (
    str(OutboxMessage.__table__.c.recipient.info["category"]),
    str(OutboxMessage.__table__.c.body.info["category"]),
)
SENDER, SENDER_ROLE = "mail", "system"
_SEALED = ("recipient", "subject", "body")


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from a minute, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


@dataclass(frozen=True)
class Waiting:
    """A message the relay has not taken yet, as an operator may see it: no content."""

    id: str
    purpose: str
    queued_at: datetime
    attempts: int
    last_error: str | None
    next_attempt_at: datetime


@dataclass(frozen=True)
class DrainReport:
    delivered: int = 0
    failed: int = 0
    expired: int = 0


@dataclass(frozen=True)
class _Taken:
    """A message taken for one delivery attempt, decrypted (held in memory only)."""

    id: str
    customer_id: str | None
    purpose: str
    audit_action: str
    to: str
    subject: str
    body: str
    reply_to: str | None


class Outbox:
    """Queues messages in the caller's transaction; delivers them after it commits."""

    def __init__(self, runtime: Runtime, mailer: Mailer | None = None) -> None:
        self.runtime = runtime
        self._mailer = mailer

    @property
    def mailer(self) -> Mailer:
        if self._mailer is None:
            self._mailer = Mailer.from_settings(self.runtime.settings, clock=self.runtime.clock)
        return self._mailer

    def now(self) -> datetime:
        return as_utc(self.runtime.clock())

    def queue(
        self,
        session: Session,
        *,
        customer_id: str | None,
        to: str,
        subject: str,
        body: str,
        purpose: str,
        audit_action: str,
        reply_to: str | None = None,
        not_after: datetime | None = None,
        replaces: str | None = None,
    ) -> str:
        """Write one message in `session`'s transaction; returns its id for `deliver`.

        `customer_id` None: the message belongs to nobody on file (it is encrypted under
        the fleet's key). `replaces`: pending messages with the same key are dropped."""
        self.runtime.policy.purpose(purpose)  # PolicyError if the policy lacks it
        now = self.now()
        if replaces is not None:
            session.execute(delete(OutboxMessage).where(OutboxMessage.replaces == replaces))
        message = OutboxMessage(
            customer_id=customer_id,
            reply_to=reply_to,
            purpose=purpose,
            audit_action=audit_action,
            replaces=replaces,
            queued_at=now,
            not_after=not_after,
            # Leased to the step that queues it, which delivers it after commit; should
            # that step die first, the drain takes it when the lease runs out.
            next_attempt_at=now + LEASE,
            attempts=0,
        )
        vault = self.runtime.vault
        for column, value in zip(_SEALED, (to, subject, body), strict=True):
            vault.seal(session, message, column, value)
        session.add(message)  # after sealing: a flush before would insert it empty
        session.flush()
        return message.id

    def deliver(self, ids: Iterable[str | None]) -> set[str]:
        """Try the committed messages `ids` now; returns those the relay took.

        Never raises for a failed delivery: the message stays queued and is retried."""
        return {i for i in ids if i is not None and self._attempt(i, own=True) == "delivered"}

    def drain(self, stopping: threading.Event | None = None) -> DrainReport:
        """Try every message that is due, oldest first, until none is or `stopping` is set."""
        delivered = failed = expired = 0
        tried: set[str] = set()
        while stopping is None or not stopping.is_set():
            with self.runtime.db.session() as session:
                due = session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.next_attempt_at <= self.now())
                    .order_by(OutboxMessage.queued_at, OutboxMessage.id)
                    .limit(DRAIN_BATCH)
                ).all()
            batch = [i for i in due if i not in tried]
            if not batch:
                break
            for message_id in batch:
                tried.add(message_id)
                outcome = self._attempt(message_id)
                delivered += outcome == "delivered"
                failed += outcome == "failed"
                expired += outcome == "expired"
                if stopping is not None and stopping.is_set():
                    break
        return DrainReport(delivered, failed, expired)

    # -- one attempt -------------------------------------------------------------------------

    def _attempt(self, message_id: str, *, own: bool = False) -> str:
        """'delivered', 'failed', 'expired', or 'skipped' (gone, or another sender has it).

        `own`: the step that queued the message, trying it for the first time."""
        taken = self._take(message_id, own)
        if isinstance(taken, str):
            return taken
        try:
            self.mailer.send(taken.to, taken.subject, taken.body, reply_to=taken.reply_to)
        except MailError as exc:
            self._failed(taken.id, exc.reason)
            return "failed"
        self._delivered(taken)
        return "delivered"

    def _take(self, message_id: str, own: bool) -> _Taken | str:
        now = self.now()
        vault = self.runtime.vault
        with self.runtime.db.session() as session:
            # Claim first, by a conditional update: it takes the write lock (SQLite) or the
            # row lock (PostgreSQL) before anything is read, so of two senders one wins.
            due = OutboxMessage.next_attempt_at <= now
            claim = (
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    or_(due, OutboxMessage.attempts == 0) if own else due,
                )
                .values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if not getattr(session.execute(claim), "rowcount", 0):
                return "skipped"
            row = session.get(OutboxMessage, message_id)
            assert row is not None  # claimed in this transaction
            if row.not_after is not None and as_utc(row.not_after) <= now:
                log.warning("queued e-mail (%s) expired undelivered", row.purpose)
                session.delete(row)
                return "expired"
            try:
                to, subject, body = (vault.unseal(session, row, c) or "" for c in _SEALED)
            except VaultError as exc:  # e.g. its key was destroyed: nobody left to write to
                self._record_failure(row, type(exc).__name__, now)
                return "failed"
            return _Taken(
                row.id, row.customer_id, row.purpose, row.audit_action, to, subject, body,
                row.reply_to,
            )  # fmt: skip

    def _failed(self, message_id: str, reason: str) -> None:
        with self.runtime.db.session() as session:
            # The write comes first here too (see `_take`), then the row is read.
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(last_error=reason[:100])
                .execution_options(synchronize_session=False)
            )
            row = session.get(OutboxMessage, message_id)
            if row is not None:
                self._record_failure(row, reason, self.now())

    @staticmethod
    def _record_failure(row: OutboxMessage, reason: str, now: datetime) -> None:
        row.attempts = (row.attempts or 0) + 1
        row.last_error = reason[:100]
        row.next_attempt_at = now + retry_delay(row.attempts)
        log.warning(
            "e-mail (%s) not delivered: %s; attempt %d, retried later",
            row.purpose,
            row.last_error,
            row.attempts,
        )

    def _delivered(self, taken: _Taken) -> None:
        with self.runtime.db.session() as session:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id == taken.id))
            AuditLog(self.runtime.clock).append(
                session,
                actor=SENDER,
                role=SENDER_ROLE,
                purpose=taken.purpose,
                subject_id=_still_on_file(session, taken.customer_id),
                categories=MAIL_CATEGORIES,
                action=taken.audit_action,
            )


def _still_on_file(session: Session, customer_id: str | None) -> str | None:
    """The subject to link the audit entry to; None once erased (their links are shredded)."""
    if customer_id is None:
        return None
    customer = session.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        return None
    return customer_id


def waiting(runtime: Runtime) -> list[Waiting]:
    """Messages not delivered yet, oldest first: what an operator checks when mail fails."""
    with runtime.db.session() as session:
        rows = session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.queued_at, OutboxMessage.id)
        ).all()
        return [
            Waiting(
                r.id,
                r.purpose,
                as_utc(r.queued_at),
                r.attempts or 0,
                r.last_error,
                as_utc(r.next_attempt_at),
            )
            for r in rows
        ]


class OutboxJob(PeriodicJob):
    """`serve`'s sender: delivers what is due every `interval` seconds."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        interval: float = DRAIN_INTERVAL,
        first_delay: float = FIRST_DRAIN_DELAY,
        mailer: Mailer | None = None,
    ) -> None:
        self.outbox = Outbox(runtime, mailer)
        super().__init__("mail outbox", self._drain, interval=interval, first_delay=first_delay)

    def _drain(self, stopping: threading.Event) -> None:
        report = self.outbox.drain(stopping)
        if report.delivered or report.failed or report.expired:
            log.info(
                "mail outbox: %d delivered, %d failed, %d expired",
                report.delivered,
                report.failed,
                report.expired,
            )
