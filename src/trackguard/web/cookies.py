"""Cookies: which ones the site sets, the visitor's choice, and the banner that asks for it.

The site sets only strictly necessary cookies (`SITE_COOKIES`): the sign-in
session, the CSRF cookie of a visitor without a session, and the cookie that
remembers the cookie choice itself. Anything else may be set only after the
visitor accepted (`may_set_optional_cookies`), and nothing is set before they chose.

Which purposes "accept" would allow is the policy's: its consent-based purposes
that process what cookies reveal (browsing behaviour, cookie identifiers). A
signed-in visitor's choice also goes into the consent ledger, for each of those
purposes, with the banner text as proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection
from starlette.responses import Response

from trackguard.policy import Policy
from trackguard.policy.model import Purpose
from trackguard.policy.taxonomy import covers
from trackguard.privacy.consent import record_consent
from trackguard.web.auth.principal import COOKIE_NAME as SESSION_COOKIE
from trackguard.web.auth.principal import is_secure
from trackguard.web.csrf import ANONYMOUS_COOKIE

Choice = Literal["accepted", "refused"]
CHOICES: tuple[Choice, ...] = ("accepted", "refused")
CHOICE_COOKIE = "tg_cookies"
# Ask again after about six months, as the Dutch and French regulators advise.
CHOICE_LIFETIME = timedelta(days=182)
CONSENT_CHANNEL = "website"
# What a cookie can reveal, in the fideslang taxonomy the policy uses.
COOKIE_CATEGORIES = ("user.behavior.browsing_history", "user.device.cookie_id")


@dataclass(frozen=True)
class SiteCookie:
    name: str
    essential: bool
    purpose: dict[str, str]
    lifetime: dict[str, str]


SITE_COOKIES: tuple[SiteCookie, ...] = (
    SiteCookie(
        SESSION_COOKIE,
        True,
        {
            "nl": "Houdt u aangemeld bij het portaal nadat u uw wachtwoord gaf.",
            "en": "Keeps you signed in to the portal after you gave your password.",
        },
        {
            "nl": "Tot u de browser sluit of zich afmeldt.",
            "en": "Until you close the browser or sign out.",
        },
    ),
    SiteCookie(
        ANONYMOUS_COOKIE,
        True,
        {
            "nl": "Beveiligt formulieren (zoals aanmelden) tegen vervalsing door andere sites, "
            "zolang u niet bent aangemeld.",
            "en": "Protects forms (such as signing in) against forgery by other sites while "
            "you are not signed in.",
        },
        {"nl": "Tot u de browser sluit.", "en": "Until you close the browser."},
    ),
    SiteCookie(
        CHOICE_COOKIE,
        True,
        {
            "nl": "Onthoudt of u cookies accepteerde of weigerde, zodat wij het niet "
            "steeds vragen.",
            "en": "Remembers whether you accepted or refused cookies, so we do not keep asking.",
        },
        {"nl": "Zes maanden.", "en": "Six months."},
    ),
)
ESSENTIAL_COOKIES = frozenset(cookie.name for cookie in SITE_COOKIES if cookie.essential)


def read_choice(connection: HTTPConnection) -> Choice | None:
    value = connection.cookies.get(CHOICE_COOKIE)
    return value if value in CHOICES else None  # type: ignore[return-value]


def may_set_optional_cookies(connection: HTTPConnection) -> bool:
    """Only after the visitor accepted: never before they chose, never after refusing."""
    return read_choice(connection) == "accepted"


def remember_choice(response: Response, choice: Choice, connection: HTTPConnection) -> None:
    response.set_cookie(
        CHOICE_COOKIE,
        choice,
        max_age=int(CHOICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_secure(connection),
        path="/",
    )


def cookie_purposes(policy: Policy) -> list[Purpose]:
    """The policy's consent purposes that process what cookies reveal."""
    return [
        purpose
        for purpose in policy.purposes
        if purpose.legal_basis == "consent"
        and any(
            covers(category, wanted) or covers(wanted, category)
            for category in purpose.categories
            for wanted in COOKIE_CATEGORIES
        )
    ]


def banner_question(policy: Policy, lang: str) -> str:
    """The banner's question, naming the purposes "accept" allows; also the ledger's proof."""
    names = ", ".join(p.name.get(lang).lower() for p in cookie_purposes(policy))
    if lang == "nl":
        base = "Wij plaatsen alleen cookies die strikt nodig zijn om de site te laten werken."
        ask = f" Mogen wij daarnaast cookies plaatsen voor: {names}?" if names else ""
        return base + (ask or " Mogen wij later andere cookies plaatsen?")
    base = "We only set cookies that are strictly necessary to make the site work."
    ask = f" May we also set cookies for: {names}?" if names else ""
    return base + (ask or " May we set other cookies later?")


def record_choice(
    session: Session,
    policy: Policy,
    *,
    customer_id: str,
    choice: Choice,
    lang: str,
    at: datetime,
) -> int:
    """One consent event per cookie purpose for a signed-in visitor; returns how many."""
    proof = banner_question(policy, lang)
    purposes = cookie_purposes(policy)
    for purpose in purposes:
        record_consent(
            session,
            customer_id=customer_id,
            purpose=purpose.key,
            given=choice == "accepted",
            channel=CONSENT_CHANNEL,
            proof=proof,
            policy_version=policy.version_id,
            at=at,
            policy=policy,
        )
    return len(purposes)
