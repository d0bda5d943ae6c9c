"""A customer's contact moments and engagement: chats, recorded calls, WhatsApp,
e-mails, complaints, consents, website visits, survey answers, third-party data.

Each kind is placed around its retention period (see `moments.Life`), so the demo
login always has one record a rule deletes and one it keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from trackguard.demo import nl_identity as ident
from trackguard.demo import texts
from trackguard.demo.moments import Life, between, days, second
from trackguard.demo.nl_data import BROWSERS
from trackguard.demo.plans import (
    CallPlan,
    ChatPlan,
    ComplaintPlan,
    ConsentPlan,
    EmailPlan,
    MessagePlan,
    OrderPlan,
    SurveyPlan,
    ThirdPartyPlan,
    VisitPlan,
    WhatsAppPlan,
)

SITES = ("www.mygpstracker.nl", "portal.mygpstracker.nl", "www.conneqtech.com")
PAGES = (
    "/",
    "/producten/bike",
    "/producten/car",
    "/abonnementen",
    "/support/activeren",
    "/support/diefstal",
    "/mijn-account",
    "/privacy",
)
LINKS = (None, "/producten/bike", "/abonnementen", "/support/activeren")
REFERRERS = (
    None,
    None,
    "https://www.google.example/",
    "https://www.bing.example/",
    "https://facebook.example/mygpstracker",
)


@dataclass(frozen=True)
class Contact:
    """Who the records are about, as far as their texts need it."""

    first: str
    last: str
    email: str
    phone: str
    language: str
    fill: dict[str, str]  # placeholders of texts: first, order, device, date


def _messages(
    rng: Random, start: datetime, lines: Sequence[tuple[str, str]], fill: dict[str, str]
) -> tuple[MessagePlan, ...]:
    out, at = [], start
    for sender, line in lines:
        out.append(MessagePlan(at, sender, line.format(**fill)))
        at = second(at + timedelta(seconds=rng.randint(30, 480)))
    return tuple(out)


def visit(rng: Random, at: datetime) -> VisitPlan:
    browser, system = rng.choice(BROWSERS)
    return VisitPlan(
        visited_at=at,
        domain_name=rng.choice(SITES),
        path=rng.choice(PAGES),
        referrer=rng.choice(REFERRERS),
        clicked_link=rng.choice(LINKS),
        seconds_on_page=rng.randint(4, 400),
        ip_address=ident.ip_address(rng),
        browser_device_type=browser,
        operating_system=system,
    )


def chats(life: Life, who: Contact) -> tuple[ChatPlan, ...]:
    rng, rules = life.rng, life.rules
    if not life.demo:
        planned = [
            (at, rng.choice(texts.CHATS)) for at in life.moments(rules.chat, rng.randint(0, 2))
        ]
    else:
        planned = [
            (life.past(rules.chat), texts.CHATS[0]),  # deleted after two weeks
            (life.between_periods(rules.chat, rules.chat_relevant), texts.CHATS[1]),  # kept
            (life.past(rules.chat_relevant), texts.CHATS[4]),  # relevant, but long ago
            (life.inside(rules.chat), texts.CHATS[3]),  # this week
        ]
    return tuple(
        ChatPlan(script.relevant, _messages(rng, at, script.lines, who.fill))
        for at, script in sorted(planned, key=lambda p: p[0])
    )


def calls(life: Life, who: Contact) -> tuple[CallPlan, ...]:
    rng = life.rng
    directions = ("inbound", "inbound", "inbound", "outbound")
    return tuple(
        CallPlan(at, rng.randint(45, 900), rng.choice(directions), who.phone)
        for at in life.moments(life.rules.call, rng.randint(0, 2))
    )


def whatsapps(life: Life, who: Contact) -> tuple[WhatsAppPlan, ...]:
    rng = life.rng
    return tuple(
        WhatsAppPlan(at, who.phone, _messages(rng, at, rng.choice(texts.WHATSAPPS), who.fill))
        for at in life.moments(life.rules.whatsapp, rng.choices((0, 1), (2, 1))[0])
    )


def emails(life: Life, who: Contact, orders: Sequence[OrderPlan]) -> tuple[EmailPlan, ...]:
    """Every order is confirmed and shipped by e-mail; some other mail comes and goes."""
    rng, out = life.rng, []
    for order in orders:
        fill = {**who.fill, "order": order.order_number}
        for template, minutes in ((texts.EMAILS[0], 5), (texts.EMAILS[1], 60 * 30)):
            at = second(order.placed_at + timedelta(minutes=minutes + rng.randint(0, 9)))
            if at < life.now:
                subject, body = template.subject.format(**fill), template.body.format(**fill)
                out.append(EmailPlan(at, template.direction, subject, body))
    for at in life.moments(life.rules.email, rng.randint(0, 2), old_share=0.2):
        template = rng.choice(texts.EMAILS[2:])
        subject, body = template.subject.format(**who.fill), template.body.format(**who.fill)
        out.append(EmailPlan(at, template.direction, subject, body))
    return tuple(sorted(out, key=lambda e: e.sent_at))


def complaints(life: Life, who: Contact) -> tuple[ComplaintPlan, ...]:
    rng, out = life.rng, []
    count = 1 if rng.random() < 0.3 else 0
    for at in life.moments(life.rules.complaint, count, old_share=0.2):
        template = rng.choice(texts.COMPLAINTS)
        resolved = second(at + days(rng.randint(2, 30)))
        done = resolved < life.now and rng.random() < 0.8
        channel = rng.choice(("email", "portal", "phone", "letter"))
        body = template.body.format(**who.fill)
        status = "resolved" if done else "open"
        out.append(
            ComplaintPlan(at, channel, template.topic, body, status, resolved if done else None)
        )
    return tuple(out)


def consents(life: Life, who: Contact) -> tuple[ConsentPlan, ...]:
    """Given at sign-up or later, sometimes withdrawn; the proof is the prompt shown.

    The demo login gave every consent: the first at sign-up (its proof is older than
    the proof's retention), most others recently; the one whose withdrawal deletes
    third-party data she gave at sign-up and withdrew a few days ago, so that rule acts.
    """
    rng, rules, out = life.rng, life.rules, []
    for i, purpose in enumerate(rules.consent_purposes):
        prompt = purpose.prompt(who.language)
        if life.demo:
            given = between(rng, life.created, life.created + days(20))
            if i > 0 and purpose.key != rules.third_party_purpose:
                given = life.inside(rules.consent_proof)
        elif rng.random() < 0.5:
            continue
        else:
            given = between(rng, life.created, life.created + days(30))
        out.append(
            ConsentPlan(purpose.key, True, rng.choice(("portal", "app", "website")), prompt, given)
        )
        withdraw = purpose.key == rules.third_party_purpose if life.demo else rng.random() < 0.25
        latest = life.now - days(2)  # withdrawn a while ago: rules counting from it may act
        if withdraw and given + days(10) < latest:
            earliest = latest - days(30) if life.demo else given + days(10)
            when = between(rng, max(given + days(10), earliest), latest)
            out.append(
                ConsentPlan(purpose.key, False, rng.choice(("portal", "email")), prompt, when)
            )
    return tuple(sorted(out, key=lambda c: c.at))


def visits(life: Life) -> tuple[VisitPlan, ...]:
    moments = life.moments(life.rules.web_visit, life.rng.randint(1, 5), old_share=0.3)
    return tuple(visit(life.rng, at) for at in moments)


def surveys(life: Life) -> tuple[SurveyPlan, ...]:
    """Answers come in sets (one survey at a time); the demo answered one long ago and one now."""
    rng = life.rng
    if life.demo:
        moments = [life.past(life.rules.survey), life.inside(life.rules.survey)]
    elif rng.random() < 0.4:
        moments = [life.any_time(life.rules.survey, 0.5)]
    else:
        return ()
    out = []
    for at in moments:
        channel = rng.choice(("website", "website", "offline"))
        for survey, question, answers in texts.SURVEYS[: rng.randint(1, len(texts.SURVEYS))]:
            out.append(SurveyPlan(survey, question, rng.choice(answers), channel, at))
    return tuple(out)


def third_party(
    life: Life, who: Contact, given: Sequence[ConsentPlan]
) -> tuple[ThirdPartyPlan, ...]:
    """Linked only while the person consents to it (when the policy asks for consent)."""
    rng, purpose = life.rng, life.rules.third_party_purpose
    window = (life.created, life.now - days(1))
    if purpose is not None:
        events = [c for c in given if c.purpose == purpose]
        if not events or not events[0].given:
            return ()
        withdrawn = [c.at for c in events if not c.given]
        window = (events[0].at, (withdrawn[0] if withdrawn else life.now) - days(1))
    if not life.demo and rng.random() < 0.4:
        return ()
    source, reference, content = rng.choice(texts.THIRD_PARTY)
    return (
        ThirdPartyPlan(
            source=source,
            source_reference=reference.format(n=rng.randint(10**8, 10**9)),
            collected_at=between(rng, *window),
            name=f"{who.first} {who.last}",
            email=who.email if rng.random() < 0.5 else None,
            content=content,
        ),
    )
