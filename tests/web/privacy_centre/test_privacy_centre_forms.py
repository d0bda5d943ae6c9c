"""The centre's forms: consent switches, every kind of rights request, the export, CSRF."""

from __future__ import annotations

import io
import re
from zipfile import ZipFile

import httpx
import pytest
from sqlalchemy import func, select
from tests.web.privacy_centre.conftest import MovableClock, World, post_form

from trackguard.privacy.consent import consent_state
from trackguard.privacy.export import write_export
from trackguard.privacy.gate import can
from trackguard.privacy.requests import REQUEST_TYPES, get_request
from trackguard.runtime import Runtime
from trackguard.store.models import Complaint, ConsentEvent, RightsRequest
from trackguard.web.privacy_centre.consents import prompt_of
from trackguard.web.privacy_centre.texts import texts

pytestmark = pytest.mark.anyio
CONSENTS = "/portal/privacy/consents"
REQUESTS = "/portal/privacy/requests"
EXPORT = "/portal/privacy/export"


async def test_the_consent_switch_changes_the_gate_at_once(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World, clock: MovableClock
) -> None:
    policy = runtime.policy
    for purpose in policy.consent_purposes():
        with runtime.db.session() as session:
            standing = consent_state(session, world.demo_id, policy=policy)[purpose.key].given
        first, second = ("no", "yes") if standing else ("yes", "no")
        for given in (first, second, first):  # each one a change of the switch
            clock.advance(seconds=5)
            response = await post_form(
                signed_in,
                f"{CONSENTS}?lang=en",
                f"{CONSENTS}?lang=en",
                {"purpose": purpose.key, "given": given, "shown_lang": "en"},
            )
            assert response.status_code == 303, response.text
            with runtime.db.session() as session:
                allowed = can(session, policy, world.demo_id, purpose.key)
                latest = session.scalars(
                    select(ConsentEvent)
                    .where(
                        ConsentEvent.customer_id == world.demo_id,
                        ConsentEvent.purpose == purpose.key,
                    )
                    .order_by(ConsentEvent.at.desc())
                    .limit(1)
                ).one()
            assert bool(allowed) is (given == "yes"), allowed
            assert latest.given is (given == "yes")
            assert latest.channel == "portal"
            assert latest.proof == prompt_of(purpose, "en")  # exactly the words shown
            assert latest.policy_version == policy.version_id
    page = (await signed_in.get(CONSENTS, params={"lang": "en"})).text
    assert texts("en")["consent_saved"] not in page  # the notice only follows a switch


async def test_switching_to_where_it_stands_records_nothing(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    purpose = runtime.policy.consent_purposes()[0].key
    form = {"purpose": purpose, "given": "yes", "shown_lang": "nl"}
    await post_form(signed_in, CONSENTS, CONSENTS, form)
    with runtime.db.session() as session:
        before = session.scalar(select(func.count()).select_from(ConsentEvent))
    await post_form(signed_in, CONSENTS, CONSENTS, form)  # the same form sent twice
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ConsentEvent)) == before


def _form_for(kind: str, runtime: Runtime) -> dict[str, str]:
    policy = runtime.policy
    if kind == "rectification":
        return {"type": kind, "set_first_name": "Mariek", "set_phone": "+31 6 0000 0000"}
    if kind == "restriction":
        return {"type": kind, "ground": policy.rights.restriction_grounds[0].key, "purpose": ""}
    if kind == "objection":
        return {"type": kind, "purpose": "direct_marketing"}
    if kind == "withdrawal":
        return {"type": kind, "purpose": policy.consent_purposes()[0].key}
    return {"type": kind}


@pytest.mark.parametrize("kind", sorted(REQUEST_TYPES))
async def test_each_request_type_is_filed_verified_and_followed(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World, kind: str
) -> None:
    form = _form_for(kind, runtime)
    response = await post_form(signed_in, REQUESTS, REQUESTS, form)
    assert response.status_code == 303, response.text[:600]
    location = response.headers["location"]
    found = re.fullmatch(r"/portal/privacy/requests/([0-9a-f]{32})\?done=request_filed", location)
    assert found is not None, location
    request, events = get_request(runtime, found.group(1))
    assert (request.customer_id, request.type) == (world.demo_id, kind)
    assert request.status == "verified" and request.verification_method == "session"
    assert [e.status for e in events] == ["received", "verified"]
    page = await signed_in.get(location + "&lang=en")
    assert page.status_code == 200
    assert texts("en")["request_filed"] in page.text
    assert texts("en")["status_verified"] in page.text
    assert runtime.policy.rights.extension.text.get("en") in page.text
    # Sent again while open: the same request comes back, nothing new is written.
    again = await post_form(signed_in, REQUESTS, REQUESTS, form)
    assert again.headers["location"].startswith(f"/portal/privacy/requests/{request.id}?")
    assert again.headers["location"].endswith("done=request_existed")


@pytest.mark.parametrize(
    ("form", "key"),
    [
        ({"type": "restriction"}, "choose_ground"),
        ({"type": "objection"}, "choose_purpose"),
        ({"type": "rectification", "set_phone": "  "}, "give_correction"),
        ({"type": "teleportation"}, "unknown_kind"),
    ],
)
async def test_an_incomplete_request_form_is_explained_and_files_nothing(
    signed_in: httpx.AsyncClient, runtime: Runtime, form: dict[str, str], key: str
) -> None:
    with runtime.db.session() as session:
        before = session.scalar(select(func.count()).select_from(RightsRequest))
    response = await post_form(signed_in, REQUESTS, f"{REQUESTS}?lang=en", form)
    assert response.status_code == 400
    assert texts("en")[key] in response.text
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RightsRequest)) == before


async def test_the_export_is_made_and_served_to_its_owner_only(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    response = await post_form(signed_in, EXPORT, EXPORT, {"kind": "access"})
    assert response.status_code == 303
    page = (await signed_in.get(EXPORT)).text
    links = re.findall(r'href="(/portal/privacy/exports/[0-9a-f]{32})"', page)
    assert links
    download = await signed_in.get(links[0])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]
    with ZipFile(io.BytesIO(download.content)) as archive:
        assert {"index.html", "data.json", "positions.csv", "tracks.gpx"} <= set(archive.namelist())
    theirs = write_export(runtime, world.other_id)
    assert (await signed_in.get(f"/portal/privacy/exports/{theirs.export_id}")).status_code == 404
    assert (await signed_in.get("/portal/privacy/exports/" + "0" * 32)).status_code == 404


async def test_forms_without_a_valid_csrf_token_are_refused_and_change_nothing(
    signed_in: httpx.AsyncClient, runtime: Runtime
) -> None:
    purpose = runtime.policy.consent_purposes()[0].key
    forms = {
        CONSENTS: {"purpose": purpose, "given": "yes"},
        REQUESTS: {"type": "erasure"},
        EXPORT: {"kind": "access"},
        "/portal/privacy/complaint": {"body": "Ik wil klagen."},
        "/portal/privacy/compromised": {"password": "demo"},
    }

    def counts() -> tuple[int, ...]:
        with runtime.db.session() as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model)) or 0
                for model in (ConsentEvent, RightsRequest, Complaint)
            )

    before = counts()
    for action, data in forms.items():
        for token in (None, "forged.token"):
            sent = data if token is None else {**data, "csrf_token": token}
            response = await signed_in.post(action, data=sent)
            assert response.status_code == 403, action
            assert response.headers["content-type"].startswith("application/problem+json")
    assert counts() == before
    assert (await signed_in.get("/portal/privacy")).status_code == 200  # still signed in
