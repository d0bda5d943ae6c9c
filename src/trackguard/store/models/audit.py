"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, operational, personal, subject_link
from trackguard.store.types import BigIntegerId, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = subject_link("subject_id")

    seq: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = operational(UTCDateTime())
    actor: Mapped[str] = operational(String(120))
    role: Mapped[str] = operational(String(40))
    purpose: Mapped[str] = operational(String(80))
    # The subject's id (a random row id, not a name or e-mail): pseudonymous.
    subject_id: Mapped[str | None] = personal("user.unique_id.pseudonymous", String(32), index=True)
    categories: Mapped[list[str]] = operational(JSON)
    action: Mapped[str] = operational(String(80))
    prev_hash: Mapped[str] = operational(String(64))
    hash: Mapped[str] = operational(String(64), unique=True)
