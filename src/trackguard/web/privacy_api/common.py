"""What every privacy-API route shares: the caller, the language, and the Origin check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from trackguard.web.auth.principal import CurrentCustomer, Principal
from trackguard.web.csrf import CsrfFailed, same_origin
from trackguard.web.language import Language, negotiate

PREFIX = "/api/privacy"
PRIVATE = {"Cache-Control": "no-store"}

LangQuery = Annotated[
    Language | None,
    Query(description="nl or en; without it, Accept-Language decides, else nl."),
]


def language(request: Request, lang: LangQuery = None) -> Language:
    return negotiate(request.headers.get("accept-language"), lang)


def writing_customer(request: Request, principal: CurrentCustomer) -> Principal:
    """The caller of a state-changing call. A browser's cookie rides along on requests
    other sites make, so with a cookie the request must not come from another origin
    (bearer tokens and Basic credentials are never sent by a browser on its own)."""
    if principal.via == "cookie" and not same_origin(request):
        raise CsrfFailed("the request was sent from another site")
    return principal


Lang = Annotated[Language, Depends(language)]
Writer = Annotated[Principal, Depends(writing_customer)]
