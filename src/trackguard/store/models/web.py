"""The web layer's own records: sign-in sessions, staff accounts, and Traccar's integer ids.

A session token is random and shown to the client once (cookie or bearer token);
only its SHA-256 is stored, so a copy of the database logs nobody in. A staff
account is found by the blind index of its login e-mail: the address itself is
not stored. Traccar clients need integer ids where trackguard has random hex ids;
`traccar_ids` hands each device, geofence, event and customer a stable number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import (
    AUTHENTICATION,
    Base,
    new_id,
    operational,
    personal,
    subject_link,
)
from trackguard.store.types import BigIntegerId, UTCDateTime

STAFF_ROLES = ("support", "finance", "privacy_officer", "admin")


class StaffUser(Base):
    """A back-office user; the role decides what they may see (need to know)."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('support', 'finance', 'privacy_officer', 'admin')", name="role_known"
        ),
        subject_link(None),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # Blind index (keyed HMAC) of the normalised login e-mail; the address is not kept.
    email_index: Mapped[str] = personal("user.unique_id.pseudonymous", String(64), unique=True)
    password_hash: Mapped[str] = operational(String(200), category=AUTHENTICATION)
    role: Mapped[str] = operational(String(20))
    created_at: Mapped[datetime] = operational(UTCDateTime())
    last_login_at: Mapped[datetime | None] = personal("user.behavior", UTCDateTime())
    # Set when the account is closed: sign-in stops at once, retention counts from it.
    disabled_at: Mapped[datetime | None] = operational(UTCDateTime())


class WebSession(Base):
    """A signed-in session of a customer or a staff user (exactly one of the two)."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        CheckConstraint("(customer_id IS NULL) <> (staff_user_id IS NULL)", name="one_principal"),
        subject_link("customer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # SHA-256 of the random token the client holds; the token itself is never stored.
    token_hash: Mapped[str] = operational(String(64), unique=True, category=AUTHENTICATION)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    staff_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = operational(String(10))  # "cookie" or "token" (bearer)
    created_at: Mapped[datetime] = operational(UTCDateTime())
    last_seen_at: Mapped[datetime] = personal("user.behavior", UTCDateTime())
    expires_at: Mapped[datetime] = operational(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = operational(UTCDateTime())


class TraccarId(Base):
    """A stable integer for one device, geofence, event or customer (exactly one is set).

    The number is the row's own auto-increment key; each reference is unique and
    goes with its referent (ON DELETE CASCADE), so an id is never reused for
    something else while the referent exists.
    """

    __tablename__ = "traccar_ids"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN device_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN geofence_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN event_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN customer_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_referent",
        ),
        subject_link(None),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=True)
    device_id: Mapped[str | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), unique=True
    )
    geofence_id: Mapped[str | None] = mapped_column(
        ForeignKey("geofences.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[str | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
