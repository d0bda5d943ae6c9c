"""The visitor statistics are a back-office page like the others: the same navigation for the
role, the same language switch and the same sign-out."""

from __future__ import annotations

import html
import re

import pytest
from tests.web.backoffice.conftest import Client, World, token_in

from trackguard.web.backoffice.pages import NAVIGATION
from trackguard.web.backoffice.roles import may_enter
from trackguard.web.backoffice.texts import texts

pytestmark = pytest.mark.anyio
DASHBOARD = "/backoffice/analytics"
PERIOD = "from=2026-02-01&to=2026-02-28"


def _nav_links(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', page, re.DOTALL)
    assert nav is not None, "the page has no back-office navigation"
    return [html.unescape(h).split("?")[0] for h in re.findall(r'href="([^"]+)"', nav.group(1))]


@pytest.mark.parametrize("role", ["privacy_officer", "admin"])
async def test_the_dashboard_has_the_navigation_of_the_role(
    client_as: Client, world: World, role: str
) -> None:
    client = await client_as(role)
    page = await client.get(DASHBOARD)
    assert page.status_code == 200
    expected = ["/backoffice", *(p for a, p, _ in NAVIGATION if may_enter(role, a))]
    assert _nav_links(page.text)[: len(expected)] == expected
    assert texts("nl")[f"role_{role}"] in page.text
    assert 'action="/backoffice/sign-out"' in page.text


async def test_the_language_switch_keeps_the_period_and_translates_the_frame(
    client_as: Client, world: World
) -> None:
    admin = await client_as("admin")
    dutch = await admin.get(f"{DASHBOARD}?{PERIOD}")
    switch = re.search(r'<a href="([^"]+)" hreflang="en"', dutch.text)
    assert switch is not None
    target = html.unescape(switch.group(1))
    assert target.startswith(DASHBOARD + "?") and "from=2026-02-01" in target
    english = await admin.get(target)
    assert '<html lang="en">' in english.text
    assert texts("en")["nav_requests"] in english.text and "Visitor statistics" in english.text
    assert 'value="2026-02-01"' in english.text
    # The chosen language stays with the period form and the links of the frame.
    assert '<input type="hidden" name="lang" value="en">' in english.text
    assert 'href="/backoffice/requests?lang=en"' in english.text


async def test_staff_sign_out_from_the_dashboard(client_as: Client, world: World) -> None:
    officer = await client_as("privacy_officer")
    page = await officer.get(DASHBOARD)
    out = await officer.post("/backoffice/sign-out", data={"csrf_token": token_in(page.text)})
    assert out.status_code == 303
    again = await officer.get(DASHBOARD)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/backoffice/sign-in?next=")
