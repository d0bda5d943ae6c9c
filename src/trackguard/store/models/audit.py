"""The append-only, hash-chained audit log (written and verified by `trackguard.privacy.audit`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, operational, personal, subject_link
from trackguard.store.types import BigIntegerId, UTCDateTime


class AuditEntry(Base):
    """One audited access to personal data: who, in which role, why, whose, what.

    `seq` is assigned by the appender under a lock (not by the database), so a gap
    always means a removed entry, never a rolled-back insert. `prev_hash` is unique:
    two entries can never chain from the same predecessor, so the database itself
    refuses a forked chain.
    """

    __tablename__ = "audit_entries"
    __table_args__ = subject_link("subject_id")

    seq: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = operational(UTCDateTime())
    actor: Mapped[str] = operational(String(120))
    role: Mapped[str] = operational(String(40))
    purpose: Mapped[str] = operational(String(80))
    # The subject's id (a random row id, not a name or e-mail): pseudonymous.
    # Shredding sets it and `subject_salt` to NULL; the entry stays and still verifies.
    subject_id: Mapped[str | None] = personal("user.unique_id.pseudonymous", String(40), index=True)
    # Random per entry; destroyed on shredding so the digest can no longer be linked
    # to the subject id, even by someone who still holds that id elsewhere.
    subject_salt: Mapped[str | None] = operational(String(32))
    # SHA-256 of salt and subject id: what the hash covers instead of the id itself.
    subject_digest: Mapped[str | None] = operational(String(64))
    categories: Mapped[list[str]] = operational(JSON)
    action: Mapped[str] = operational(String(80))
    prev_hash: Mapped[str] = operational(String(64), unique=True)
    hash: Mapped[str] = operational(String(64), unique=True)
