"""Forgotten password: the same answer for every address, a one-hour single-use link by
e-mail, and the way back in for an account locked as compromised."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import delete, select
from tests.web.privacy_centre.conftest import Inbox, MovableClock, World, post_form, sign_in

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.mail import MailConfig, Mailer
from trackguard.privacy.requests.outbox import Outbox, waiting
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, Customer, OutboxMessage
from trackguard.web.auth.throttle import LoginThrottle
from trackguard.web.password_reset.flow import MAX_LINKS_PER_HOUR, send_reset_link
from trackguard.web.password_reset.tokens import ResetTokens, account_state

pytestmark = pytest.mark.anyio
FORGOT, NEW = "/password-reset", "/password-reset/new"
COMPROMISED = "/portal/privacy/compromised"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"^ {4}(https?://\S+)\r?$", re.MULTILINE)


async def ask_link(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, FORGOT, FORGOT, {"email": email})


def link_in(mails: Inbox) -> str:
    found = LINK.search(mails.bodies()[-1])
    assert found is not None, "the e-mail carries no link"
    return found.group(1)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def set_password(client: httpx.AsyncClient, link: str, password: str) -> httpx.Response:
    token = link.split("token=", 1)[1]
    form = {"token": token, "password": password, "repeat": password}
    return await post_form(client, path_of(link), NEW, form)


async def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: httpx.AsyncClient, mails: Inbox
) -> None:
    known = await ask_link(client, DEMO_EMAIL)
    unknown = await ask_link(client, "nobody-here@example.nl")
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert len(mails.messages) == 1
    assert mails.messages[0]["To"] == DEMO_EMAIL


async def test_a_locked_account_gets_back_in_with_the_emailed_link(
    signed_in: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, world: World,
    mails: Inbox,
) -> None:  # fmt: skip
    locked = await post_form(signed_in, COMPROMISED, COMPROMISED, {"password": DEMO_PASSWORD})
    assert locked.status_code == 200
    signed_in.cookies.clear()
    assert (await sign_in(signed_in)).status_code == 400

    assert (await ask_link(signed_in, DEMO_EMAIL)).status_code == 200
    link = link_in(mails)
    form = await signed_in.get(path_of(link))
    assert form.status_code == 200 and 'name="token"' in form.text
    done = await set_password(signed_in, link, NEW_PASSWORD)
    assert done.status_code == 200, done.text

    assert (await sign_in(signed_in, DEMO_EMAIL, DEMO_PASSWORD)).status_code == 400
    signed_in.cookies.clear()
    assert (await sign_in(signed_in, DEMO_EMAIL, NEW_PASSWORD)).status_code == 303
    with runtime.db.session() as session:
        stored = session.get(Customer, world.demo_id).password_hash
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_id == world.demo_id)
        ).all()
    assert stored is not None and stored.startswith("$argon2id$")
    assert "account.password_reset_link_sent" in actions and "account.password_reset" in actions


async def test_a_link_works_once(client: httpx.AsyncClient, mails: Inbox) -> None:
    await ask_link(client, DEMO_EMAIL)
    link = link_in(mails)
    assert (await set_password(client, link, NEW_PASSWORD)).status_code == 200
    again = await set_password(client, link, "yet another passphrase")
    assert again.status_code == 400
    assert (await client.get(path_of(link))).status_code == 400
    assert (await sign_in(client, DEMO_EMAIL, NEW_PASSWORD)).status_code == 303


async def test_a_link_expires_after_an_hour(
    client: httpx.AsyncClient, mails: Inbox, clock: MovableClock
) -> None:
    await ask_link(client, DEMO_EMAIL)
    link = link_in(mails)
    clock.advance(minutes=59)
    assert (await client.get(path_of(link))).status_code == 200
    clock.advance(minutes=1)
    assert (await client.get(path_of(link))).status_code == 400
    assert (await set_password(client, link, NEW_PASSWORD)).status_code == 400
    assert (await sign_in(client, DEMO_EMAIL, DEMO_PASSWORD)).status_code == 303


async def test_resetting_ends_every_session_of_the_account(
    signed_in: httpx.AsyncClient, client: httpx.AsyncClient, mails: Inbox, app: object
) -> None:
    assert (await signed_in.get("/portal")).status_code == 200
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await ask_link(other, DEMO_EMAIL)
        assert (await set_password(other, link_in(mails), NEW_PASSWORD)).status_code == 200
    page = await signed_in.get("/portal")
    assert page.status_code == 303 and page.headers["location"].startswith("/portal/sign-in")


async def test_a_forged_or_tampered_link_opens_nothing(
    client: httpx.AsyncClient, mails: Inbox, world: World, runtime: Runtime
) -> None:
    await ask_link(client, DEMO_EMAIL)
    token = link_in(mails).split("token=", 1)[1]
    customer_id, expiry, mac = token.split(".")
    later = f"{customer_id}.{int(expiry) + 3600}.{mac}"
    other = f"{world.other_id}.{expiry}.{mac}"
    # Signed with a key of our own choosing, for the right account in its present state.
    with runtime.db.session() as session:
        c = session.get(Customer, world.demo_id)
        state = account_state(
            password_hash=c.password_hash, last_login=c.last_login_at,
            email_index=c.email_index, status=c.status,
        )  # fmt: skip
    forged = ResetTokens(b"k" * 32).issue(world.demo_id, state, datetime.now(UTC))
    for bad in (later, other, forged, "x", "", token + "x"):
        assert (await client.get(NEW, params={"token": bad})).status_code == 400, bad
        form = {"token": bad, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        assert (await post_form(client, FORGOT, NEW, form)).status_code == 400, bad
    assert (await sign_in(client)).status_code == 303


async def test_a_short_or_mismatched_password_is_refused_and_the_link_still_works(
    client: httpx.AsyncClient, mails: Inbox
) -> None:
    await ask_link(client, DEMO_EMAIL)
    link = link_in(mails)
    token = link.split("token=", 1)[1]
    page = path_of(link)
    short = {"token": token, "password": "short", "repeat": "short"}
    unequal = {"token": token, "password": NEW_PASSWORD, "repeat": "other one!"}
    short_answer = await post_form(client, page, NEW, short)
    mismatch = await post_form(client, page, NEW, unequal)
    assert short_answer.status_code == mismatch.status_code == 400
    assert (await set_password(client, link, NEW_PASSWORD)).status_code == 200


async def test_links_per_account_are_limited_without_saying_so(
    client: httpx.AsyncClient, mails: Inbox
) -> None:
    for _ in range(MAX_LINKS_PER_HOUR + 2):
        assert (await ask_link(client, DEMO_EMAIL)).status_code == 200
    assert len(mails.messages) == MAX_LINKS_PER_HOUR


async def test_signing_in_after_the_link_was_sent_ends_it(
    client: httpx.AsyncClient, mails: Inbox, clock: MovableClock
) -> None:
    await ask_link(client, DEMO_EMAIL)
    link = link_in(mails)
    clock.advance(seconds=1)
    assert (await sign_in(client)).status_code == 303  # the owner remembered it after all
    assert (await client.get(path_of(link))).status_code == 400


def test_a_token_is_bound_to_the_account_state_and_the_clock() -> None:
    tokens = ResetTokens(b"s" * 32)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    state = account_state(password_hash="h1", last_login=None, email_index="i", status="active")
    token = tokens.issue("ab12", state, now)
    claim = ResetTokens.read(token)
    assert claim is not None and claim.customer_id == "ab12"
    assert tokens.holds(claim, state, now + timedelta(minutes=59))
    assert not tokens.holds(claim, state, now + timedelta(hours=1))
    changed = account_state(password_hash="h2", last_login=None, email_index="i", status="active")
    assert not tokens.holds(claim, changed, now)
    assert ResetTokens.read("ab12.99999999999999.x") is None
    assert ResetTokens.read("AB12.1.x") is None


async def test_links_point_at_the_configured_address_never_at_the_request_host(
    client: httpx.AsyncClient, mails: Inbox, runtime: Runtime
) -> None:
    settings = runtime.settings
    await post_form(client, FORGOT, FORGOT, {"email": DEMO_EMAIL})
    assert link_in(mails).startswith(f"http://{settings.host}:{settings.web_port}{NEW}?")
    # A visitor who sends another Host header does not choose where the link points.
    client.headers["Host"] = "attacker.example"
    runtime.settings = settings.model_copy(update={"public_url": "https://track.example.nl/"})
    try:
        await ask_link(client, DEMO_EMAIL)
        assert link_in(mails).startswith(f"https://track.example.nl{NEW}?")
    finally:
        runtime.settings = settings


def test_a_link_the_relay_does_not_take_waits_and_is_not_sent_once_expired(
    runtime: Runtime, world: World, mails: Inbox, clock: MovableClock
) -> None:
    with runtime.db.session() as session:
        session.execute(delete(OutboxMessage))  # the demo's undelivered notices: not these
    tokens = ResetTokens(b"k" * 32)
    down = Mailer(MailConfig(port=1), clock=clock)  # nothing listens on port 1
    for _ in range(2):
        queued = send_reset_link(
            runtime, tokens, LoginThrottle(), DEMO_EMAIL, link_base="http://x/r", mailer=down
        )
        assert queued
    # The newer link replaced the older one still waiting; nothing went out yet.
    [shown] = waiting(runtime)
    assert shown.purpose == "security" and shown.last_error == "ConnectionRefusedError"
    assert not mails.messages
    clock.advance(minutes=1)
    assert Outbox(runtime).drain().delivered == 1  # the relay is back
    assert link_in(mails).startswith("http://x/r?token=")
    send_reset_link(
        runtime, tokens, LoginThrottle(), DEMO_EMAIL, link_base="http://x/r", mailer=down
    )
    clock.advance(hours=1)
    assert Outbox(runtime).drain().expired == 1  # a dead link is not worth sending
    assert len(mails.messages) == 1
