"""Customers (the data subjects) and the business accounts some belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
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


class BusinessAccount(Base):
    """A company that buys trackers for its staff or fleet (portal users)."""

    __tablename__ = "business_accounts"
    __table_args__ = subject_link(None)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    company_name: Mapped[str] = personal("user.contact.organization", String(200))
    created_at: Mapped[datetime] = operational(UTCDateTime())


class Customer(Base):
    """A customer account. Identity and contact fields are vault ciphertext."""

    __tablename__ = "customers"
    __table_args__ = subject_link("id", key_class="profile")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    business_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("business_accounts.id", ondelete="SET NULL"), index=True
    )
    # Blind index (keyed HMAC) of the normalised e-mail, for login look-ups.
    email_index: Mapped[str | None] = personal(
        "user.unique_id.pseudonymous", String(64), unique=True
    )
    email: Mapped[bytes | None] = personal("user.contact.email", LargeBinary, encrypted=True)
    password_hash: Mapped[str | None] = operational(String(200), category=AUTHENTICATION)
    first_name: Mapped[bytes | None] = personal("user.name.first", LargeBinary, encrypted=True)
    last_name: Mapped[bytes | None] = personal("user.name.last", LargeBinary, encrypted=True)
    birth_date: Mapped[bytes | None] = personal(
        "user.demographic.date_of_birth", LargeBinary, encrypted=True
    )
    birthplace: Mapped[bytes | None] = personal(
        "user.demographic.birthplace", LargeBinary, encrypted=True
    )
    nationality: Mapped[bytes | None] = personal(
        "user.demographic.nationality", LargeBinary, encrypted=True
    )
    billing_address: Mapped[bytes | None] = personal(
        "user.contact.address", LargeBinary, encrypted=True
    )
    postal_address: Mapped[bytes | None] = personal(
        "user.contact.address", LargeBinary, encrypted=True
    )
    phone: Mapped[bytes | None] = personal("user.contact.phone_number", LargeBinary, encrypted=True)
    ip_address: Mapped[bytes | None] = personal(
        "user.device.ip_address", LargeBinary, encrypted=True
    )
    browser_device_type: Mapped[bytes | None] = personal(
        "user.device.browser_type", LargeBinary, encrypted=True
    )
    language: Mapped[str] = personal("user.demographic.language", String(5), default="nl")
    status: Mapped[str] = operational(String(20), default="active")
    created_at: Mapped[datetime] = operational(UTCDateTime())
    last_login_at: Mapped[datetime | None] = personal("user.behavior", UTCDateTime())
    last_app_use_at: Mapped[datetime | None] = personal("user.behavior", UTCDateTime())
    anonymised_at: Mapped[datetime | None] = operational(UTCDateTime())
