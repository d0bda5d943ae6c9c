"""The privacy statement, rendered from the policy: `GET /privacy` and `GET /privacy.md`."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, Response

from trackguard.web.deps import CurrentRuntime, Statements
from trackguard.web.language import Language, negotiate
from trackguard.web.routes import READ
from trackguard.web.security import content_security_policy, inline_style_hashes

router = APIRouter()

LangQuery = Annotated[
    Language | None,
    Query(description="nl or en; without it, Accept-Language decides, else nl."),
]
AcceptLanguage = Annotated[str | None, Header()]


class MarkdownResponse(Response):
    media_type = "text/markdown"  # Starlette adds the charset (UTF-8) to text types


@lru_cache(maxsize=8)
def _statement_csp(html: str) -> str:
    # The statement page carries its own <style>: allow that block by hash, nothing more.
    return content_security_policy(inline_style_hashes(html))


def _headers(lang: Language) -> dict[str, str]:
    return {
        "Content-Language": lang,
        # The same URL answers in two languages: caches must key on the header.
        "Vary": "Accept-Language",
        "Cache-Control": "public, max-age=300",
    }


@router.api_route("/privacy", methods=READ, response_class=HTMLResponse)
def privacy_statement(
    runtime: CurrentRuntime,
    statements: Statements,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    """The privacy statement as an HTML page."""
    language = negotiate(accept_language, lang)
    html = statements.get(runtime.policy, language, "html")
    headers = _headers(language) | {"Content-Security-Policy": _statement_csp(html)}
    return HTMLResponse(html, headers=headers)


@router.api_route("/privacy.md", methods=READ, response_class=MarkdownResponse)
def privacy_statement_markdown(
    runtime: CurrentRuntime,
    statements: Statements,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """The privacy statement as Markdown, the form it is reviewed in."""
    language = negotiate(accept_language, lang)
    markdown = statements.get(runtime.policy, language, "md")
    return MarkdownResponse(markdown, headers=_headers(language))
