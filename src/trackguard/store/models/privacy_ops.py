"""Records of the privacy operations: the handling of rights requests (history, e-mail
tokens, ID copies, exports), restrictions and objections the purpose gate obeys, legal
holds that stop retention, and the report of every retention run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from trackguard.store.base import (
    AUTHENTICATION,
    Base,
    new_id,
    operational,
    personal,
    subject_link,
)
from trackguard.store.types import UTCDateTime


def _request_fk(ondelete: str = "CASCADE") -> Mapped[str | None]:
    return mapped_column(ForeignKey("rights_requests.id", ondelete=ondelete), index=True)


def _customer_fk(ondelete: str = "CASCADE") -> Mapped[str | None]:
    return mapped_column(ForeignKey("customers.id", ondelete=ondelete), index=True)


class RequestEvent(Base):
    """One step of a rights request: a status change, an extension, a notice to the subject."""

    __tablename__ = "request_events"
    __table_args__ = subject_link(None)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str | None] = _request_fk()
    at: Mapped[datetime] = operational(UTCDateTime())
    status: Mapped[str] = operational(String(20))
    actor: Mapped[str] = operational(String(100))  # "subject", "system" or a staff login
    # What the subject was told (reason for a refusal or an extension); no personal data.
    notice: Mapped[str | None] = operational(Text)


class VerificationToken(Base):
    """A one-time token e-mailed to the address on file; only its hash is kept."""

    __tablename__ = "verification_tokens"
    __table_args__ = subject_link(None)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str | None] = _request_fk()
    token_hash: Mapped[str] = operational(String(64), unique=True, category=AUTHENTICATION)
    sent_at: Mapped[datetime] = operational(UTCDateTime())
    expires_at: Mapped[datetime] = operational(UTCDateTime())
    used_at: Mapped[datetime | None] = operational(UTCDateTime())
    failed_attempts: Mapped[int] = operational(Integer, default=0)


class IdentityDocument(Base):
    """A copy of an identity document, asked for only when nothing else proves identity."""

    __tablename__ = "identity_documents"
    __table_args__ = subject_link("customer_id", key_class="profile")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str | None] = _request_fk()
    customer_id: Mapped[str | None] = _customer_fk()
    received_at: Mapped[datetime] = operational(UTCDateTime())
    content_type: Mapped[str] = operational(String(100))
    content: Mapped[bytes] = deferred(personal("user.government_id", LargeBinary, encrypted=True))
    # Which of the policy's blackout items (photo, MRZ, ...) the reviewer found covered.
    review: Mapped[dict[str, object] | None] = operational(JSON)
    reviewed_by: Mapped[str | None] = operational(String(100))
    verification_ended_at: Mapped[datetime | None] = operational(UTCDateTime())


class ExportFile(Base):
    """An access or portability ZIP written under the data dir's exports/ directory."""

    __tablename__ = "export_files"
    __table_args__ = subject_link("customer_id")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str | None] = _request_fk("SET NULL")
    customer_id: Mapped[str | None] = _customer_fk("SET NULL")
    file_name: Mapped[str] = operational(String(200))
    size_bytes: Mapped[int] = operational(BigInteger)
    sha256: Mapped[str] = operational(String(64))
    created_at: Mapped[datetime] = operational(UTCDateTime())
    deleted_at: Mapped[datetime | None] = operational(UTCDateTime())


class ProcessingRestriction(Base):
    """Art. 18: while active, the subject's data may only be stored (or used with consent
    or for legal claims). `purpose` NULL restricts every purpose."""

    __tablename__ = "processing_restrictions"
    __table_args__ = subject_link("customer_id")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    request_id: Mapped[str | None] = _request_fk("SET NULL")
    ground: Mapped[str] = personal("user.privacy_preferences", String(40))
    purpose: Mapped[str | None] = personal("user.privacy_preferences", String(60))
    started_at: Mapped[datetime] = operational(UTCDateTime())
    lifted_at: Mapped[datetime | None] = operational(UTCDateTime())


class Objection(Base):
    """Art. 21: an objection to processing for one purpose based on legitimate interest."""

    __tablename__ = "objections"
    __table_args__ = subject_link("customer_id")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    request_id: Mapped[str | None] = _request_fk("SET NULL")
    purpose: Mapped[str] = personal("user.privacy_preferences", String(60))
    lodged_at: Mapped[datetime] = operational(UTCDateTime())
    # Set when compelling legitimate grounds were shown to override it (never for marketing).
    overridden_at: Mapped[datetime | None] = operational(UTCDateTime())
    override_reason: Mapped[str | None] = operational(Text)


class LegalHold(Base):
    """Stops retention for one subject (record_table NULL) or one record of theirs."""

    __tablename__ = "legal_holds"
    __table_args__ = subject_link("customer_id")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    record_table: Mapped[str | None] = operational(String(60))
    record_id: Mapped[str | None] = operational(String(100))
    reason: Mapped[str] = operational(Text)
    placed_by: Mapped[str] = operational(String(100))
    placed_at: Mapped[datetime] = operational(UTCDateTime())
    released_at: Mapped[datetime | None] = operational(UTCDateTime())


class RetentionRun(Base):
    """One `retention plan` or `retention run`: when, as of which date, and per rule what
    was (or would be) removed. Counts only, never the removed data."""

    __tablename__ = "retention_runs"
    __table_args__ = subject_link(None)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    mode: Mapped[str] = operational(String(10))  # "plan" or "run"
    as_of: Mapped[datetime] = operational(UTCDateTime())
    started_at: Mapped[datetime] = operational(UTCDateTime())
    finished_at: Mapped[datetime | None] = operational(UTCDateTime())
    status: Mapped[str] = operational(String(20))  # "running", "completed", "failed"
    report: Mapped[dict[str, object] | None] = operational(JSON)
