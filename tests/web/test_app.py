"""The web app: health, the privacy statement in both languages, problems, headers."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from fastapi import FastAPI

from trackguard import __version__
from trackguard.errors import (
    AuditChainBroken,
    Forbidden,
    KeyDestroyed,
    NotFound,
    PolicyError,
    TrackguardError,
)
from trackguard.policy.render import labels
from trackguard.runtime import Runtime
from trackguard.store.engine import Database
from trackguard.web.app import create_app
from trackguard.web.security import SECURITY_HEADERS, inline_style_hashes

pytestmark = pytest.mark.anyio

# The statement's section headings in each language: each page carries its own
# language's headings and none of the other's.
HEADINGS = {lang: list(labels(lang)["sections"].values()) for lang in ("nl", "en")}


async def test_health_reports_the_database_and_versions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "version": __version__,
        "policy_version": runtime.policy.version_id,
    }
    assert response.headers["cache-control"] == "no-store"


async def test_health_is_degraded_when_the_database_is_unreachable(runtime: Runtime) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    unreachable = Database.from_url("postgresql+psycopg://trackguard:secret@127.0.0.1:1/none")
    app = create_app(dataclasses.replace(runtime, db=unreachable))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.get("/health")
    unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == "unreachable"
    assert "secret" not in response.text and "127.0.0.1" not in response.text


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_statement_is_served_in_the_asked_language(
    client: httpx.AsyncClient, runtime: Runtime, lang: str
) -> None:
    response = await client.get("/privacy", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == lang
    assert "accept-language" in response.headers["vary"].lower()
    page = response.text
    assert runtime.policy.controller.name in page
    assert f'lang="{lang}"' in page
    other = "en" if lang == "nl" else "nl"
    for heading in HEADINGS[lang]:
        assert heading in page
    for heading in HEADINGS[other]:
        assert heading not in page


async def test_the_statement_defaults_to_dutch(client: httpx.AsyncClient) -> None:
    response = await client.get("/privacy")
    assert response.headers["content-language"] == "nl"
    assert HEADINGS["nl"][0] in response.text


async def test_accept_language_chooses_when_no_lang_is_given(client: httpx.AsyncClient) -> None:
    response = await client.get("/privacy", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.headers["content-language"] == "en"
    assert HEADINGS["en"][0] in response.text


async def test_the_lang_parameter_beats_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/privacy?lang=nl", headers={"Accept-Language": "en"})
    assert response.headers["content-language"] == "nl"


async def test_an_unsupported_language_is_a_validation_problem(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/privacy", params={"lang": "de"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"] == ["query", "lang"]
    assert "input" not in problem["errors"][0]


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_statement_is_served_as_markdown(
    client: httpx.AsyncClient, runtime: Runtime, lang: str
) -> None:
    response = await client.get("/privacy.md", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-language"] == lang
    assert response.text.lstrip().startswith("#")
    assert runtime.policy.controller.name in response.text
    assert HEADINGS[lang][0] in response.text


async def test_the_landing_page_links_both_languages(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/privacy?lang=nl"' in response.text
    assert 'href="/privacy?lang=en"' in response.text
    assert runtime.policy.controller.name in response.text


async def test_an_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Nothing matches the given URI",
    }


@pytest.mark.parametrize("path", ["/", "/health", "/privacy", "/privacy.md"])
async def test_pages_answer_head_without_a_body(client: httpx.AsyncClient, path: str) -> None:
    response = await client.head(path)
    assert response.status_code == 200
    assert response.content == b""


async def test_a_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/privacy")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}
    assert response.json()["title"] == "Method Not Allowed"


@pytest.mark.parametrize(
    "path", ["/", "/health", "/privacy", "/privacy.md?lang=en", "/static/site.css", "/nope"]
)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy":
            assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'self';")
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "server" not in response.headers


async def test_the_statement_page_admits_only_its_own_inline_style(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/privacy?lang=en")
    csp = response.headers["content-security-policy"]
    hashes = inline_style_hashes(response.text)
    style_src = next(d for d in csp.split("; ") if d.startswith("style-src"))
    assert style_src == " ".join(["style-src", "'self'", *hashes])
    assert "script-src" not in csp  # scripts fall back to default-src 'self'


ERRORS = [
    (NotFound("device 12 is not known"), 404, "not-found", "device 12 is not known"),
    (Forbidden("this role may not export"), 403, "forbidden", "this role may not export"),
    (KeyDestroyed("the location key was destroyed"), 410, "key-destroyed", None),
    (TrackguardError("the period is not valid"), 400, "trackguard-error", None),
    (PolicyError("bad", file="/etc/secret/policy.yaml"), 500, "policy-error", None),
    (AuditChainBroken("entry 4 altered"), 500, "audit-chain-broken", None),
    (RuntimeError("connection to db-admin:hunter2 failed"), 500, None, None),
]


@pytest.mark.parametrize(("error", "status", "code", "detail"), ERRORS)
async def test_errors_become_problems_without_internals(
    app: FastAPI,
    client: httpx.AsyncClient,
    error: Exception,
    status: int,
    code: str | None,
    detail: str | None,
) -> None:
    def fail() -> None:
        raise error

    app.add_api_route("/fail", fail)
    response = await client.get("/fail")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == status
    assert problem.get("code") == code
    if detail is not None:
        assert problem["detail"] == detail
    if status >= 500:
        assert problem["detail"] == "The server could not complete the request."
    for leak in ("Traceback", "secret", "hunter2", "entry 4"):
        assert leak not in response.text
