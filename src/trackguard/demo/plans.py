"""Plain, frozen plaintext values of the demo data set: what `generate` makes and
`seed` writes. No ids, no ciphertext: two runs with one seed compare equal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from trackguard.demo.tracks import TrackPoint
from trackguard.policy.period import Period


@dataclass(frozen=True)
class ConsentPurpose:
    key: str
    prompt_nl: str  # the exact text a person agrees to, stored as proof
    prompt_en: str

    def prompt(self, language: str) -> str:
        return self.prompt_en if language == "en" else self.prompt_nl


@dataclass(frozen=True)
class DemoRules:
    """What the policy says, as far as demo data must know it: for each kind of record
    the retention period after which a rule acts (the seed makes records on both
    sides of it), the consent purposes with their prompts, the rights and deadline."""

    chat: Period  # chats that do not matter for the service
    chat_relevant: Period  # chats kept because they do
    call: Period
    whatsapp: Period
    email: Period
    complaint: Period
    financial: Period
    inactivity: Period  # customers not seen for this long are anonymised
    device_inactivity: Period
    web_visit: Period
    survey: Period
    location: Period  # positions of activated devices
    fleet_location: Period  # positions of devices nobody activated
    consent_proof: Period
    rights_request: Period  # counted from completion
    unused_business: Period  # a business account nobody belongs to
    alarm_event: Period  # anti-theft events
    unused_geofence: Period  # a geofence no tracker watches, counted from its last change
    unlinked_geofence_link: Period  # a tracker nobody owns any more still watching a geofence
    webhook_inactivity: Period  # a webhook nothing was delivered to
    rights_deadline: Period
    consent_purposes: tuple[ConsentPurpose, ...]
    rights: tuple[str, ...]
    # Withdrawing consent for this purpose deletes what third parties told us.
    third_party_purpose: str | None


@dataclass(frozen=True)
class BusinessPlan:
    company_name: str
    created_at: datetime


@dataclass(frozen=True)
class DevicePlan:
    name: str | None
    imei: str
    protocol: str
    model: str
    created_at: datetime
    activated_at: datetime | None
    last_seen_at: datetime | None
    armed: bool = False
    activation_code: str | None = None  # still on the box: hashed when written
    track: tuple[TrackPoint, ...] = ()


@dataclass(frozen=True)
class PurchasePlan:
    product_sku: str
    product_name: str
    quantity: int
    price_cents: int
    purchased_at: datetime


@dataclass(frozen=True)
class PaymentPlan:
    paid_at: datetime
    amount_cents: int
    method: str  # "ideal", "creditcard", "directdebit", "bancontact"
    provider: str
    provider_token: str
    card_brand: str | None
    card_last4: str | None
    iban: str | None


@dataclass(frozen=True)
class ReturnPlan:
    requested_at: datetime
    reason: str
    status: str
    refunded_cents: int


@dataclass(frozen=True)
class OrderPlan:
    order_number: str
    placed_at: datetime
    status: str
    shipping_address: str
    purchases: tuple[PurchasePlan, ...]
    payment: PaymentPlan | None
    return_request: ReturnPlan | None

    @property
    def total_cents(self) -> int:
        return sum(p.price_cents * p.quantity for p in self.purchases)


@dataclass(frozen=True)
class MessagePlan:
    sent_at: datetime
    sender: str  # "customer" or "agent"
    body: str


@dataclass(frozen=True)
class ChatPlan:
    relevant_to_service: bool
    messages: tuple[MessagePlan, ...]


@dataclass(frozen=True)
class CallPlan:
    started_at: datetime
    duration_seconds: int
    direction: str
    phone_number: str


@dataclass(frozen=True)
class WhatsAppPlan:
    started_at: datetime
    phone_number: str
    messages: tuple[MessagePlan, ...]


@dataclass(frozen=True)
class EmailPlan:
    sent_at: datetime
    direction: str
    subject: str
    body: str


@dataclass(frozen=True)
class ComplaintPlan:
    filed_at: datetime
    channel: str
    topic: str
    body: str
    status: str
    resolved_at: datetime | None


@dataclass(frozen=True)
class ConsentPlan:
    purpose: str
    given: bool
    channel: str
    proof: str
    at: datetime


@dataclass(frozen=True)
class VisitPlan:
    visited_at: datetime
    domain_name: str
    path: str
    referrer: str | None
    clicked_link: str | None
    seconds_on_page: int
    ip_address: str
    browser_device_type: str
    operating_system: str


@dataclass(frozen=True)
class SurveyPlan:
    survey: str
    question: str
    answer: str
    channel: str
    answered_at: datetime


@dataclass(frozen=True)
class ThirdPartyPlan:
    source: str
    source_reference: str
    collected_at: datetime
    name: str
    email: str | None
    content: str


@dataclass(frozen=True)
class RightsRequestPlan:
    type: str
    status: str
    received_at: datetime
    due_at: datetime
    verified_at: datetime | None
    verification_method: str | None
    completed_at: datetime | None
    details: dict[str, object] | None
    outcome: str | None


@dataclass(frozen=True)
class GeofenceLinkPlan:
    imei: str  # the tracker watching: one of the customer's, or one they released
    linked_at: datetime


@dataclass(frozen=True)
class GeofencePlan:
    name: str
    area: str  # Traccar's area text: "CIRCLE (lat lon, radius)" or "POLYGON ((lat lon, ...))"
    created_at: datetime
    updated_at: datetime  # the last change, unlinking a tracker included
    links: tuple[GeofenceLinkPlan, ...] = ()


@dataclass(frozen=True)
class EventPlan:
    """An anti-theft event, raised by the fix at `fix_time` of the tracker `imei`."""

    imei: str
    type: str  # "deviceMoving", "geofenceExit", "geofenceEnter", "alarm"
    time: datetime
    fix_time: datetime | None
    attributes: dict[str, object]
    alert: bool
    geofence: int | None = None  # index into the customer's geofences
    email_status: str = "skipped"
    webhook_status: str = "skipped"
    delivery_attempts: int = 0
    delivery_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class WebhookPlan:
    url: str
    enabled: bool
    created_at: datetime
    last_delivered_at: datetime | None
    last_failed_at: datetime | None


@dataclass(frozen=True)
class CustomerPlan:
    first_name: str
    last_name: str
    email: str
    password: str | None  # None: a random one nobody is told
    birth_date: date
    birthplace: str
    nationality: str  # ISO 3166-1 alpha-2
    billing_address: str
    postal_address: str
    phone: str
    ip_address: str
    browser_device_type: str
    language: str
    created_at: datetime
    last_login_at: datetime | None
    last_app_use_at: datetime | None
    business: int | None  # index into DemoData.business_accounts
    devices: tuple[DevicePlan, ...] = ()
    orders: tuple[OrderPlan, ...] = ()
    chats: tuple[ChatPlan, ...] = ()
    calls: tuple[CallPlan, ...] = ()
    whatsapps: tuple[WhatsAppPlan, ...] = ()
    emails: tuple[EmailPlan, ...] = ()
    complaints: tuple[ComplaintPlan, ...] = ()
    consents: tuple[ConsentPlan, ...] = ()
    visits: tuple[VisitPlan, ...] = ()
    surveys: tuple[SurveyPlan, ...] = ()
    third_party: tuple[ThirdPartyPlan, ...] = ()
    rights_requests: tuple[RightsRequestPlan, ...] = ()
    # Trackers they removed from their account: nobody's now (written without an owner),
    # still watching their geofences until the retention rule unlinks them.
    released_devices: tuple[DevicePlan, ...] = ()
    geofences: tuple[GeofencePlan, ...] = ()
    events: tuple[EventPlan, ...] = ()
    webhooks: tuple[WebhookPlan, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class DemoData:
    business_accounts: tuple[BusinessPlan, ...]
    customers: tuple[CustomerPlan, ...]  # the demo login first
    stock_devices: tuple[DevicePlan, ...]  # never activated: the fleet's
    anonymous_visits: tuple[VisitPlan, ...]
