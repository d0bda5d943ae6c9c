"""Anti-theft: geofences, which trackers watch them, the events raised, and webhooks.

A geofence's name and area are vault ciphertext under the customer's location
key (a circle around someone's home is as telling as a position), so erasing or
anonymising the account makes them unreadable with the positions. Events keep no
coordinates: they point at their position by device and fix time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import (
    AUTHENTICATION,
    Base,
    new_id,
    operational,
    personal,
    subject_link,
)
from trackguard.store.types import UTCDateTime


class Geofence(Base):
    """An area a customer draws: Traccar's area text (CIRCLE/POLYGON), encrypted."""

    __tablename__ = "geofences"
    __table_args__ = subject_link("customer_id", key_class="location")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[bytes] = personal("user.content.private", LargeBinary, encrypted=True)
    area: Mapped[bytes] = personal("user.location.precise", LargeBinary, encrypted=True)
    created_at: Mapped[datetime] = operational(UTCDateTime())
    # Set on every change, including a tracker being unlinked: retention counts from it.
    updated_at: Mapped[datetime] = operational(UTCDateTime())


class DeviceGeofence(Base):
    """A tracker watching a geofence (crossings raise events)."""

    __tablename__ = "device_geofences"
    __table_args__ = (
        {
            "info": {
                "subject_column": "device_id",
                "subject_via": "devices.customer_id",
                "key_class": None,
            }
        },
    )

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    geofence_id: Mapped[str] = mapped_column(
        ForeignKey("geofences.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = personal("user.device", UTCDateTime())


class Event(Base):
    """Something a tracker's positions raised (Traccar's event types and attributes)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_device_id_time", "device_id", "time"),
        Index("ix_events_customer_id_time", "customer_id", "time"),
        subject_link("customer_id", key_class="location"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    geofence_id: Mapped[str | None] = mapped_column(
        ForeignKey("geofences.id", ondelete="SET NULL"), index=True
    )
    # "deviceMoving", "geofenceExit", "geofenceEnter", "alarm".
    type: Mapped[str] = personal("user.location.precise", String(30))
    time: Mapped[datetime] = personal("user.location.precise", UTCDateTime())
    # The position it was raised by: (device_id, fix_time) in `positions`.
    fix_time: Mapped[datetime | None] = personal("user.location.precise", UTCDateTime())
    # {"alarm": "sos"} / {"cause": "distance"}: never coordinates.
    attributes: Mapped[dict[str, Any]] = personal("user.location.precise", JSON, default=dict)
    # Whether the customer is notified (e-mail, webhook) or it is only recorded.
    alert: Mapped[bool] = operational(Boolean, default=False)
    # "pending", "sent", "failed" or "skipped" (nothing to send it to / not an alert).
    email_status: Mapped[str] = operational(String(10), default="skipped")
    webhook_status: Mapped[str] = operational(String(10), default="skipped")
    delivery_attempts: Mapped[int] = operational(Integer, default=0)
    # Why the last delivery failed (an error kind, never an address or a position).
    delivery_error: Mapped[str | None] = operational(String(200))
    delivered_at: Mapped[datetime | None] = operational(UTCDateTime())


class Webhook(Base):
    """Where a customer wants events POSTed, and the secret that signs them."""

    __tablename__ = "webhooks"
    __table_args__ = subject_link("customer_id", key_class="profile")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[bytes] = personal("user.content.private", LargeBinary, encrypted=True)
    # HMAC-SHA256 key: not about a person, but a credential, so vault ciphertext too.
    secret: Mapped[bytes] = mapped_column(
        LargeBinary, info={"category": AUTHENTICATION, "encrypted": True}
    )
    enabled: Mapped[bool] = operational(Boolean, default=True)
    created_at: Mapped[datetime] = operational(UTCDateTime())
    last_delivered_at: Mapped[datetime | None] = operational(UTCDateTime())
    last_failed_at: Mapped[datetime | None] = operational(UTCDateTime())
