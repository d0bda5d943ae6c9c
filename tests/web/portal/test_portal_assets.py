"""Leaflet is vendored from npm into the package and served from our own origin; no page
references another host, and scripts and styles live in files the CSP admits."""

from __future__ import annotations

import base64
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from tests.web.portal.conftest import World, sign_in

from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.web.app import create_app
from trackguard.web.portal.maps import MapConfig
from trackguard.web.templates import STATIC_DIR

LEAFLET = STATIC_DIR / "vendor" / "leaflet"


class References(HTMLParser):
    """Every URL a page makes the browser load or follow, and any inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.style_attributes = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "action", "data-tiles"):
            if values.get(name):
                self.urls.append(str(values[name]))
        if "style" in values:
            self.style_attributes += 1
        if any(name.startswith("on") for name in values):
            self.inline_scripts += 1
        self._in_script = tag == "script" and not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def references(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_the_vendored_files_are_there_and_match_their_record() -> None:
    record = json.loads((LEAFLET / "VENDORED.json").read_text())
    assert record["name"] == "leaflet"
    assert record["integrity"].startswith("sha512-")
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png"):
        assert name in record["files"]
    for name, digest in record["files"].items():
        assert sri((LEAFLET / name).read_bytes()) == digest, name
    assert f"Leaflet {record['version']}" in (LEAFLET / "leaflet.js").read_text()[:200]


def test_the_vendoring_script_pins_the_same_release() -> None:
    script = Path(__file__).parents[3] / "scripts" / "vendor_assets.py"
    record = json.loads((LEAFLET / "VENDORED.json").read_text())
    text = script.read_text()
    assert f'version="{record["version"]}"' in text
    assert record["integrity"] in text


@pytest.mark.anyio
async def test_leaflet_is_served_from_our_own_static_files(
    client: httpx.AsyncClient, world: World
) -> None:
    for name, kind in (
        ("leaflet.js", "javascript"),
        ("leaflet.css", "text/css"),
        ("images/marker-icon.png", "image/png"),
    ):
        response = await client.get(f"/static/vendor/leaflet/{name}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert response.content == (LEAFLET / name).read_bytes()
    script = await client.get("/static/portal/map.js")
    assert script.status_code == 200 and "/api/socket" in script.text


@pytest.mark.anyio
async def test_no_page_references_another_host_or_inline_code(
    client: httpx.AsyncClient, world: World
) -> None:
    device = world.demo_devices[0]
    anonymous = ["/portal/sign-in", "/cookies"]
    private = [
        "/portal",
        f"/portal/devices/{device}",
        f"/portal/devices/{device}/history?day=2026-03-01",
        f"/portal/devices/{device}/trips",
        "/portal/geofences",
        "/portal/events",
    ]
    pages = [await client.get(path) for path in anonymous]
    assert (await sign_in(client)).status_code == 303
    pages += [await client.get(path) for path in private]
    loaded_leaflet = False
    for page in pages:
        assert page.status_code == 200, page.url
        found = references(page.text)
        assert found.urls
        for url in found.urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, (page.url, url)
        assert found.inline_scripts == 0, page.url
        assert found.style_attributes == 0, page.url
        loaded_leaflet |= "/static/vendor/leaflet/leaflet.js" in found.urls
        assert "script-src" not in page.headers["content-security-policy"]
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert loaded_leaflet


@pytest.mark.anyio
async def test_a_configured_tile_server_is_used_and_admitted_by_the_csp(
    runtime: Runtime, world: World
) -> None:
    settings = runtime.settings.model_copy(
        update={
            "map_tiles": "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
            "map_tiles_attribution": "© OpenStreetMap contributors",
        }
    )
    app: FastAPI = create_app(
        type(runtime)(settings, runtime.db, runtime.policy, runtime.vault, runtime.clock)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await sign_in(client)).status_code == 303
        page = await client.get(f"/portal/devices/{world.demo_devices[0]}")
        overview = await client.get("/portal")
    assert 'data-tiles="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in page.text
    assert "img-src 'self' https://*.tiles.example.org" in page.headers["content-security-policy"]
    # Only map pages admit the tile host.
    assert "tiles.example.org" not in overview.headers["content-security-policy"]


def test_without_tiles_the_map_has_no_image_source_beyond_our_own() -> None:
    assert MapConfig().csp() == MapConfig(tiles="/tiles/{z}/{x}/{y}.png").csp()
    assert "img-src" not in MapConfig().csp()
    assert MapConfig.from_settings(Settings(map_tiles="  ")).tiles is None
    assert MapConfig(tiles="https://tiles.example.org:8443/{z}/{x}/{y}.png").tile_origin == (
        "https://tiles.example.org:8443"
    )
    assert MapConfig(tiles="javascript:alert(1)").tile_origin is None
