"""Cookies: nothing but strictly necessary ones before a choice and after refusing; a banner
with equal buttons that works without JavaScript; a signed-in choice in the consent ledger."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import select
from tests.web.portal.conftest import World, sign_in, token_in

from trackguard.runtime import Runtime
from trackguard.store.models import ConsentEvent
from trackguard.web.cookies import (
    CHOICE_COOKIE,
    ESSENTIAL_COOKIES,
    SITE_COOKIES,
    banner_question,
    cookie_purposes,
)
from trackguard.web.portal.texts import texts

pytestmark = pytest.mark.anyio
BANNER = 'class="cookie-banner"'


def set_cookie_names(response: httpx.Response) -> set[str]:
    names = set()
    for header in response.headers.get_list("set-cookie"):
        names.update(SimpleCookie(header).keys())
    return names


async def visit_everything(client: httpx.AsyncClient, world: World) -> set[str]:
    """Walk the site as a visitor would (sign-in included); every cookie name set."""
    seen: set[str] = set()
    paths = ["/", "/privacy", "/cookies", "/portal/sign-in", "/portal"]
    for path in paths:
        seen |= set_cookie_names(await client.get(path))
    signed = await sign_in(client)
    assert signed.status_code == 303
    seen |= set_cookie_names(signed)
    device = world.demo_devices[0]
    for path in (
        "/portal",
        f"/portal/devices/{device}",
        f"/portal/devices/{device}/history",
        f"/portal/devices/{device}/trips",
        "/portal/geofences",
        "/portal/events",
    ):
        seen |= set_cookie_names(await client.get(path))
    return seen


async def test_only_strictly_necessary_cookies_before_any_choice(
    client: httpx.AsyncClient, world: World
) -> None:
    seen = await visit_everything(client, world)
    assert seen and seen <= ESSENTIAL_COOKIES
    assert CHOICE_COOKIE not in seen


async def test_only_strictly_necessary_cookies_after_refusing(
    client: httpx.AsyncClient, world: World
) -> None:
    page = await client.get("/portal/sign-in")
    response = await client.post(
        "/cookies",
        data={"choice": "refused", "next": "/portal/sign-in", "csrf_token": token_in(page.text)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/sign-in"
    assert client.cookies[CHOICE_COOKIE] == "refused"
    seen = await visit_everything(client, world)
    assert seen <= ESSENTIAL_COOKIES


def test_every_cookie_the_site_sets_is_documented_as_strictly_necessary() -> None:
    assert {c.name for c in SITE_COOKIES} == ESSENTIAL_COOKIES
    for cookie in SITE_COOKIES:
        assert cookie.purpose["nl"] and cookie.purpose["en"]
        assert cookie.lifetime["nl"] and cookie.lifetime["en"]


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_banner_offers_accept_and_refuse_alike_and_goes_once_chosen(
    client: httpx.AsyncClient, runtime: Runtime, world: World, lang: str
) -> None:
    page = (await client.get("/portal/sign-in", params={"lang": lang})).text
    assert BANNER in page
    assert escape(banner_question(runtime.policy, lang)) in page
    words = texts(lang)
    button = '<button type="submit" name="choice" value="{}" class="choice">{}</button>'
    accept = button.format("accepted", words["accept"])
    refuse = button.format("refused", words["refuse"])
    assert accept in page and refuse in page  # the same element, class and form: same weight
    assert f'href="/cookies?lang={lang}">{words["cookies_more"]}' in page
    response = await client.post(
        "/cookies",
        data={
            "choice": "accepted",
            "next": f"/portal/sign-in?lang={lang}",
            "csrf_token": token_in(page),
        },
    )
    assert response.status_code == 303
    assert BANNER not in (await client.get("/portal/sign-in", params={"lang": lang})).text


async def test_the_choice_can_be_changed_from_the_footer(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    page = (await signed_in.get("/portal", params={"lang": "en"})).text
    assert '<a href="/cookies?lang=en">Cookie settings</a>' in page
    cookies_page = await signed_in.get("/cookies", params={"lang": "en"})
    assert texts("en")["choice_none"] in cookies_page.text
    assert BANNER not in cookies_page.text  # the page itself is the long form
    for choice, shown in (("accepted", "choice_accepted"), ("refused", "choice_refused")):
        token = token_in((await signed_in.get("/cookies", params={"lang": "en"})).text)
        await signed_in.post(
            "/cookies", data={"choice": choice, "next": "/cookies?lang=en", "csrf_token": token}
        )
        assert texts("en")[shown] in (await signed_in.get("/cookies", params={"lang": "en"})).text


async def test_a_signed_in_choice_is_recorded_in_the_consent_ledger(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    purposes = [p.key for p in cookie_purposes(runtime.policy)]
    assert purposes  # the policy has consent purposes that use what cookies reveal
    with runtime.db.session() as session:
        before = len(
            session.scalars(
                select(ConsentEvent).where(ConsentEvent.customer_id == world.demo_id)
            ).all()
        )
    for choice in ("accepted", "refused"):
        token = token_in((await signed_in.get("/portal")).text)
        response = await signed_in.post(
            "/cookies", data={"choice": choice, "lang": "en", "csrf_token": token}
        )
        assert response.status_code == 303
    with runtime.db.session() as session:
        events = session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.customer_id == world.demo_id)
            .order_by(ConsentEvent.at)
        ).all()
    new = events[before:]
    assert [(e.purpose, e.given) for e in new] == [(p, True) for p in purposes] + [
        (p, False) for p in purposes
    ]
    assert all(e.channel == "website" for e in new)
    assert all(e.proof == banner_question(runtime.policy, "en") for e in new)
    assert all(e.policy_version == runtime.policy.version_id for e in new)


async def test_an_anonymous_choice_writes_no_ledger_entry(
    client: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    with runtime.db.session() as session:
        before = len(session.scalars(select(ConsentEvent)).all())
    token = token_in((await client.get("/cookies")).text)
    await client.post("/cookies", data={"choice": "accepted", "csrf_token": token})
    with runtime.db.session() as session:
        assert len(session.scalars(select(ConsentEvent)).all()) == before


async def test_the_choice_needs_a_valid_token_and_a_known_value(
    client: httpx.AsyncClient, world: World
) -> None:
    token = token_in((await client.get("/cookies")).text)
    assert (await client.post("/cookies", data={"choice": "accepted"})).status_code == 403
    wrong = await client.post("/cookies", data={"choice": "maybe", "csrf_token": token})
    assert wrong.status_code == 400
    assert CHOICE_COOKIE not in client.cookies


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_cookie_page_documents_the_cookies_and_quotes_the_statement(
    client: httpx.AsyncClient, runtime: Runtime, world: World, lang: str
) -> None:
    page = (await client.get("/cookies", params={"lang": lang})).text
    for cookie in SITE_COOKIES:
        assert f"<code>{cookie.name}</code>" in page
        assert escape(cookie.purpose[lang]) in page
    website = runtime.policy.website
    assert escape(website.cookie_removal.get(lang)) in page
    for item in website.cookie_purposes:
        assert escape(item.get(lang)) in page
