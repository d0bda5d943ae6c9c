"""Contact moments: support chats, recorded calls, WhatsApp, e-mails and complaints.

Message bodies and recordings are vault ciphertext under the subject's keys;
recordings keep their metadata beside an encrypted blob. Chats, calls and WhatsApp
use the communications key, which erasure destroys. E-mails and complaints use the
correspondence key: the policy keeps them under a legal obligation (business
correspondence, at most 10 years), so erasure keeps that key and the retention
rule deletes them when their period ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from trackguard.store.base import Base, new_id, operational, personal, subject_link
from trackguard.store.types import UTCDateTime


def _customer_fk() -> Mapped[str | None]:
    return mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = subject_link("customer_id", key_class="communications")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    conversation_id: Mapped[str] = operational(String(32), index=True)
    sent_at: Mapped[datetime] = personal("user.content.private.chat", UTCDateTime())
    sender: Mapped[str] = operational(String(10))  # "customer" or "agent"
    body: Mapped[bytes] = personal("user.content.private.chat", LargeBinary, encrypted=True)
    # The statement keeps a chat beyond 14 days only when it matters for the service.
    relevant_to_service: Mapped[bool] = operational(Boolean, default=False)


class CallRecording(Base):
    __tablename__ = "call_recordings"
    __table_args__ = subject_link("customer_id", key_class="communications")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    started_at: Mapped[datetime] = personal("user.content.private.call_recording", UTCDateTime())
    duration_seconds: Mapped[int] = operational(Integer)
    direction: Mapped[str] = operational(String(10))  # "inbound" or "outbound"
    phone_number: Mapped[bytes | None] = personal(
        "user.contact.phone_number", LargeBinary, encrypted=True
    )
    media_type: Mapped[str] = operational(String(40), default="audio/ogg")
    audio: Mapped[bytes] = deferred(
        personal("user.content.private.call_recording", LargeBinary, encrypted=True)
    )


class WhatsAppConversation(Base):
    __tablename__ = "whatsapp_conversations"
    __table_args__ = subject_link("customer_id", key_class="communications")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    started_at: Mapped[datetime] = personal("user.content.private.whatsapp", UTCDateTime())
    message_count: Mapped[int] = operational(Integer)
    phone_number: Mapped[bytes | None] = personal(
        "user.contact.phone_number", LargeBinary, encrypted=True
    )
    media_type: Mapped[str] = operational(String(40), default="application/json")
    transcript: Mapped[bytes] = deferred(
        personal("user.content.private.whatsapp", LargeBinary, encrypted=True)
    )


class EmailMessage(Base):
    __tablename__ = "emails"
    __table_args__ = subject_link("customer_id", key_class="correspondence")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    direction: Mapped[str] = operational(String(10))  # "inbound" or "outbound"
    sent_at: Mapped[datetime] = personal("user.content.private.email_message", UTCDateTime())
    subject: Mapped[bytes] = personal(
        "user.content.private.email_message", LargeBinary, encrypted=True
    )
    body: Mapped[bytes] = personal(
        "user.content.private.email_message", LargeBinary, encrypted=True
    )


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = subject_link("customer_id", key_class="correspondence")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = _customer_fk()
    filed_at: Mapped[datetime] = personal("user.content.private.complaint", UTCDateTime())
    channel: Mapped[str] = operational(String(20))  # "email", "letter", "portal", "phone"
    topic: Mapped[str] = operational(String(40))
    body: Mapped[bytes] = personal("user.content.private.complaint", LargeBinary, encrypted=True)
    status: Mapped[str] = operational(String(20), default="open")
    resolved_at: Mapped[datetime | None] = operational(UTCDateTime())
