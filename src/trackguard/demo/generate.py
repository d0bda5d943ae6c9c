"""Deterministic demo data: a seed and a moment in, plain frozen values out (no I/O).

Every customer draws from their own `Random("<seed>:customer:<n>")`, so asking for
more customers adds people without changing the ones before, and the draws never
depend on `now`: the same seed gives the same names, addresses and texts whenever
it runs, with every timestamp placed relative to `now`.

Customer 0 is the demo login (`demo@trackguard.example`, password `demo`): an
active customer for twelve years, with a bike and a car tracker that moved today,
geofences, the anti-theft events of her day and a webhook (see `antitheft`), and at
least one record on each side of every retention period, so each rule of the
policy has something to act on and something to leave alone. The others cycle
through profiles (active, dormant, inactive past the inactivity period, customer
for over ten years, business staff) so every case exists from a handful on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from random import Random

from trackguard.demo import antitheft, contacts, purchases, texts
from trackguard.demo import nl_identity as ident
from trackguard.demo.moments import Life, between, days, dutch_date, second
from trackguard.demo.nl_data import (
    BIRTHPLACES_ABROAD,
    BIRTHPLACES_NL,
    BROWSERS,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    TOWNS,
    Town,
)
from trackguard.demo.plans import (
    BusinessPlan,
    CustomerPlan,
    DemoData,
    DemoRules,
    DevicePlan,
    MessagePlan,
    RightsRequestPlan,
)
from trackguard.demo.tracks import WAREHOUSE, heartbeats
from trackguard.policy.period import Period

DEMO_EMAIL = "demo@trackguard.example"
DEMO_PASSWORD = "demo"
DEMO_FIRST_NAME = "Marieke"
DEMO_LAST_NAME = "van den Berg"
DEFAULT_CUSTOMERS = 25
PROFILES = ("active", "dormant", "inactive", "active", "veteran", "business", "active")


def _identity(rng: Random, signed_up: datetime) -> tuple[str, str, date, str, str, str]:
    """(first name, last name, birth date, birthplace, nationality, language)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    # Between 18 and 65 when they signed up: nobody signs a contract younger.
    birth = date(signed_up.year - rng.randint(19, 65), 1, 1) + days(rng.randint(0, 364))
    if rng.random() < 0.85:
        birthplace, nationality = rng.choice(BIRTHPLACES_NL), "NL"
    else:
        birthplace, nationality = rng.choice(BIRTHPLACES_ABROAD)
        nationality = nationality if rng.random() < 0.6 else "NL"
    language = "en" if nationality in ("DE", "PL") or rng.random() < 0.05 else "nl"
    return first, last, birth, birthplace, nationality, language


def _pick_town(rng: Random) -> Town:
    # Most customers live near the company; Utrecht and the rest fill in.
    return rng.choices(TOWNS, weights=(30, 25, 6, 12, 6, 6, 6, 5, 4))[0]


def _created(rng: Random, rules: DemoRules, now: datetime, profile: str) -> datetime:
    """When the account was opened: long enough ago for the profile to make sense."""
    if profile in ("demo", "veteran"):  # older than the longest (ten-year) periods
        longest = max((rules.email, rules.complaint, rules.financial), key=Period.approx_days)
        return second(longest.before(now) - days(rng.randint(400, 800)))
    if profile == "inactive":
        return between(rng, now - days(9 * 365), rules.inactivity.before(now) - days(60))
    return second(now - days(rng.randint(40, 9 * 365)))


def _last_seen(life: Life, profile: str) -> tuple[datetime, datetime]:
    """(last login, last app use): the inactivity rule reads both."""
    rng, now = life.rng, life.now
    if profile == "inactive":
        cut = life.rules.inactivity.before(now) - days(10)
        login = between(rng, max(life.created, cut - days(900)), cut)
        return login, between(rng, login, cut)
    if profile == "dormant":
        login = between(rng, max(life.created, now - days(600)), now - days(60))
    elif profile == "demo":
        login = second(now - timedelta(hours=2, minutes=rng.randint(0, 50)))
    else:
        login = between(rng, max(life.created, now - days(20)), now - timedelta(minutes=30))
    return login, between(rng, login, min(now, login + days(3)))


def _customer(
    rng: Random,
    rules: DemoRules,
    now: datetime,
    number: int,
    profile: str,
    business: int | None,
) -> CustomerPlan:
    """One customer, drawn in a fixed order from their own generator."""
    demo = profile == "demo"
    created = _created(rng, rules, now, profile)
    first, last, birth, birthplace, nationality, language = _identity(rng, created)
    town = _pick_town(rng)
    home = ident.address(rng, town)
    if demo:  # fixed, so the README and screenshots can name her
        first, last, birth = DEMO_FIRST_NAME, DEMO_LAST_NAME, date(1984, 5, 17)
        birthplace, nationality, language, town = "Amersfoort", "NL", "nl", TOWNS[0]
        home = ident.Address("Oude Schans", "14", "3751 AH", "Bunschoten-Spakenburg")
    billing = home.one_line()
    postal = billing if rng.random() < 0.8 else ident.address(rng, _pick_town(rng)).one_line()
    mobile = rng.random() < 0.85
    phone = ident.mobile_number(rng) if mobile else ident.landline_number(rng, town)
    # Staff of a business account use the company's domain.
    domain = COMPANIES[business][1] if business is not None else None
    email = DEMO_EMAIL if demo else ident.email_address(rng, first, last, domain)
    browser, ip = rng.choice(BROWSERS)[0], ident.ip_address(rng)
    life = Life(rng, rules, now, created, demo)
    last_login, last_app = _last_seen(life, profile)

    renewal = dutch_date((now + days(rng.randint(20, 300))).date())
    orders, devices = purchases.orders_and_devices(
        life, number, billing, nationality, first, business is not None, last_app
    )
    device = (devices[-1].name or "uw tracker") if devices else "uw tracker"
    fill = {"first": first, "date": renewal, "order": orders[0].order_number, "device": device}
    who = contacts.Contact(first, last, email, phone, language, fill)
    consents = contacts.consents(life, who)
    return CustomerPlan(
        first_name=first,
        last_name=last,
        email=email,
        password=DEMO_PASSWORD if demo else None,
        birth_date=birth,
        birthplace=birthplace,
        nationality=nationality,
        billing_address=billing,
        postal_address=postal,
        phone=phone,
        ip_address=ip,
        browser_device_type=browser,
        language=language,
        created_at=created,
        last_login_at=last_login,
        last_app_use_at=last_app,
        business=business,
        devices=devices,
        orders=orders,
        chats=contacts.chats(life, who),
        calls=contacts.calls(life, who),
        whatsapps=contacts.whatsapps(life, who),
        emails=contacts.emails(life, who, orders),
        complaints=contacts.complaints(life, who),
        consents=consents,
        visits=contacts.visits(life),
        surveys=contacts.surveys(life),
        third_party=contacts.third_party(life, who, consents),
    )


def _rights_requests(
    rng: Random, rules: DemoRules, people: list[CustomerPlan], now: datetime
) -> list[CustomerPlan]:
    """The demo login asked for her data twice (long ago, and this year); two others
    have requests open, due four weeks (the policy's deadline) after receipt."""

    def request(
        kind: str,
        received: datetime,
        details: dict[str, object] | None,
        done_after: int | None,
        outcome: str | None = None,
    ) -> RightsRequestPlan:
        verified = second(received + timedelta(hours=rng.randint(1, 30)))
        verified_at = verified if verified < now else None
        completed = second(received + days(done_after)) if done_after is not None else None
        status = "completed" if completed else ("verified" if verified_at else "received")
        return RightsRequestPlan(
            type=kind,
            status=status,
            received_at=received,
            due_at=rules.rights_deadline.after(received),
            verified_at=verified_at,
            verification_method="session" if verified_at else None,
            completed_at=completed,
            details=details,
            outcome=outcome if completed else None,
        )

    export = "Export (JSON, CSV, GPX) in de portal klaargezet."
    old = rules.rights_request.before(now) - days(rng.randint(30, 300))  # past its retention
    wanted: list[tuple[int, RightsRequestPlan]] = [
        (0, request("access", second(old), None, rng.randint(3, 20), export)),
        (0, request("access", second(now - days(rng.randint(60, 120))), None, 9, export)),
        (
            1,
            request(
                "erasure",
                second(now - days(rng.randint(2, 6))),
                {"reason": "Ik gebruik de tracker niet meer."},
                None,
            ),
        ),
        (
            2,
            request(
                "objection",
                second(now - days(rng.randint(7, 12))),
                {"purpose": "direct_marketing"},
                None,
            ),
        ),
    ]
    out = list(people)
    for index, plan in wanted:
        if index < len(out) and plan.type in rules.rights:
            got = out[index].rights_requests
            out[index] = replace(out[index], rights_requests=(*got, plan))
    return out


def _stock_devices(rng: Random, rules: DemoRules, now: datetime, count: int) -> list[DevicePlan]:
    """Trackers nobody activated: in stock, or sold and still in their box.

    The first one is switched on in the warehouse and reports a heartbeat every six
    hours, under the fleet key: half its positions are older than the fleet's
    location period, so that rule acts on them.
    """
    out = []
    for i in range(count):
        sku = rng.choices(texts.TRACKER_SKUS, weights=(6, 3, 1))[0]
        protocol, model, tac = purchases.HARDWARE[sku]
        code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
        created = second(now - days(rng.randint(30, 240)))
        device = DevicePlan(
            None, ident.imei(rng, tac), protocol, model, created, None, None, activation_code=code
        )
        if i == 0:
            every = timedelta(hours=6)
            count_ = int(rules.fleet_location.approx_days() * 2 * timedelta(days=1) / every)
            track = heartbeats(rng, WAREHOUSE, now - timedelta(minutes=30), count_, every, (95, 80))
            device = replace(device, last_seen_at=track[-1].fix_time, track=tuple(track))
        out.append(device)
    return out


def _businesses(
    rng: Random, rules: DemoRules, people: Sequence[CustomerPlan], now: datetime, staffed: int
) -> tuple[BusinessPlan, ...]:
    """Each signed up before its first staff member did; one more never got any staff
    (the policy deletes such an account once it is old enough)."""
    out = []
    for i in range(min(staffed + 1, len(COMPANIES))):
        first_staff = min((p.created_at for p in people if p.business == i), default=None)
        if first_staff is None:
            created = rules.unused_business.before(now) - days(rng.randint(5, 300))
        else:
            created = first_staff - days(rng.randint(10, 400))
        out.append(BusinessPlan(COMPANIES[i][0], second(created)))
    return tuple(out)


def generate(
    seed: int, now: datetime, rules: DemoRules, customers: int = DEFAULT_CUSTOMERS
) -> DemoData:
    """The whole demo data set for `seed`, with times relative to `now` (UTC)."""
    if customers < 1:
        raise ValueError("the demo needs at least one customer (the demo login)")
    shared = Random(f"{seed}:shared")
    staffed = min(len(COMPANIES) - 1, max(1, customers // 8))
    people: list[CustomerPlan] = []
    emails: set[str] = set()
    for n in range(customers):
        profile = "demo" if n == 0 else PROFILES[(n - 1) % len(PROFILES)]
        business = (n // len(PROFILES)) % staffed if profile == "business" else None
        plan = _customer(Random(f"{seed}:customer:{n}"), rules, now, n, profile, business)
        if plan.email in emails:  # two Jan de Jongs: the second adds a digit, as in life
            local, domain = plan.email.split("@")
            plan = replace(plan, email=f"{local}{n}@{domain}")
        emails.add(plan.email)
        people.append(plan)
    people = _rights_requests(shared, rules, people, now)
    people = antitheft.add_antitheft(seed, rules, now, people)
    visits_from = now - days(rules.web_visit.approx_days() * 1.5)
    anonymous = sorted(
        (
            contacts.visit(shared, between(shared, visits_from, now - timedelta(minutes=2)))
            for _ in range(max(5, customers // 2))
        ),
        key=lambda v: v.visited_at,
    )
    return DemoData(
        business_accounts=_businesses(shared, rules, people, now, staffed),
        customers=tuple(people),
        stock_devices=tuple(_stock_devices(shared, rules, now, max(3, customers // 4))),
        anonymous_visits=tuple(anonymous),
    )


def transcript_json(messages: Sequence[MessagePlan]) -> str:
    """A WhatsApp conversation as stored: a JSON list of who said what when."""
    return json.dumps(
        [{"at": m.sent_at.isoformat(), "from": m.sender, "text": m.body} for m in messages],
        ensure_ascii=False,
    )
