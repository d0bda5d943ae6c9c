"""`/api/privacy/data` and `/api/privacy/consents`: what we hold, and the consent switches."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from trackguard.errors import TrackguardError
from trackguard.privacy.consent import consent_receipt, live_customer
from trackguard.runtime import Runtime
from trackguard.web.auth.principal import CurrentCustomer
from trackguard.web.deps import CurrentRuntime
from trackguard.web.privacy_api import schemas
from trackguard.web.privacy_api.common import PREFIX, PRIVATE, Lang, Writer
from trackguard.web.privacy_centre.audit import audit_view
from trackguard.web.privacy_centre.consents import (
    CONSENT_CATEGORY,
    consent_choices,
    switch_consent,
)
from trackguard.web.privacy_centre.summary import (
    category_summaries,
    profile_values,
    record_counts,
)

router = APIRouter(prefix=PREFIX, tags=["privacy"])
API_CHANNEL = "api"  # consent_events.channel of a switch made through this API


class NotAConsentChoice(TrackguardError):
    """A consent change names a purpose that takes no consent."""


@router.get("/data", response_model=schemas.DataSummary)
def my_data(runtime: CurrentRuntime, principal: CurrentCustomer, lang: Lang) -> JSONResponse:
    """Per category of personal data: what we hold about you, why, on what basis, how long."""
    with runtime.db.session() as session:
        customer = live_customer(session, principal.id)
        profile = profile_values(session, runtime.vault, customer)
        counts = record_counts(session, runtime.policy, principal.id)
        categories = category_summaries(runtime.policy, counts, lang)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_api.data.read",
            categories=[p.category for p in profile] + [c.key for c in categories],
        )
    body = schemas.DataSummary(
        language=lang,
        policy_version=runtime.policy.version_id,
        profile=[
            schemas.ProfileValue(field=p.field, category=p.category, value=p.value) for p in profile
        ],
        categories=[schemas.CategorySummary.model_validate(asdict(c)) for c in categories],
    )
    return JSONResponse(body.model_dump(mode="json"), headers=PRIVATE)


def _consents(runtime: Runtime, customer_id: str, lang: Lang, action: str) -> schemas.Consents:
    with runtime.db.session() as session:
        choices = consent_choices(session, runtime.policy, customer_id, lang)
        audit_view(
            session,
            runtime.clock,
            customer_id=customer_id,
            action=action,
            categories=[CONSENT_CATEGORY],
        )
    return schemas.Consents(
        language=lang,
        policy_version=runtime.policy.version_id,
        consents=[
            schemas.Consent(
                purpose=c.purpose,
                name=c.name,
                description=c.description,
                prompt=c.prompt,
                status=c.state.status,
                since=c.state.since,
                channel=c.state.channel,
                policy_version=c.state.policy_version,
            )
            for c in choices
        ],
    )


@router.get("/consents", response_model=schemas.Consents)
def consents(runtime: CurrentRuntime, principal: CurrentCustomer, lang: Lang) -> JSONResponse:
    """Each consent purpose with its prompt and where you stand on it."""
    body = _consents(runtime, principal.id, lang, "privacy_api.consents.read")
    return JSONResponse(body.model_dump(mode="json"), headers=PRIVATE)


@router.put("/consents", response_model=schemas.Consents)
def change_consents(
    update: schemas.ConsentUpdate, runtime: CurrentRuntime, principal: Writer, lang: Lang
) -> JSONResponse:
    """Give or withdraw consents; takes effect at once. Unchanged ones record nothing."""
    shown = update.language or lang
    allowed = {p.key for p in runtime.policy.consent_purposes()}
    for change in update.consents:
        if change.purpose not in allowed:
            raise NotAConsentChoice(
                f"'{change.purpose}' takes no consent: use one of {', '.join(sorted(allowed))}"
            )
    for change in update.consents:
        switch_consent(
            runtime,
            principal.id,
            change.purpose,
            given=change.given,
            lang=shown,
            channel=API_CHANNEL,
        )
    body = _consents(runtime, principal.id, lang, "privacy_api.consents.read")
    return JSONResponse(body.model_dump(mode="json"), headers=PRIVATE)


@router.get("/consents/receipt", response_model=schemas.ConsentReceipt)
def receipt(runtime: CurrentRuntime, principal: CurrentCustomer, lang: Lang) -> JSONResponse:
    """Your consents as a Kantara Consent Receipt (v1.1)."""
    with runtime.db.session() as session:
        body = consent_receipt(runtime.policy, session, principal.id, at=runtime.clock(), lang=lang)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_api.consents.receipt",
            categories=[CONSENT_CATEGORY],
        )
    return JSONResponse(body, headers=PRIVATE)
