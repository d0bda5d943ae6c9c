"""The pure generator: deterministic, realistic, and covering every retention case."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from random import Random
from urllib.parse import urlsplit

import pytest

from trackguard.demo import nl_identity as ident
from trackguard.demo.antitheft import DEMO_WEBHOOK
from trackguard.demo.generate import DEMO_EMAIL, DEMO_FIRST_NAME, DEMO_LAST_NAME, generate
from trackguard.demo.nl_data import TOWNS
from trackguard.demo.plans import CustomerPlan, DemoData, DemoRules
from trackguard.demo.tracks import HOME
from trackguard.tracking.geofence import CircleArea, PolygonArea, parse_area

POSTCODE = re.compile(r"^[1-9][0-9]{3} (?!SA|SD|SS)[A-EGHJ-NPRSTV-XZ]{2}$")
DOCUMENTATION_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]


def _people(data: DemoData) -> list[tuple[str, ...]]:
    return [
        (c.first_name, c.last_name, c.email, c.billing_address, c.phone) for c in data.customers
    ]


def _shape(c: CustomerPlan) -> tuple[int, ...]:
    return tuple(
        len(getattr(c, kind))
        for kind in ("devices", "orders", "chats", "calls", "whatsapps", "emails", "complaints",
                     "consents", "visits", "surveys", "third_party", "rights_requests")
    )  # fmt: skip


def test_same_seed_gives_the_same_data(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    assert generate(1, now, rules) == demo_data


def test_another_seed_gives_other_people(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    other = generate(2, now, rules)
    assert _people(other)[1:] != _people(demo_data)[1:]
    assert other.customers[0].email == DEMO_EMAIL  # the demo login is always there


def test_the_time_of_seeding_moves_timestamps_not_people(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    later = generate(1, now + timedelta(days=3, hours=5), rules)
    assert _people(later) == _people(demo_data)
    assert [_shape(c) for c in later.customers] == [_shape(c) for c in demo_data.customers]

    def texts(data: DemoData) -> list[str]:
        # Dates in a text ("loopt tot 27 maart") are relative to now, like timestamps.
        return [
            re.sub(r"\d{1,2} [a-z]+ \d{4}", "<date>", m.body)
            for c in data.customers
            for chat in c.chats
            for m in chat.messages
        ]

    assert texts(later) == texts(demo_data)


def test_more_customers_keep_the_first_ones(now: datetime, rules: DemoRules) -> None:
    few, more = generate(1, now, rules, 6), generate(1, now, rules, 12)
    assert _people(more)[:6] == _people(few)


def test_customer_count_is_honoured(now: datetime, rules: DemoRules) -> None:
    assert len(generate(3, now, rules, 40).customers) == 40
    with pytest.raises(ValueError):
        generate(3, now, rules, 0)


def test_demo_login_is_customer_zero(demo_data: DemoData) -> None:
    demo = demo_data.customers[0]
    assert (demo.email, demo.password) == (DEMO_EMAIL, "demo")
    assert (demo.first_name, demo.last_name) == (DEMO_FIRST_NAME, DEMO_LAST_NAME)
    assert all(c.password is None for c in demo_data.customers[1:])


def test_postcodes_are_dutch(demo_data: DemoData) -> None:
    for c in demo_data.customers:
        for address in (c.billing_address, c.postal_address):
            postcode = re.search(r", (\d{4} [A-Z]{2}) ", address)
            assert postcode and POSTCODE.match(postcode.group(1)), address


def test_phone_numbers_are_dutch_e164(demo_data: DemoData) -> None:
    for c in demo_data.customers:
        assert re.fullmatch(r"\+31[1-9]\d{8}", c.phone), c.phone


def test_ibans_are_valid_dutch_ibans(demo_data: DemoData) -> None:
    ibans = [
        o.payment.iban
        for c in demo_data.customers
        for o in c.orders
        if o.payment and o.payment.iban
    ]
    assert len(ibans) > 10
    for iban in ibans:
        assert re.fullmatch(r"NL\d{2}[A-Z]{4}\d{10}", iban)
        assert ident.iban_is_valid(iban)
        account = iban[8:]
        assert sum(int(d) * w for d, w in zip(account, range(10, 0, -1), strict=True)) % 11 == 0


def test_iban_check_digits_match_a_published_example() -> None:
    assert ident.iban_is_valid("NL91 ABNA 0417 1643 00")
    assert ident.iban_check_digits("NL", "ABNA0417164300") == "91"
    assert not ident.iban_is_valid("NL92ABNA0417164300")


def test_card_payments_keep_only_token_brand_and_last_four(demo_data: DemoData) -> None:
    cards = [
        o.payment
        for c in demo_data.customers
        for o in c.orders
        if o.payment and o.payment.method == "creditcard"
    ]
    assert cards
    for p in cards:
        assert p.card_last4 and re.fullmatch(r"\d{4}", p.card_last4)
        assert p.iban is None and not re.search(r"\d{6}", p.provider_token)


def test_contact_details_cannot_reach_anyone_real(demo_data: DemoData) -> None:
    emails = [c.email for c in demo_data.customers]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith(".example") for e in emails)
    addresses = [c.ip_address for c in demo_data.customers] + [
        v.ip_address for c in demo_data.customers for v in c.visits
    ]
    for ip in addresses:
        assert any(ipaddress.ip_address(ip) in net for net in DOCUMENTATION_NETS), ip


def test_imeis_have_luhn_check_digits(demo_data: DemoData) -> None:
    devices = [d for c in demo_data.customers for d in c.devices] + list(demo_data.stock_devices)
    for d in devices:
        assert len(d.imei) == 15 and ident.luhn_check_digit(d.imei[:14]) == d.imei[14]


def test_customers_are_adults_when_they_sign_up(demo_data: DemoData) -> None:
    for c in demo_data.customers:
        assert c.birth_date <= date(c.created_at.year - 18, 12, 31)


def test_records_never_predate_the_customer_or_follow_now(
    demo_data: DemoData, now: datetime
) -> None:
    for c in demo_data.customers:
        moments = [o.placed_at for o in c.orders] + [e.sent_at for e in c.emails]
        moments += [m.sent_at for chat in c.chats for m in chat.messages]
        assert all(c.created_at <= m <= now for m in moments)
        assert c.last_login_at is not None and c.created_at <= c.last_login_at <= now


def _moments(value: object, name: str = "") -> Iterator[tuple[str, datetime]]:
    """Every datetime in a plan, with the field it sits in."""
    if isinstance(value, datetime):
        yield name, value
    elif is_dataclass(value):
        for f in fields(value):
            yield from _moments(getattr(value, f.name), f.name)
    elif isinstance(value, tuple):
        for item in value:
            yield from _moments(item, name)


def test_nothing_happens_in_the_future(demo_data: DemoData, now: datetime) -> None:
    late = [(n, m) for n, m in _moments(demo_data) if m > now and n != "due_at"]
    assert late == []


def test_demo_login_has_records_on_both_sides_of_every_period(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    demo = demo_data.customers[0]
    chats = [(chat.messages[0].sent_at, chat.relevant_to_service) for chat in demo.chats]
    relevant = [t for t, keep in chats if keep]
    fixes = [p.fix_time for d in demo.devices for p in d.track]
    completed = [r.completed_at for r in demo.rights_requests if r.completed_at]
    cases = {
        "chats": ([t for t, keep in chats if not keep], rules.chat),
        "relevant chats": (relevant, rules.chat_relevant),
        "calls": ([x.started_at for x in demo.calls], rules.call),
        "whatsapp": ([x.started_at for x in demo.whatsapps], rules.whatsapp),
        "emails": ([x.sent_at for x in demo.emails], rules.email),
        "complaints": ([x.filed_at for x in demo.complaints], rules.complaint),
        "orders": ([x.placed_at for x in demo.orders], rules.financial),
        "visits": ([x.visited_at for x in demo.visits], rules.web_visit),
        "surveys": ([x.answered_at for x in demo.surveys], rules.survey),
        "positions": (fixes, rules.location),
        "consents": ([x.at for x in demo.consents], rules.consent_proof),
        "rights requests": (completed, rules.rights_request),
        "devices": (
            [d.last_seen_at for d in demo.devices if d.last_seen_at],
            rules.device_inactivity,
        ),
    }
    for kind, (moments, period) in cases.items():
        cut = period.before(now)
        assert any(m < cut for m in moments), f"no {kind} older than {period}"
        assert any(m > cut for m in moments), f"no {kind} younger than {period}"
    # A relevant chat past the short period: the service still needs it, so it stays.
    assert any(rules.chat_relevant.before(now) < t < rules.chat.before(now) for t in relevant)


def test_demo_login_withdrew_the_consent_that_links_third_party_data(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    demo = demo_data.customers[0]
    linked = [c for c in demo.consents if c.purpose == rules.third_party_purpose]
    assert [c.given for c in linked] == [True, False]
    assert linked[1].at < now - timedelta(days=1)
    assert demo.third_party and all(linked[0].at < t.collected_at < linked[1].at
                                    for t in demo.third_party)  # fmt: skip


def test_third_party_data_exists_only_with_consent(demo_data: DemoData, rules: DemoRules) -> None:
    for c in demo_data.customers:
        if c.third_party:
            assert any(e.purpose == rules.third_party_purpose and e.given for e in c.consents)


def test_some_customers_are_inactive_past_the_inactivity_period(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    cut = rules.inactivity.before(now)
    inactive = [
        c
        for c in demo_data.customers
        if c.last_login_at and c.last_app_use_at and max(c.last_login_at, c.last_app_use_at) < cut
    ]
    assert len(inactive) >= 2
    assert demo_data.customers[0] not in inactive


def test_consent_is_given_and_withdrawn_with_its_prompt_as_proof(
    demo_data: DemoData, rules: DemoRules
) -> None:
    events = [e for c in demo_data.customers for e in c.consents]
    assert {e.given for e in events} == {True, False}
    prompts = {p.prompt_nl for p in rules.consent_purposes} | {
        p.prompt_en for p in rules.consent_purposes
    }
    assert all(e.proof in prompts for e in events)


def test_rights_requests_are_due_four_weeks_after_receipt(demo_data: DemoData) -> None:
    requests = [r for c in demo_data.customers for r in c.rights_requests]
    assert {r.type for r in requests} == {"access", "erasure", "objection"}
    assert {r.status for r in requests} >= {"completed", "verified"}
    for r in requests:
        assert r.due_at == r.received_at + timedelta(weeks=4)


def test_business_accounts_predate_their_staff(demo_data: DemoData) -> None:
    assert demo_data.business_accounts
    for i, account in enumerate(demo_data.business_accounts):
        staff = [c for c in demo_data.customers if c.business == i]
        assert all(account.created_at < c.created_at for c in staff)


def test_stock_devices_belong_to_nobody(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    assert demo_data.stock_devices
    for d in demo_data.stock_devices:
        assert d.activated_at is None and d.activation_code and d.name is None
    # One is switched on in the warehouse: fleet positions on both sides of their period.
    fixes = [p.fix_time for d in demo_data.stock_devices for p in d.track]
    cut = rules.fleet_location.before(now)
    assert any(t < cut for t in fixes) and any(t > cut for t in fixes)


def test_one_business_account_has_nobody(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    used = {c.business for c in demo_data.customers}
    unused = [b for i, b in enumerate(demo_data.business_accounts) if i not in used]
    assert len(unused) == 1 and unused[0].created_at < rules.unused_business.before(now)


def test_postcodes_avoid_the_letters_dutch_postcodes_never_use() -> None:
    rng = Random(0)
    codes = {ident.postcode(rng, town) for town in TOWNS for _ in range(300)}
    assert all(POSTCODE.match(c) for c in codes)


# -- anti-theft ----------------------------------------------------------------------------------


def test_demo_login_watches_her_bike_from_home_and_her_car_at_the_office(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    demo = demo_data.customers[0]
    _, bike, car = demo.devices
    fences = {g.name: g for g in demo.geofences}
    home = parse_area(fences["Thuis"].area)
    assert isinstance(home, CircleArea) and home.contains(*HOME) and 100 <= home.radius_m <= 200
    assert [link.imei for link in fences["Thuis"].links] == [bike.imei]
    office = parse_area(fences["Kantoor Amersfoort"].area)
    assert isinstance(office, PolygonArea)
    assert [link.imei for link in fences["Kantoor Amersfoort"].links] == [car.imei]
    # The commute ends inside the office polygon.
    assert any(office.contains(p.fix.lat, p.fix.lon) for p in car.track)
    for g in demo.geofences:
        assert g.created_at <= g.updated_at <= now
        assert all(g.created_at <= link.linked_at <= now for link in g.links)
    unused = [g for g in demo.geofences if not g.links]
    assert unused and all(g.updated_at < rules.unused_geofence.before(now) for g in unused)


def _demo_events_check(data: DemoData, now: datetime, rules: DemoRules) -> None:
    demo = data.customers[0]
    fixes = {(d.imei, p.fix_time): p.fix for d in demo.devices for p in d.track}
    assert all((e.imei, e.fix_time) in fixes for e in demo.events)  # each names its position
    alarmed = {
        (e.imei, e.fix_time): e.attributes["alarm"] for e in demo.events if e.type == "alarm"
    }
    # An alarm is in the payload of the fix that carried it, and nowhere else.
    assert alarmed == {key: fix.alarm for key, fix in fixes.items() if fix.alarm}
    recent = [e for e in demo.events if e.time > now - timedelta(days=1, hours=1)]
    kinds = {(e.type, e.alert) for e in recent}
    assert {("deviceMoving", True), ("geofenceExit", True), ("geofenceExit", False)} <= kinds
    alarms = {str(e.attributes["alarm"]) for e in recent if e.type == "alarm"}
    assert alarms == {"sos", "powerCut", "lowBattery"}
    assert any(e.time < rules.alarm_event.before(now) for e in demo.events)
    fences = [g.name for g in demo.geofences]
    crossings = [e for e in demo.events if e.type.startswith("geofence")]
    assert {fences[e.geofence] for e in crossings if e.geofence is not None} == {
        "Thuis",
        "Kantoor Amersfoort",
    }
    for e in demo.events:
        if e.alert:
            assert e.email_status == "sent" and e.delivered_at and e.time <= e.delivered_at <= now
        else:
            assert (e.email_status, e.webhook_status, e.delivered_at) == (
                "skipped",
                "skipped",
                None,
            )


def test_demo_login_has_the_events_the_rules_raise_from_her_day(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    _demo_events_check(demo_data, now, rules)


@pytest.mark.parametrize("hours", [3, 7, 10, 14, 19, 22])
def test_her_day_has_those_events_whenever_it_is_seeded(
    now: datetime, rules: DemoRules, hours: int
) -> None:
    later = now + timedelta(hours=hours)
    _demo_events_check(generate(1, later, rules, 1), later, rules)


def test_webhooks_on_both_sides_of_their_period(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    demo = demo_data.customers[0]
    assert [w.url for w in demo.webhooks] == [DEMO_WEBHOOK]
    assert demo.webhooks[0].enabled and demo.webhooks[0].last_delivered_at
    hooks = [w for c in demo_data.customers for w in c.webhooks]
    assert all(urlsplit(w.url).hostname.endswith(".example") for w in hooks)  # type: ignore[union-attr]
    cut = rules.webhook_inactivity.before(now)
    newest = [max(m for m in (w.last_delivered_at, w.created_at) if m) for w in hooks]
    assert any(m < cut for m in newest) and any(m > cut for m in newest)


def test_a_released_tracker_still_watches_geofences_on_both_sides_of_the_period(
    demo_data: DemoData, now: datetime, rules: DemoRules
) -> None:
    owners = [c for c in demo_data.customers if c.released_devices]
    assert len(owners) == 1
    (released,) = owners[0].released_devices
    assert released.activated_at is None and released.name is None and released.activation_code
    assert released.imei not in {d.imei for c in demo_data.customers for d in c.devices}
    links = [link for g in owners[0].geofences for link in g.links]
    assert {link.imei for link in links} == {released.imei}
    cut = rules.unlinked_geofence_link.before(now)
    assert any(link.linked_at < cut for link in links)
    assert any(link.linked_at > cut for link in links)
