"""Every back-office route, walked as each staff role, as a customer and anonymously: no access
beyond the role matrix, and no page shows a value its viewer may only see masked or not at all.

The routes come from the app's own router, not from a list here: a new back-office route
is walked the moment it exists, and one declared without an area fails the walk.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from tests.web.backoffice.conftest import ROLES, Client, World, token_in

from trackguard.privacy import retention
from trackguard.privacy.requests.records import OPERATOR
from trackguard.runtime import Runtime
from trackguard.web.auth.passwords import Passwords
from trackguard.web.backoffice.access import area_of
from trackguard.web.backoffice.roles import (
    ROLE_MATRIX,
    Area,
    Visibility,
    customer_access,
    may_enter,
)
from trackguard.web.backoffice.staff_accounts import add_staff

pytestmark = pytest.mark.anyio

PRINCIPALS: tuple[str | None, ...] = (None, "customer", *ROLES)
PROBLEM = "application/problem+json"
# Pages that hand out a CSRF token bound to each kind of visitor's cookie.
TOKEN_PAGE = {None: "/backoffice/sign-in", "customer": "/portal"}
STAFF_TOKEN_PAGE = "/backoffice/roles"


def backoffice_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every route under /backoffice, HEAD left out (GET's twin)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if not path.startswith("/backoffice") or not isinstance(route, APIRoute):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path, route))
    return found


def area(path: str, route: APIRoute) -> Area:
    declared = area_of(route)
    assert declared is not None, f"{path} is declared without an area"
    return declared


def role_of(who: str | None) -> str | None:
    return who if who in ROLE_MATRIX else None


@pytest.fixture
def params(runtime: Runtime, world: World) -> dict[str, str]:
    report = retention.plan(runtime)
    with runtime.db.session() as session:
        victim = add_staff(
            session,
            runtime.vault,
            Passwords(),
            runtime.clock,
            email="victim@trackguard.example",
            password="a long passphrase",
            role="support",
            actor=OPERATOR,
        )
    return {
        "request_id": world.id_copy_request,
        "complaint_id": world.complaint_id,
        "report_id": report.id,
        "customer_id": world.demo_id,
        "staff_id": victim.id,
    }


def fill(path: str, params: dict[str, str]) -> str:
    names = re.findall(r"{(\w+)}", path)
    unknown = [n for n in names if n not in params]
    assert not unknown, f"no test value for the path parameter(s) {unknown} of {path}"
    return path.format(**{n: params[n] for n in names})


def assert_denied(who: str | None, section: Area, response: httpx.Response, what: str) -> None:
    status = response.status_code
    if who is None:
        assert status == 303, what
        assert response.headers["location"].startswith("/backoffice/sign-in"), what
    elif who == "customer":
        assert status == 404, what
        assert response.headers["content-type"].startswith(PROBLEM), what
    else:
        assert status == 403, what


def assert_nothing_beyond_the_matrix(
    runtime: Runtime, who: str | None, response: httpx.Response, world: World, what: str
) -> None:
    """No value of the demo customer appears that `who` may not see in full."""
    role = role_of(who)
    allowed = customer_access(runtime.policy, role) if role else {}
    body = html.unescape(response.text)
    for field, value in world.secrets.items():
        access = allowed.get(field)
        if access is not None and access.effective is Visibility.FULL:
            continue
        assert value not in body, f"{what}: shows {field}"


async def test_no_route_gives_access_beyond_the_role_matrix(
    app: FastAPI,
    client_as: Client,
    runtime: Runtime,
    world: World,
    params: dict[str, str],
) -> None:
    routes = backoffice_routes(app)
    assert {m for m, _, _ in routes} == {"GET", "POST"}
    assert len(routes) >= 25
    clients = {who: await client_as(who) for who in PRINCIPALS}
    # Reads first: some forms end what they read (an ID copy is deleted); signing out last.
    ordered = sorted(routes, key=lambda r: (r[0] != "GET", r[1].endswith("/sign-out")))
    entered: set[tuple[str | None, Area]] = set()
    for method, path, route in ordered:
        section = area(path, route)
        url = fill(path, params)
        for who in PRINCIPALS:
            client = clients[who]
            what = f"{method} {path} as {who or 'anonymous'}"
            if method == "GET":
                response = await client.get(url)
            else:
                page = TOKEN_PAGE.get(who, STAFF_TOKEN_PAGE)
                token = token_in((await client.get(page)).text)
                response = await client.post(url, data={"csrf_token": token})
            allowed = may_enter(role_of(who), section)
            if not allowed:
                assert_denied(who, section, response, what)
            elif method == "GET":
                assert response.status_code == 200, f"{what}: {response.status_code}"
                entered.add((who, section))
            else:
                status = response.status_code
                assert status < 500 and status not in (401, 403), f"{what}: {status}"
                problem = response.headers.get("content-type", "").startswith(PROBLEM)
                assert not (status == 404 and problem), f"{what}: not found"
            assert_nothing_beyond_the_matrix(runtime, who, response, world, what)
    # Not vacuous: each role read a page of every area it has, the others only sign-in.
    for role in ROLES:
        assert {a for w, a in entered if w == role} == ROLE_MATRIX[role].areas | {Area.PUBLIC}
    assert {a for w, a in entered if w in (None, "customer")} == {Area.PUBLIC}
