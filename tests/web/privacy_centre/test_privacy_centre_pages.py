"""Every privacy-centre page renders for the demo customer in Dutch and English, shows
only their own data, and audits each view under the rights purpose."""

from __future__ import annotations

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import select
from tests.web.privacy_centre.conftest import World

from trackguard.demo.generate import DEMO_EMAIL
from trackguard.privacy.requests import submit_request
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry
from trackguard.web.privacy_centre.texts import texts

pytestmark = pytest.mark.anyio

PAGES = {
    "/portal/privacy": "my_data",
    "/portal/privacy/export": "export",
    "/portal/privacy/consents": "consents",
    "/portal/privacy/requests": "requests",
    "/portal/privacy/complaint": "complaint",
    "/portal/privacy/compromised": "compromised",
}


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_every_page_renders_in_the_asked_language(
    signed_in: httpx.AsyncClient, runtime: Runtime, lang: str
) -> None:
    words = texts(lang)
    for path, title in PAGES.items():
        response = await signed_in.get(path, params={"lang": lang})
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["content-language"] == lang
        assert response.headers["cache-control"] == "no-store"
        assert f"<h1>{words[title]}</h1>" in response.text, path
        assert f'href="/privacy?lang={lang}"' in response.text  # the statement, from the policy


async def test_my_data_shows_the_policy_facts_and_the_customers_own_values(
    signed_in: httpx.AsyncClient, runtime: Runtime
) -> None:
    page = (await signed_in.get("/portal/privacy", params={"lang": "en"})).text
    policy = runtime.policy
    assert DEMO_EMAIL in page
    assert policy.category("user.location.precise").name.get("en") in page
    assert policy.legal_basis("contract").name.get("en") in page
    location_rules = policy.rules_for("positions")
    assert location_rules and str(escape(location_rules[0].statement.get("en"))) in page
    with runtime.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy_centre.data.read")
        ).one()
    assert entry.purpose == "privacy_rights"
    assert "user.location.precise" in entry.categories and "user.contact.email" in entry.categories


async def test_pages_send_a_visitor_without_a_session_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/portal/sign-in")


async def test_another_customers_request_is_not_found(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    theirs = submit_request(runtime, customer_id=world.other_id, type="erasure").request
    response = await signed_in.get(f"/portal/privacy/requests/{theirs.id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    listing = (await signed_in.get("/portal/privacy/requests")).text
    assert theirs.id not in listing
