"""Consent events, website visits, survey answers and data obtained from third parties."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import Base, new_id, operational, personal, subject_link
from trackguard.store.types import UTCDateTime


class ConsentEvent(Base):
    """Append-only: consent given or withdrawn for one purpose, with its proof."""

    __tablename__ = "consent_events"
    __table_args__ = subject_link("customer_id")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = personal("user.privacy_preferences", String(60))
    given: Mapped[bool] = personal("user.privacy_preferences", Boolean)
    policy_version: Mapped[str] = operational(String(40))
    channel: Mapped[str] = operational(String(20))  # "portal", "app", "website", "email"
    proof: Mapped[str] = operational(Text)  # the exact form or checkbox text shown
    at: Mapped[datetime] = personal("user.privacy_preferences", UTCDateTime())


class WebVisit(Base):
    """Raw website visit data (kept briefly; statistics are made from it without IPs)."""

    __tablename__ = "web_visits"
    __table_args__ = subject_link("customer_id", key_class="profile")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    visited_at: Mapped[datetime] = personal("user.behavior.browsing_history", UTCDateTime())
    domain_name: Mapped[str | None] = personal("user.behavior.browsing_history", String(200))
    path: Mapped[str] = personal("user.behavior.browsing_history", String(500))
    referrer: Mapped[str | None] = personal("user.behavior.browsing_history", String(500))
    clicked_link: Mapped[str | None] = personal("user.behavior.browsing_history", String(500))
    seconds_on_page: Mapped[int | None] = personal("user.behavior.browsing_history", Integer)
    ip_address: Mapped[bytes | None] = personal(
        "user.device.ip_address", LargeBinary, encrypted=True
    )
    browser_device_type: Mapped[str | None] = personal("user.device.browser_type", String(200))
    operating_system: Mapped[str | None] = personal("user.device.browser_type", String(100))


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = subject_link("customer_id", key_class="profile")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    survey: Mapped[str] = operational(String(60))
    question: Mapped[str] = operational(String(300))
    answer: Mapped[bytes] = personal(
        "user.content.private.survey_answer", LargeBinary, encrypted=True
    )
    channel: Mapped[str] = operational(String(20))  # "website" or "offline"
    answered_at: Mapped[datetime] = personal("user.content.private.survey_answer", UTCDateTime())


class ThirdPartyData(Base):
    """What we learnt about a person from someone else (e.g. a social media platform)."""

    __tablename__ = "third_party_data"
    __table_args__ = subject_link("customer_id", key_class="profile")

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = operational(String(60))  # e.g. "facebook", "linkedin"
    source_reference: Mapped[str | None] = personal("user.social", String(300))
    collected_at: Mapped[datetime] = personal("user.social", UTCDateTime())
    name: Mapped[bytes | None] = personal("user.name", LargeBinary, encrypted=True)
    email: Mapped[bytes | None] = personal("user.contact.email", LargeBinary, encrypted=True)
    content: Mapped[bytes | None] = personal("user.social", LargeBinary, encrypted=True)
