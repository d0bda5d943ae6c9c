"""The privacy API's request and response bodies, as they appear in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from trackguard.privacy.requests import REQUEST_TYPES
from trackguard.privacy.requests.rectification import rectifiable_fields
from trackguard.web.privacy_centre.complaints import MAX_COMPLAINT_CHARS

Language = Literal["nl", "en"]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
RowId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
RequestType = Literal[
    "access", "portability", "rectification", "restriction", "erasure", "objection", "withdrawal"
]
assert set(get_args(RequestType)) == set(REQUEST_TYPES), "request types out of step"
CorrectionField = Literal[
    "email", "first_name", "last_name", "billing_address", "postal_address", "phone"
]
assert set(get_args(CorrectionField)) == set(rectifiable_fields()), "rectifiable fields changed"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- my data ---------------------------------------------------------------------------------


class RecordCount(Model):
    table: str = Field(description="The record (table) the data sits in.")
    name: str
    rows: int = Field(ge=0, description="How many rows of it are about you.")


class PurposeBasis(Model):
    key: str
    name: str
    legal_basis: str = Field(description="contract, legitimate_interest, legal_obligation, ...")
    legal_basis_name: str
    article: str = Field(description="GDPR article 6(1) point, e.g. 6(1)(b).")


class RecipientName(Model):
    key: str
    name: str
    countries: list[str]


class Kept(Model):
    rule: str
    name: str
    period: str = Field(description="ISO 8601 duration, e.g. P14D.")
    action: str = Field(description="What happens then: delete, anonymise, ...")
    statement: str


class CategorySummary(Model):
    key: str = Field(description="The fideslang category key.")
    name: str
    description: str
    sources: list[str] = Field(description="How it is collected: direct, third_party, automatic.")
    records: list[RecordCount]
    purposes: list[PurposeBasis]
    recipients: list[RecipientName]
    retention: list[Kept]


class ProfileValue(Model):
    field: str
    category: str
    value: str | None


class DataSummary(Model):
    language: Language
    policy_version: str
    profile: list[ProfileValue] = Field(description="Your account's own details, decrypted.")
    categories: list[CategorySummary]


# -- consents --------------------------------------------------------------------------------


class Consent(Model):
    purpose: str
    name: str
    description: str
    prompt: str = Field(description="What you agree to, word for word: recorded as the proof.")
    status: Literal["given", "withdrawn", "never"]
    since: datetime | None
    channel: str | None
    policy_version: str | None


class Consents(Model):
    language: Language
    policy_version: str
    consents: list[Consent]


class ConsentChange(Model):
    purpose: Key
    given: bool


class ConsentUpdate(Model):
    language: Language | None = Field(
        default=None,
        description="The language the prompts were shown in (the proof); default: negotiated.",
    )
    consents: list[ConsentChange] = Field(min_length=1, max_length=20)


class ConsentReceipt(BaseModel):
    """A Kantara Consent Receipt v1.1 (the shape ISO/IEC TS 27560 grew from); the field
    names are the receipt's own."""

    model_config = ConfigDict(extra="allow")

    version: str
    jurisdiction: str
    consentTimestamp: int
    collectionMethod: str
    consentReceiptID: str
    language: str
    piiPrincipalId: str
    piiControllers: list[dict[str, Any]]
    policyUrl: str
    services: list[dict[str, Any]]
    sensitive: bool
    spiCat: list[str]


# -- requests --------------------------------------------------------------------------------


class RequestIn(Model):
    type: RequestType
    ground: Key | None = Field(
        default=None, description="Restriction: one of the policy's grounds."
    )
    purpose: Key | None = Field(
        default=None, description="Objection, withdrawal: the purpose; restriction: only this one."
    )
    corrections: (
        dict[CorrectionField, Annotated[str, StringConstraints(min_length=1, max_length=500)]]
        | None
    ) = Field(default=None, description="Rectification: field -> the correct value.")


class RequestDetails(Model):
    ground: str | None = None
    purpose: str | None = None
    fields: list[str] | None = Field(default=None, description="Fields a rectification corrects.")


class RightsRequest(Model):
    id: str
    type: str
    status: Literal["received", "verified", "in_progress", "completed", "refused"]
    received: datetime
    due: datetime
    overdue: bool
    verified: datetime | None
    verification_method: str | None
    completed: datetime | None
    outcome: str | None
    extended: datetime | None
    extension_reason: str | None
    details: RequestDetails


class FiledRequest(RightsRequest):
    created: bool = Field(description="False: the same request was open already; this is it.")


class RequestEvent(Model):
    at: datetime
    status: str
    actor: Literal["subject", "system", "staff"]
    notice: str | None


class Export(Model):
    id: str
    request_id: str | None
    file_name: str
    size_bytes: int
    sha256: str
    created: datetime
    href: str


class RequestHistory(RightsRequest):
    history: list[RequestEvent]
    exports: list[Export]


class VerifyIn(Model):
    method: Literal["session", "email"] = Field(
        description="session: your sign-in proves it. email: without `token`, a one-time code "
        "is e-mailed to the address on file; with `token`, that code confirms it."
    )
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class Verified(Model):
    request: RightsRequest
    token_sent: bool = False
    token_expires: datetime | None = None


# -- complaints and a compromised account ----------------------------------------------------


class ComplaintIn(Model):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_COMPLAINT_CHARS)]


class SupervisoryAuthority(Model):
    name: str
    website: str
    complaint_url: str


class FiledComplaint(Model):
    id: str
    filed: datetime
    status: str
    channel: str
    supervisory_authority: SupervisoryAuthority
    authority_text: str = Field(description="The statement's words on lodging a complaint there.")


class CompromisedIn(Model):
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(
        description="Your current password: a stolen session alone cannot lock you out."
    )


class Locked(Model):
    sessions_ended: int
    password_cleared: bool = Field(description="Only a new password opens the account again.")
    text: str = Field(description="The statement's words on a compromised account.")
