"""Signing in and out with the HTML form: CSRF-protected, throttled kindly, session cookie."""

from __future__ import annotations

import httpx
import pytest
from tests.web.portal.conftest import World, sign_in, token_in

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.web.auth.principal import COOKIE_NAME
from trackguard.web.auth.throttle import DEFAULT_MAX_FAILURES
from trackguard.web.csrf import ANONYMOUS_COOKIE
from trackguard.web.portal.texts import texts

pytestmark = pytest.mark.anyio


async def test_signing_in_opens_a_session_and_returns_to_the_asked_page(
    client: httpx.AsyncClient, world: World
) -> None:
    target = f"/portal/devices/{world.demo_devices[0]}"
    redirect = await client.get(target)
    assert redirect.status_code == 303
    form = await client.get(redirect.headers["location"])
    assert form.status_code == 200
    assert f'name="next" value="{target}"' in form.text
    assert ANONYMOUS_COOKIE in client.cookies  # the token's anchor before there is a session
    response = await client.post(
        "/portal/sign-in",
        data={
            "email": DEMO_EMAIL,
            "password": DEMO_PASSWORD,
            "next": target,
            "csrf_token": token_in(form.text),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == target
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert ANONYMOUS_COOKIE not in client.cookies  # the session binds the tokens now
    assert (await client.get(target)).status_code == 200


async def test_without_or_with_a_wrong_token_the_sign_in_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    form = await client.get("/portal/sign-in")
    token = token_in(form.text)
    credentials = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    nonce, _, mac = token.partition(".")
    for data in (
        credentials,
        {**credentials, "csrf_token": ""},
        {**credentials, "csrf_token": nonce + "." + mac[::-1]},
        {**credentials, "csrf_token": "x" + token},
    ):
        response = await client.post("/portal/sign-in", data=data)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "csrf-failed"
        assert COOKIE_NAME not in client.cookies


async def test_a_token_made_for_another_visitor_is_refused(
    client: httpx.AsyncClient, app: object, world: World
) -> None:
    # The attacker fetches a form with their own cookie and plants its token on a victim.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
        planted = token_in((await attacker.get("/portal/sign-in")).text)
    await client.get("/portal/sign-in")
    response = await client.post(
        "/portal/sign-in",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": planted},
    )
    assert response.status_code == 403


async def test_a_form_posted_from_another_site_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    token = token_in((await client.get("/portal/sign-in")).text)
    response = await client.post(
        "/portal/sign-in",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    same = await client.post(
        "/portal/sign-in",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 303


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_a_wrong_password_gets_the_form_back_kindly(
    client: httpx.AsyncClient, world: World, lang: str
) -> None:
    form = await client.get("/portal/sign-in", params={"lang": lang})
    response = await client.post(
        f"/portal/sign-in?lang={lang}",
        data={"email": DEMO_EMAIL, "password": "wrong", "csrf_token": token_in(form.text)},
    )
    assert response.status_code == 400
    assert texts(lang)["wrong_credentials"] in response.text
    assert f'value="{DEMO_EMAIL}"' in response.text  # the address is kept, the password not
    assert 'value="wrong"' not in response.text
    assert COOKIE_NAME not in client.cookies


async def test_too_many_failures_are_throttled_with_a_clear_message(
    client: httpx.AsyncClient, world: World
) -> None:
    form = await client.get("/portal/sign-in", params={"lang": "en"})
    token = token_in(form.text)
    for _ in range(DEFAULT_MAX_FAILURES):
        await client.post(
            "/portal/sign-in?lang=en",
            data={"email": DEMO_EMAIL, "password": "wrong", "csrf_token": token},
        )
    # Even the right password waits now: the throttle answers before any password work.
    response = await client.post(
        "/portal/sign-in?lang=en",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "try again in 15 minutes" in response.text
    assert COOKIE_NAME not in client.cookies


async def test_signing_out_ends_the_session(signed_in: httpx.AsyncClient) -> None:
    old = signed_in.cookies[COOKIE_NAME]
    token = token_in((await signed_in.get("/portal")).text)
    response = await signed_in.post("/portal/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/portal/sign-in")
    assert COOKIE_NAME not in signed_in.cookies
    # The old cookie no longer opens anything, even if a copy of it survived.
    signed_in.cookies.set(COOKIE_NAME, old)
    assert (await signed_in.get("/portal")).status_code == 303


async def test_signing_out_needs_the_token(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post("/portal/sign-out", data={})
    assert response.status_code == 403
    assert (await signed_in.get("/portal")).status_code == 200


async def test_a_state_changing_form_without_token_changes_nothing(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    device = world.demo_devices[0]
    before = (await signed_in.get(f"/portal/devices/{device}", params={"lang": "en"})).text
    response = await signed_in.post(f"/portal/devices/{device}/antitheft", data={"armed": "on"})
    assert response.status_code == 403
    after = (await signed_in.get(f"/portal/devices/{device}", params={"lang": "en"})).text
    state = [k for k in ("armed_now", "disarmed_now") if texts("en")[k] in before]
    assert state and texts("en")[state[0]] in after


async def test_a_token_from_before_sign_in_does_not_work_after_it(
    client: httpx.AsyncClient, world: World
) -> None:
    anonymous_token = token_in((await client.get("/portal/sign-in")).text)
    assert (await sign_in(client)).status_code == 303
    response = await client.post(
        f"/portal/devices/{world.demo_devices[0]}/antitheft",
        data={"armed": "on", "csrf_token": anonymous_token},
    )
    assert response.status_code == 403
