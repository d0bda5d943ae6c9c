"""The privacy centre's fixtures (demo data, SMTP inbox, app), and a bearer-token caller."""

from __future__ import annotations

import httpx
import pytest
from tests.web.privacy_centre import conftest as centre

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD

# The centre's fixtures, found by pytest under these names.
anyio_backend, app, client, clock = centre.anyio_backend, centre.app, centre.client, centre.clock
inbox, mails, runtime, world = centre.inbox, centre.mails, centre.runtime, centre.world
demo_world = centre.demo_world
signed_in = centre.signed_in


@pytest.fixture
async def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client holding the demo customer's bearer token (and no cookie)."""
    form = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    assert (await client.post("/api/session", data=form)).status_code == 200
    token = await client.post("/api/session/token")
    assert token.status_code == 200
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {token.text}"
    return client
