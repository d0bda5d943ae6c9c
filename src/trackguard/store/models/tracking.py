"""Trackers and the positions they report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, text
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


class Device(Base):
    """A tracker. Until a customer activates it, it belongs to nobody."""

    __tablename__ = "devices"
    __table_args__ = (
        # A customer's devices in the order every list shows them, without a sort.
        Index("ix_devices_customer_id_created_at", "customer_id", "created_at", "id"),
        subject_link("customer_id", key_class="profile"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # Keyed hash of the IMEI: how the gateway finds a device without storing the IMEI bare.
    imei_index: Mapped[str] = personal("user.unique_id.pseudonymous", String(64), unique=True)
    imei: Mapped[bytes | None] = personal("user.device.device_id", LargeBinary, encrypted=True)
    name: Mapped[str | None] = personal("user.content.private", String(100))
    protocol: Mapped[str | None] = operational(String(20))
    model: Mapped[str | None] = operational(String(50))
    activation_code_hash: Mapped[str | None] = operational(String(200), category=AUTHENTICATION)
    armed: Mapped[bool] = personal("user.device", Boolean, default=False)
    created_at: Mapped[datetime] = operational(UTCDateTime())
    activated_at: Mapped[datetime | None] = operational(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = personal("user.location.precise", UTCDateTime())


# Single rows the compactor may fold into blocks (`tracking.position_blocks`): kept
# apart in a small partial index so each compaction finds them without a table scan.
UNCOMPACTED = "fixes IS NULL AND key_ref LIKE 'subject:%'"


class Position(Base):
    """One fix, or a block of one hour's fixes (`fixes` set; see `tracking.position_blocks`).

    Everything that places the person is in the encrypted payload.

    The key is (device, fix time): a fix resent after a lost ack is the same row,
    and on PostgreSQL the table is range-partitioned by month on `fix_time`
    (revision 0002), which a partitioned table's primary key must include. The
    payload's ciphertext binds to this key (see `tracking.positions`).
    """

    __tablename__ = "positions"
    __table_args__ = (
        Index(
            "ix_positions_uncompacted",
            "device_id",
            "fix_time",
            sqlite_where=text(UNCOMPACTED),
            postgresql_where=text(UNCOMPACTED),
        ),
        {
            "info": {
                "subject_column": "device_id",
                "subject_via": "devices.customer_id",
                "key_class": "location",
                # A block row holds `fixes` positions (see `store.subject_tables`).
                "records_column": "fixes",
            }
        },
    )

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    fix_time: Mapped[datetime] = personal("user.location.precise", UTCDateTime(), primary_key=True)
    received_at: Mapped[datetime] = operational(UTCDateTime())
    # Which key encrypted the payload: "subject:<id>:location:<version>" or "fleet:<version>".
    key_ref: Mapped[str] = operational(String(80))
    payload: Mapped[bytes] = personal("user.location.precise", LargeBinary, encrypted=True)
    # NULL: the payload is one fix as a gateway wrote it, `fix_time` its time. A number:
    # the payload is a block of that many fixes of one hour, `fix_time` the first one's.
    fixes: Mapped[int | None] = operational(Integer)
