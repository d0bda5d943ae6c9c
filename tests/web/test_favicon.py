"""The site's icon: a small SVG of our own, linked from every page, and `/favicon.ico` (where
browsers look on pages that link none) leads to it instead of answering 404."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.web.templates import STATIC_DIR

pytestmark = pytest.mark.anyio
SVG = "{http://www.w3.org/2000/svg}"
ICON_LINK = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


@pytest.fixture
def runtime(sqlite_settings: Settings) -> Iterator[Runtime]:
    """The icon reads no data: one backend is enough."""
    with Runtime.open(sqlite_settings) as opened:
        yield opened


def test_the_icon_is_a_small_self_contained_svg() -> None:
    data = (STATIC_DIR / "favicon.svg").read_bytes()
    assert len(data) < 2_048
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 32 32"
    for element in root.iter():
        # Nothing it could load or run: an icon is drawn, not fetched.
        assert element.tag not in (f"{SVG}script", f"{SVG}image", f"{SVG}foreignObject")
        assert not any(name.endswith("href") for name in element.attrib), element.tag
        assert not any(name.startswith("on") for name in element.attrib), element.tag


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_favicon_ico_leads_to_the_svg(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/favicon.ico")
    assert response.status_code == 301
    assert response.headers["location"] == "/static/favicon.svg"
    icon = await client.request(method, response.headers["location"])
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    if method == "GET":
        assert icon.content == (STATIC_DIR / "favicon.svg").read_bytes()


async def test_favicon_is_not_part_of_the_api_description(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "/favicon.ico" not in document["paths"]


@pytest.mark.parametrize(
    "path", ["/", "/portal/sign-in", "/backoffice/sign-in", "/password-reset", "/cookies"]
)
async def test_every_kind_of_page_links_the_icon(client: httpx.AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200, path
    assert page.text.count(ICON_LINK) == 1, path
