"""Minimal valid rows of every record a retention rule can name, with chosen values.

Retention never decrypts, so encrypted columns hold placeholder bytes here. Each
factory returns the row's primary key as a tuple. A record without a factory makes
the per-rule tests fail: add one when the policy gains a rule on a new record.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from trackguard.clock import fixed_clock
from trackguard.privacy.audit import AuditLog
from trackguard.store.base import new_id
from trackguard.store.models import (
    AnalyticsDailyCount,
    AnalyticsSalt,
    AnalyticsVisitorMark,
    AuditEntry,
    BusinessAccount,
    CallRecording,
    ChatMessage,
    Complaint,
    ConsentEvent,
    Customer,
    Device,
    DeviceGeofence,
    EmailMessage,
    Event,
    ExportFile,
    Geofence,
    IdentityDocument,
    LegalHold,
    Objection,
    Order,
    OutboxMessage,
    Payment,
    Position,
    ProcessingRestriction,
    Purchase,
    RequestEvent,
    RetentionRun,
    ReturnRequest,
    RightsRequest,
    StaffUser,
    SubjectKey,
    SurveyAnswer,
    ThirdPartyData,
    VerificationToken,
    Webhook,
    WebSession,
    WebVisit,
    WhatsAppConversation,
)
from trackguard.vault import Vault

Key = tuple[Any, ...]
_versions = itertools.count(1)


@dataclass
class World:
    """The session rows are made in, the moment they are made at, and whose they are."""

    session: Session
    vault: Vault
    now: datetime
    customer_id: str = ""

    def __post_init__(self) -> None:
        if not self.customer_id:
            self.customer_id = make(self, "customers")[0]


def _add(w: World, row: Any, values: dict[str, Any]) -> Any:
    for name, value in values.items():
        setattr(row, name, value)
    w.session.add(row)
    w.session.flush()
    return row


def _customer(w: World, linked: bool, values: dict[str, Any]) -> Key:
    now = w.now
    row = Customer(
        id=new_id(),
        email_index=new_id() + new_id(),
        email=b"sealed-email",
        first_name=b"sealed-name",
        phone=b"sealed-phone",
        created_at=now,
        last_login_at=now,
        last_app_use_at=now,
        status="active",
    )
    return (_add(w, row, values).id,)


def _owner(w: World, linked: bool, values: dict[str, Any]) -> str | None:
    return values.pop("customer_id", w.customer_id if linked else None)


def _simple(model: type, **defaults: Any) -> Callable[[World, bool, dict[str, Any]], Key]:
    """A factory for a record whose only link is customer_id."""

    def factory(w: World, linked: bool, values: dict[str, Any]) -> Key:
        made = {
            k: (v(w) if callable(v) else v) for k, v in defaults.items() if not k.startswith("_")
        }
        row = model(id=new_id(), customer_id=_owner(w, linked, values), **made)
        return (_add(w, row, values).id,)

    return factory


def _now(w: World) -> datetime:
    return w.now


def _device(w: World, linked: bool, values: dict[str, Any]) -> Key:
    owner = _owner(w, linked, values)
    row = Device(
        id=new_id(),
        customer_id=owner,
        imei_index=new_id() + new_id(),
        imei=b"sealed-imei" if owner else None,
        name="Fiets" if owner else None,
        armed=bool(owner),
        protocol="gt06",
        created_at=w.now,
        activated_at=w.now if owner else None,
        last_seen_at=w.now,
    )
    return (_add(w, row, values).id,)


def _position(w: World, linked: bool, values: dict[str, Any]) -> Key:
    device = values.pop("device_id", None) or _device(w, linked, {})[0]
    row = Position(device_id=device, fix_time=w.now, received_at=w.now, key_ref="t", payload=b"p")
    row = _add(w, row, values)
    return (row.device_id, row.fix_time)


def _order(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = Order(
        id=new_id(),
        customer_id=_owner(w, linked, values),
        order_number=new_id()[:30],
        placed_at=w.now,
        status="paid",
        total_cents=4999,
        shipping_address=b"sealed-address",
    )
    return (_add(w, row, values).id,)


def _return(w: World, linked: bool, values: dict[str, Any]) -> Key:
    order = values.pop("order_id", None) or _order(w, linked, {"placed_at": w.now})[0]
    row = ReturnRequest(
        id=new_id(),
        order_id=order,
        customer_id=_owner(w, linked, values),
        requested_at=w.now,
        status="refunded",
        reason=b"sealed-reason",
    )
    return (_add(w, row, values).id,)


def _subject_key(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = SubjectKey(
        subject_id=values.pop("customer_id", w.customer_id),
        key_class="communications",
        version=next(_versions) + 100,
        wrapped_key=None,
        master_key_id=w.vault.master_key_id,
        created_at=w.now,
        destroyed_at=w.now,
    )
    return (_add(w, row, values).id,)


def _audit_entry(w: World, linked: bool, values: dict[str, Any]) -> Key:
    at = values.pop("at", w.now)
    entry = AuditLog(fixed_clock(at)).append(
        w.session,
        actor="staff:support-1",
        role="support",
        purpose="customer_service",
        subject_id=_owner(w, linked, values),
        categories=["user.contact.email"],
        action="customers.show",
    )
    return (_add(w, entry, values).seq,)


def _request(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = RightsRequest(
        id=new_id(),
        customer_id=_owner(w, linked, values),
        type="access",
        status="completed",
        received_at=w.now,
        due_at=w.now,
        completed_at=w.now,
    )
    return (_add(w, row, values).id,)


def _request_part(model: type, **defaults: Any) -> Callable[[World, bool, dict[str, Any]], Key]:
    def factory(w: World, linked: bool, values: dict[str, Any]) -> Key:
        request = values.pop("request_id", None) or _request(w, linked, {})[0]
        made = {k: (v(w) if callable(v) else v) for k, v in defaults.items()}
        return (_add(w, model(id=new_id(), request_id=request, **made), values).id,)

    return factory


def _geofence(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = Geofence(
        id=new_id(),
        customer_id=values.pop("customer_id", w.customer_id),
        name=b"sealed-name",
        area=b"sealed-area",
        created_at=w.now,
        updated_at=w.now,
    )
    return (_add(w, row, values).id,)


def _device_geofence(w: World, linked: bool, values: dict[str, Any]) -> Key:
    device = values.pop("device_id", None) or _device(w, linked, {})[0]
    fence = values.pop("geofence_id", None) or _geofence(w, True, {})[0]
    row = _add(w, DeviceGeofence(device_id=device, geofence_id=fence, linked_at=w.now), values)
    return (row.device_id, row.geofence_id)


def _event(w: World, linked: bool, values: dict[str, Any]) -> Key:
    device = _device(w, True, {})[0]
    row = Event(
        id=new_id(),
        device_id=device,
        customer_id=values.pop("customer_id", w.customer_id),
        type="alarm",
        time=w.now,
        fix_time=w.now,
        attributes={"alarm": "sos"},
    )
    return (_add(w, row, values).id,)


def _staff(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = StaffUser(
        id=new_id(),
        email_index=new_id() + new_id(),
        password_hash="argon2-placeholder",
        role="support",
        created_at=w.now,
        last_login_at=w.now,
    )
    return (_add(w, row, values).id,)


def _web_session(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = WebSession(
        id=new_id(),
        token_hash=new_id() + new_id(),
        customer_id=_owner(w, True, values),
        kind="cookie",
        created_at=w.now,
        last_seen_at=w.now,
        expires_at=w.now,
    )
    return (_add(w, row, values).id,)


def _retention_run(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = RetentionRun(
        id=new_id(),
        mode="run",
        as_of=w.now,
        started_at=w.now,
        finished_at=w.now,
        status="completed",
        report={"rules": []},
    )
    return (_add(w, row, values).id,)


def _salt(w: World, linked: bool, values: dict[str, Any]) -> Key:
    site = f"{new_id()}.example"  # one salt per site and day
    row = AnalyticsSalt(id=new_id(), site=site, day=w.now, salt=b"\x00" * 32, created_at=w.now)
    return (_add(w, row, values).id,)


def _visitor_mark(w: World, linked: bool, values: dict[str, Any]) -> Key:
    salt = values.pop("salt_id", None) or _salt(w, linked, {})[0]
    row = _add(w, AnalyticsVisitorMark(salt_id=salt, mark=new_id(), salt_created_at=w.now), values)
    return (row.salt_id, row.mark)


def _daily_count(w: World, linked: bool, values: dict[str, Any]) -> Key:
    row = AnalyticsDailyCount(
        site=f"{new_id()}.example", day=w.now, dimension="total", value="", visitors=3, pageviews=5
    )
    row = _add(w, row, values)
    return (row.site, row.day, row.dimension, row.value)


FACTORIES: dict[str, Callable[[World, bool, dict[str, Any]], Key]] = {
    "customers": _customer,
    "business_accounts": lambda w, linked, values: (
        _add(w, BusinessAccount(id=new_id(), company_name="Fiets BV", created_at=w.now), values).id,
    ),
    "devices": _device,
    "positions": _position,
    "orders": _order,
    "returns": _return,
    "payments": _simple(
        Payment, paid_at=_now, amount_cents=4999, method="ideal", provider="psp", iban=b"sealed"
    ),
    "purchases": _simple(
        Purchase, purchased_at=_now, product_sku="TG-1", product_name="Tracker", price_cents=4999
    ),
    "chat_messages": _simple(
        ChatMessage, conversation_id="c1", sent_at=_now, sender="customer", body=b"sealed"
    ),
    "call_recordings": _simple(
        CallRecording, started_at=_now, duration_seconds=60, direction="inbound", audio=b"wav"
    ),
    "whatsapp_conversations": _simple(
        WhatsAppConversation, started_at=_now, message_count=3, transcript=b"sealed"
    ),
    "emails": _simple(
        EmailMessage, direction="inbound", sent_at=_now, subject=b"sealed", body=b"sealed"
    ),
    "complaints": _simple(
        Complaint, filed_at=_now, channel="email", topic="delivery", body=b"sealed"
    ),
    "mail_outbox": _simple(
        OutboxMessage,
        recipient=b"sealed",
        subject=b"sealed",
        body=b"sealed",
        purpose="privacy_rights",
        audit_action="rights_request.notice_emailed",
        queued_at=_now,
        next_attempt_at=_now,
        attempts=0,
    ),
    "consent_events": _simple(
        ConsentEvent,
        purpose="newsletter",
        given=True,
        policy_version="test",
        channel="portal",
        proof="Ja, stuur mij nieuwsbrieven.",
        at=_now,
    ),
    "web_visits": _simple(WebVisit, visited_at=_now, path="/", ip_address=b"sealed-ip"),
    "survey_answers": _simple(
        SurveyAnswer, survey="nps", question="Hoe?", answer=b"sealed", channel="website",
        answered_at=_now,
    ),
    "third_party_data": _simple(
        ThirdPartyData, source="facebook", collected_at=_now, content=b"sealed"
    ),
    "subject_keys": _subject_key,
    "audit_entries": _audit_entry,
    "rights_requests": _request,
    "geofences": _geofence,
    "device_geofences": _device_geofence,
    "events": _event,
    "webhooks": _simple(Webhook, url=b"sealed-url", secret=b"sealed-secret", created_at=_now),
    "identity_documents": _simple(
        IdentityDocument, received_at=_now, content_type="image/jpeg", content=b"sealed-id"
    ),
    "request_events": _request_part(RequestEvent, at=_now, status="completed", actor="system"),
    "verification_tokens": _request_part(
        VerificationToken, token_hash=lambda w: new_id() + new_id(), sent_at=_now, expires_at=_now
    ),
    "export_files": _simple(
        ExportFile, file_name="export.zip", size_bytes=10, sha256="0" * 64, created_at=_now
    ),
    "processing_restrictions": _simple(
        ProcessingRestriction, ground="accuracy_contested", started_at=_now
    ),
    "objections": _simple(Objection, purpose="direct_marketing", lodged_at=_now),
    # Released: an active hold would hold the whole subject.
    "legal_holds": _simple(
        LegalHold, reason="court order", placed_by="privacy-officer", placed_at=_now,
        released_at=_now,
    ),
    "retention_runs": _retention_run,
    "staff_users": _staff,
    "web_sessions": _web_session,
    "analytics_salts": _salt,
    "analytics_visitor_marks": _visitor_mark,
    "analytics_daily_counts": _daily_count,
}  # fmt: skip


def make(w: World, table: str, *, linked: bool = True, **values: Any) -> Key:
    """One row of `table` owned by the world's customer (`linked=False`: by nobody)."""
    factory = FACTORIES.get(table)
    if factory is None:
        raise LookupError(f"no test factory for record '{table}': add one to factories.py")
    return factory(w, linked, dict(values))


def audit_entry_subject(w: World, seq: int) -> str | None:
    entry = w.session.get(AuditEntry, seq)
    return None if entry is None else entry.subject_id
