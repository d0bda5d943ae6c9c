"""Every record the privacy statement names; importing this registers them all."""

from trackguard.store.models.accounts import BusinessAccount, Customer
from trackguard.store.models.analytics import (
    AnalyticsDailyCount,
    AnalyticsSalt,
    AnalyticsVisitorMark,
)
from trackguard.store.models.antitheft import DeviceGeofence, Event, Geofence, Webhook
from trackguard.store.models.audit import AuditEntry
from trackguard.store.models.commerce import Order, Payment, Purchase, ReturnRequest
from trackguard.store.models.communications import (
    CallRecording,
    ChatMessage,
    Complaint,
    EmailMessage,
    WhatsAppConversation,
)
from trackguard.store.models.engagement import (
    ConsentEvent,
    SurveyAnswer,
    ThirdPartyData,
    WebVisit,
)
from trackguard.store.models.keys import SubjectKey, VaultMeta
from trackguard.store.models.outbox import OutboxMessage
from trackguard.store.models.privacy_ops import (
    ExportFile,
    IdentityDocument,
    LegalHold,
    Objection,
    ProcessingRestriction,
    RequestEvent,
    RetentionRun,
    VerificationToken,
)
from trackguard.store.models.requests import RightsRequest
from trackguard.store.models.tracking import Device, Position
from trackguard.store.models.web import StaffUser, TraccarId, WebSession

__all__ = [
    "AnalyticsDailyCount",
    "AnalyticsSalt",
    "AnalyticsVisitorMark",
    "AuditEntry",
    "BusinessAccount",
    "CallRecording",
    "ChatMessage",
    "Complaint",
    "ConsentEvent",
    "Customer",
    "Device",
    "DeviceGeofence",
    "EmailMessage",
    "Event",
    "ExportFile",
    "Geofence",
    "IdentityDocument",
    "LegalHold",
    "Objection",
    "Order",
    "OutboxMessage",
    "Payment",
    "Position",
    "ProcessingRestriction",
    "Purchase",
    "RequestEvent",
    "RetentionRun",
    "ReturnRequest",
    "RightsRequest",
    "StaffUser",
    "SubjectKey",
    "SurveyAnswer",
    "ThirdPartyData",
    "TraccarId",
    "VaultMeta",
    "VerificationToken",
    "WebSession",
    "WebVisit",
    "Webhook",
    "WhatsAppConversation",
]
