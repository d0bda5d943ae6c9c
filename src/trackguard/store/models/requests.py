"""Data-subject rights requests (access, rectification, erasure, ...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, new_id, operational, personal, subject_link
from trackguard.store.types import UTCDateTime


class RightsRequest(Base):
    __tablename__ = "rights_requests"
    __table_args__ = subject_link("customer_id")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[str] = personal("user.privacy_preferences", String(20))
    status: Mapped[str] = operational(String(20), default="received")
    received_at: Mapped[datetime] = operational(UTCDateTime())
    due_at: Mapped[datetime] = operational(UTCDateTime())
    verified_at: Mapped[datetime | None] = operational(UTCDateTime())
    verification_method: Mapped[str | None] = operational(String(20))
    completed_at: Mapped[datetime | None] = operational(UTCDateTime())
    # Details the subject gave (ground, purpose, corrections); may hold personal data.
    details: Mapped[dict[str, object] | None] = personal("user.privacy_preferences", JSON)
    outcome: Mapped[str | None] = operational(Text)
    # An extension (at most two months more) needs a reason that is also told to the subject.
    extended_at: Mapped[datetime | None] = operational(UTCDateTime())
    extension_reason: Mapped[str | None] = operational(Text)
