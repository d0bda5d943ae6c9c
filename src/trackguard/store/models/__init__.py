"""Every record the privacy statement names; importing this registers them all."""

from trackguard.store.models.accounts import BusinessAccount, Customer
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

__all__ = [
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
    "Payment",
    "Position",
    "ProcessingRestriction",
    "Purchase",
    "RequestEvent",
    "RetentionRun",
    "ReturnRequest",
    "RightsRequest",
    "SubjectKey",
    "SurveyAnswer",
    "ThirdPartyData",
    "VaultMeta",
    "VerificationToken",
    "WebVisit",
    "Webhook",
    "WhatsAppConversation",
]
