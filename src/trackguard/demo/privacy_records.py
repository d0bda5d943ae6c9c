"""Demo rows for the records of the privacy operations (requests' history, tokens, ID
copies, exports, undelivered mail, restrictions, objections, legal holds, retention
reports, destroyed keys), one on each side of their retention period. The audit log
gets no back-dated entries: the demo's log starts with the seed (one entry per customer).

Periods come from the policy's rules for each record (the single source), so each
rule has something to act on and something to leave. The seed calls
`add_privacy_records` inside its transaction, after the customers are written.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from random import Random
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.demo.moments import between, days, second
from trackguard.policy import Period, Policy
from trackguard.privacy.requests.verification import Method
from trackguard.store.base import Base, new_id
from trackguard.store.models import (
    ExportFile,
    IdentityDocument,
    LegalHold,
    Objection,
    Order,
    OutboxMessage,
    ProcessingRestriction,
    RequestEvent,
    RetentionRun,
    RightsRequest,
    SubjectKey,
    VerificationToken,
)

if TYPE_CHECKING:
    from trackguard.runtime import Runtime

ACTOR = "demo-seed"
HOLD_REASON = "Belastingdienst: boekenonderzoek 2025 (demo)"


def _period(policy: Policy, table: str) -> Period:
    """The longest period of the rules on `table`: past it, every one of them acts."""
    rules = policy.rules_for(table)
    if not rules:
        raise ValueError(f"the policy has no retention rule for {table}")
    return max((r.period for r in rules), key=Period.approx_days)


class _Records:
    def __init__(self, session: Session, runtime: Runtime, rng: Random) -> None:
        self.session, self.vault, self.policy = session, runtime.vault, runtime.policy
        self.rng = rng
        self.now = second(as_utc(runtime.clock()))
        self.counts: Counter[str] = Counter()

    def past(self, table: str) -> datetime:
        """Past the retention of `table` by a few days to two months."""
        cut = _period(self.policy, table).before(self.now)
        return second(cut - days(2 + 58 * self.rng.random()))

    def inside(self, table: str, share: float = 0.5) -> datetime:
        """Within the first `share` of the retention of `table`."""
        span = self.now - _period(self.policy, table).before(self.now)
        return between(self.rng, self.now - span * share, self.now - days(0.05))

    def add(self, row: Base) -> Base:
        self.session.add(row)
        self.counts[row.__tablename__] += 1
        return row

    # -- rights requests: history, e-mail tokens, ID copies, exports ------------------

    def request(self, customer: str, received: datetime, completed: datetime) -> str:
        deadline = self.policy.rights.deadline
        row = RightsRequest(
            id=new_id(),
            customer_id=customer,
            type="access",
            status="completed",
            received_at=received,
            due_at=deadline.after(received),
            verified_at=received + days(1),
            verification_method=Method.ID_COPY.value,
            completed_at=completed,
            outcome="export sent",
        )
        self.add(row)
        self.session.flush()  # the rows below point at it (no ORM relationship orders them)
        return row.id

    def history(self, request: str, moments: Sequence[tuple[datetime, str]]) -> None:
        for at, status in moments:
            self.add(
                RequestEvent(id=new_id(), request_id=request, at=at, status=status, actor="system")
            )

    def requests(self, customer: str) -> None:
        # An old request whose first steps are past the history's retention, while the
        # request itself (counted from its completion) is not yet.
        received = self.past("request_events")
        completed = self.inside("rights_requests", 0.9)
        old = self.request(customer, received, completed)
        self.history(old, [(received, "received"), (received + days(1), "verified")])
        self.history(old, [(completed, "completed")])
        recent_at = self.inside("verification_tokens", 0.2)
        recent = self.request(customer, recent_at, recent_at + days(3))
        self.history(recent, [(recent_at, "received"), (recent_at + days(3), "completed")])
        for sent in (self.past("verification_tokens"), recent_at):
            token = hashlib.sha256(new_id().encode()).hexdigest()  # of a code nobody holds
            self.add(
                VerificationToken(
                    id=new_id(),
                    request_id=recent,
                    token_hash=token,
                    sent_at=sent,
                    expires_at=sent + days(1),
                    used_at=sent + days(0.1),
                )
            )
        self.id_copies(customer, recent)
        for created in (self.past("export_files"), recent_at + days(3)):
            self.add(
                ExportFile(
                    id=new_id(),
                    request_id=recent,
                    customer_id=customer,
                    file_name=f"export-{new_id()[:12]}.zip",
                    size_bytes=self.rng.randint(20_000, 900_000),
                    sha256=hashlib.sha256(new_id().encode()).hexdigest(),
                    created_at=created,
                    # Row only: the file itself was never written by the demo.
                    deleted_at=None,
                )
            )
        self.undelivered_mail(customer, recent)

    def undelivered_mail(self, customer: str, request: str) -> None:
        """Notices the relay kept refusing: one past its retention, one still retried."""
        for queued in (self.past("mail_outbox"), self.inside("mail_outbox", 0.1)):
            message = OutboxMessage(
                id=new_id(),
                customer_id=customer,
                purpose="privacy_rights",
                audit_action="rights_request.notice_emailed",
                queued_at=queued,
                not_after=queued + days(7),
                next_attempt_at=queued + days(1),
                attempts=3,
                last_error="SMTP 451",
            )
            for column, text in (
                ("recipient", "demo-notice@trackguard.example"),
                ("subject", "Uw privacyverzoek / Your privacy request"),
                ("body", f"Verzoek {request[:8]}: afgerond. / Request {request[:8]}: completed."),
            ):
                self.vault.seal(self.session, message, column, text)
            self.add(message)

    def id_copies(self, customer: str, request: str) -> None:
        """Past 30 days; verification ended; and one still under review."""
        received_recently = self.inside("identity_documents", 0.3)
        for received, ended in (
            (self.past("identity_documents"), None),
            (received_recently, received_recently + days(0.5)),
            (self.inside("identity_documents", 0.2), None),
        ):
            document = IdentityDocument(
                id=new_id(),
                request_id=request,
                customer_id=customer,
                received_at=received,
                content_type="text/plain",
                review={"photo": True, "mrz": True, "document_number": True, "bsn": True},
                reviewed_by="privacy-officer" if ended else None,
                verification_ended_at=ended,
            )
            # A stand-in, not an image: the demo keeps no picture of anybody's passport.
            self.vault.seal(self.session, document, "content", b"[demo: redacted ID copy]")
            self.add(document)

    # -- restrictions, objections, holds ------------------------------------------------

    def choices(self, customer: str) -> None:
        grounds = [g.key for g in self.policy.rights.restriction_grounds]
        for started, lifted in (
            (self.past("processing_restrictions") - days(30), self.past("processing_restrictions")),
            (self.inside("processing_restrictions", 0.3), self.now - days(2)),
        ):
            self.add(
                ProcessingRestriction(
                    id=new_id(),
                    customer_id=customer,
                    ground=self.rng.choice(grounds),
                    purpose=None,
                    started_at=started,
                    lifted_at=lifted,
                )
            )
        interests = [p.key for p in self.policy.purposes if p.legal_basis == "legitimate_interest"]
        for lodged in (self.past("objections"), self.inside("objections", 0.3)):
            self.add(
                Objection(
                    id=new_id(),
                    customer_id=customer,
                    purpose=self.rng.choice(interests),
                    lodged_at=lodged,
                )
            )

    def holds(self, customers: Sequence[str]) -> None:
        """An active hold on the oldest order among `customers` (the plan shows it held
        back from the financial-records rule), and a released hold past its retention."""
        self.session.flush()
        oldest = self.session.execute(
            select(Order.id, Order.customer_id)
            .where(Order.customer_id.in_(customers))
            .order_by(Order.placed_at)
            .limit(1)
        ).first()
        if oldest is None:
            return
        order, customer = oldest
        released = self.past("legal_holds")
        self.add(
            LegalHold(
                id=new_id(),
                customer_id=customer,
                reason=HOLD_REASON,
                placed_by="privacy-officer",
                placed_at=released - days(200),
                released_at=released,
            )
        )
        self.add(
            LegalHold(
                id=new_id(),
                customer_id=customer,
                record_table=Order.__tablename__,
                record_id=order,
                reason=HOLD_REASON,
                placed_by="privacy-officer",
                placed_at=self.now - days(20),
            )
        )

    # -- the platform's own records: retention reports, destroyed keys, audit ----------

    def reports(self) -> None:
        for started in (self.past("retention_runs"), self.now - days(1)):
            self.add(
                RetentionRun(
                    id=new_id(),
                    mode="run",
                    as_of=started,
                    started_at=started,
                    finished_at=started + days(0.001),
                    status="completed",
                    report={"rules": [], "partitions_dropped": []},
                )
            )

    def destroyed_keys(self) -> None:
        """Keys of a former customer whose data was erased: one long ago, one lately."""
        subject = new_id()
        for version, destroyed in enumerate(
            (self.past("subject_keys"), self.inside("subject_keys", 0.3)), start=1
        ):
            self.add(
                SubjectKey(
                    subject_id=subject,
                    key_class="communications",
                    version=version,
                    wrapped_key=None,
                    master_key_id=self.vault.master_key_id,
                    created_at=destroyed - days(900),
                    destroyed_at=destroyed,
                )
            )


def add_privacy_records(
    session: Session, runtime: Runtime, customer_ids: Sequence[str], rng: Random
) -> Counter[str]:
    """Write the demo's privacy-operations rows; returns rows written per table.

    The demo login (first id) gets the request history; other customers the
    restrictions, objections and holds, so the demo login's own data stays free of them.
    """
    if not customer_ids:
        return Counter()
    records = _Records(session, runtime, rng)
    demo, others = customer_ids[0], list(customer_ids[1:]) or [customer_ids[0]]
    records.requests(demo)
    records.choices(others[0])
    records.holds(others)
    records.reports()
    records.destroyed_keys()
    return records.counts
