"""Messages waiting to be e-mailed: written in the transaction that decides to send them,
handed to the SMTP relay only after it commits (`privacy.requests.outbox`).

Address, subject line and body are vault ciphertext under the recipient's
communications key, so erasure makes a message that never went out unreadable at
once (and deletes it). A message to nobody on file any more (the notice that an
erasure is done) has no subject and is encrypted under the fleet's key. A delivered
message is deleted; what stays is a failed one, with the kind of its last failure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, new_id, operational, personal, subject_link
from trackguard.store.types import UTCDateTime


class OutboxMessage(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = subject_link("customer_id", key_class="communications")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[bytes] = personal("user.contact.email", LargeBinary, encrypted=True)
    subject: Mapped[bytes] = personal(
        "user.content.private.email_message", LargeBinary, encrypted=True
    )
    body: Mapped[bytes] = personal(
        "user.content.private.email_message", LargeBinary, encrypted=True
    )
    reply_to: Mapped[str | None] = operational(String(254))  # the controller's own address
    purpose: Mapped[str] = operational(String(60))  # the policy purpose it is sent for
    audit_action: Mapped[str] = operational(String(80))  # audited when it is delivered
    # A newer message with the same key replaces this one (a new verification code).
    replaces: Mapped[str | None] = operational(String(100), index=True)
    queued_at: Mapped[datetime] = operational(UTCDateTime())
    # Not sent after this moment (a code or link that has expired by then is useless).
    not_after: Mapped[datetime | None] = operational(UTCDateTime())
    # When a sender may take it next: moved ahead while one is sending it, and after
    # each failure (backing off), so two senders never send it at once.
    next_attempt_at: Mapped[datetime] = operational(UTCDateTime(), index=True)
    attempts: Mapped[int] = operational(Integer, default=0)
    last_error: Mapped[str | None] = operational(String(100))  # the kind only, never content
