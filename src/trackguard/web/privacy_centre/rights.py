"""Rights requests as the customer sees them: filing, listing, one request's history.

Filing goes through the workflow (`submit_request`, actor: the subject); asking
again for the same open thing returns the open request. Reading is limited to the
customer's own requests: another customer's request is NotFound, like one that never
existed. `RequestOptions` is what the forms offer, every choice from the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from trackguard.errors import NotFound
from trackguard.policy import Policy
from trackguard.policy.model import Right
from trackguard.privacy.choices import objectable
from trackguard.privacy.requests import (
    REQUEST_TYPES,
    SUBJECT,
    EventView,
    RequestView,
    Status,
    Submitted,
    submit_request,
    verify_by_session,
)
from trackguard.privacy.requests.records import REQUEST_CATEGORY, events_of, load, view
from trackguard.privacy.requests.rectification import rectifiable_fields
from trackguard.runtime import Runtime
from trackguard.store.models import RightsRequest
from trackguard.web.privacy_centre.exports import OwnExport, own_exports

MAX_REQUEST_ID = 32
REQUEST_CATEGORIES = (REQUEST_CATEGORY,)  # what a view of requests shows about the subject


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class RequestKind:
    key: str  # the request type (access, ..., withdrawal)
    right: str  # the policy's right
    name: str
    description: str
    article: str
    needs_ground: bool
    needs_purpose: bool
    allows_purpose: bool
    needs_corrections: bool
    purposes: tuple[Choice, ...]  # what a purpose field may name


@dataclass(frozen=True)
class RequestOptions:
    kinds: tuple[RequestKind, ...]
    grounds: tuple[Choice, ...]
    fields: tuple[str, ...]  # rectifiable customer fields


@dataclass(frozen=True)
class RequestDetail:
    request: RequestView
    events: list[EventView]
    exports: list[OwnExport]


def request_options(policy: Policy, lang: str) -> RequestOptions:
    granted: dict[str, Right] = {right.key: right for right in policy.rights.items}
    kinds = []
    for kind in REQUEST_TYPES.values():
        right = granted.get(kind.right)
        if right is None:
            continue
        if kind.key == "objection":
            allowed = [p for p in policy.purposes if objectable(p)]
        elif kind.key == "withdrawal":
            allowed = policy.consent_purposes()
        elif kind.allows_purpose:
            allowed = list(policy.purposes)
        else:
            allowed = []
        kinds.append(
            RequestKind(
                key=kind.key,
                right=right.key,
                name=right.name.get(lang),
                description=right.description.get(lang),
                article=right.article,
                needs_ground=kind.needs_ground,
                needs_purpose=kind.needs_purpose,
                allows_purpose=kind.allows_purpose,
                needs_corrections=kind.needs_corrections,
                purposes=tuple(Choice(p.key, p.name.get(lang)) for p in allowed),
            )
        )
    grounds = tuple(Choice(g.key, g.text.get(lang)) for g in policy.rights.restriction_grounds)
    return RequestOptions(tuple(kinds), grounds, tuple(sorted(rectifiable_fields())))


def file_request(
    runtime: Runtime,
    customer_id: str,
    *,
    type: str,
    ground: str | None = None,
    purpose: str | None = None,
    corrections: Mapping[str, str] | None = None,
    verify: bool = False,
) -> Submitted:
    """Receive the customer's request; `verify`: their signed-in session proves identity."""
    submitted = submit_request(
        runtime,
        customer_id=customer_id,
        type=type,
        ground=ground,
        purpose=purpose,
        corrections=corrections,
        actor=SUBJECT,
    )
    if verify and submitted.request.status == Status.RECEIVED:
        verified = verify_by_session(runtime, submitted.request.id, customer_id=customer_id)
        return Submitted(verified, submitted.created)
    return submitted


def verify_own(runtime: Runtime, customer_id: str, request_id: str) -> RequestView:
    own_request(runtime, customer_id, request_id)  # NotFound for anyone else's
    return verify_by_session(runtime, request_id, customer_id=customer_id)


def own_requests(runtime: Runtime, customer_id: str) -> list[RequestView]:
    """The customer's requests, newest first."""
    now = runtime.clock()
    with runtime.db.session() as session:
        rows = session.scalars(
            select(RightsRequest)
            .where(RightsRequest.customer_id == customer_id)
            .order_by(RightsRequest.received_at.desc(), RightsRequest.id)
        )
        return [view(row, now) for row in rows]


def own_request(runtime: Runtime, customer_id: str, request_id: str) -> RequestDetail:
    """One of the customer's requests with its history and exports; NotFound otherwise."""
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise NotFound("no such rights request")
    with runtime.db.session() as session:
        try:
            row = load(session, request_id)
        except NotFound:
            row = None
        if row is None or row.customer_id != customer_id:
            raise NotFound("no such rights request")
        return RequestDetail(
            view(row, runtime.clock()),
            events_of(session, request_id),
            own_exports(session, runtime.settings.exports_dir, customer_id, request_id=request_id),
        )
