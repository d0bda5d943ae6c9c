"""What a customer bought and the trackers that came with it: orders, purchase lines,
tokenised payments, returns, and the activated devices (with positions for the demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from random import Random

from trackguard.demo import nl_identity as ident
from trackguard.demo import texts
from trackguard.demo.moments import Life, between, days, second
from trackguard.demo.nl_data import CARD_BRANDS
from trackguard.demo.plans import DevicePlan, OrderPlan, PaymentPlan, PurchasePlan, ReturnPlan
from trackguard.demo.tracks import BIKE_DAY, CAR_DAY, HOME, day_of_positions, heartbeats

# (protocol, model, IMEI type allocation code) per kind of tracker.
HARDWARE = {
    "MGT-BIKE-01": ("teltonika", "TFT100", "35263811"),
    "MGT-CAR-02": ("teltonika", "FMB920", "35209378"),
    "MGT-TAG-01": ("gt06", "GT06N", "86420304"),
}
PHONE_APP = ("osmand", "Traccar Client", "35412110")  # business staff often track a phone
DEVICE_NAMES = {
    "MGT-BIKE-01": ("Fiets", "E-bike", "Fiets van {first}", "Bakfiets"),
    "MGT-CAR-02": ("Auto", "Bus", "Auto van {first}"),
    "MGT-TAG-01": ("Koffer", "Rugzak", "Sleutelbos"),
}


def _payment(rng: Random, paid_at: datetime, amount: int, nationality: str) -> PaymentPlan:
    """Tokenised by the provider: a card leaves only its token, brand and last four."""
    method = rng.choices(("ideal", "creditcard", "directdebit"), weights=(60, 28, 12))[0]
    if nationality == "BE" and method == "ideal":
        method = "bancontact"
    if method == "creditcard":
        token = ident.provider_token(rng, "mdt_")
        brand, last4 = rng.choice(CARD_BRANDS), f"{rng.randint(0, 9999):04d}"
        return PaymentPlan(paid_at, amount, method, "mollie", token, brand, last4, None)
    iban = ident.dutch_iban(rng) if method != "bancontact" else None
    token = ident.provider_token(rng, "tr_")
    return PaymentPlan(paid_at, amount, method, "mollie", token, None, None, iban)


def _order(
    life: Life,
    number: str,
    placed_at: datetime,
    skus: Sequence[str],
    shipping: str,
    nationality: str,
    return_chance: float,
) -> OrderPlan:
    rng, now = life.rng, life.now
    purchases = tuple(
        PurchasePlan(sku, texts.PRODUCT_SKUS[sku][0], 1, texts.PRODUCT_SKUS[sku][1], placed_at)
        for sku in skus
    )
    total = sum(p.price_cents for p in purchases)
    payment = _payment(rng, placed_at + timedelta(minutes=rng.randint(1, 20)), total, nationality)
    returned = None
    status = "delivered" if now - placed_at > days(4) else "shipped"
    if rng.random() < return_chance and now - placed_at > days(25):
        # The last line goes back (an accessory, when there is one); the order counts as
        # returned only when that was all of it.
        refunded = rng.random() < 0.8 or return_chance == 1.0
        returned = ReturnPlan(
            placed_at + days(rng.randint(3, 20)),
            rng.choice(texts.RETURN_REASONS),
            "refunded" if refunded else "rejected",
            purchases[-1].price_cents if refunded else 0,
        )
        status = "returned" if refunded and len(purchases) == 1 else status
    return OrderPlan(number, placed_at, status, shipping, purchases, payment, returned)


def orders_and_devices(
    life: Life,
    number: int,
    shipping: str,
    nationality: str,
    first: str,
    business: bool,
    last_app: datetime,
) -> tuple[tuple[OrderPlan, ...], tuple[DevicePlan, ...]]:
    """The first order (a tracker and a subscription) on sign-up, maybe extras later.

    The demo login bought a tag twelve years ago and a bike and a car tracker this
    year, so her financial records lie on both sides of the ten-year period.
    A return sends back the order's last line (an accessory, when there is one).
    """
    rng, now = life.rng, life.now
    tracker = "MGT-TAG-01" if life.demo else rng.choices(texts.TRACKER_SKUS, (6, 3, 1))[0]
    baskets = [[tracker, "SUB-12M"]]
    if rng.random() < 0.4 or life.demo:
        baskets[0].append(rng.choice(("ACC-MOUNT", "ACC-12V")))
    placed = [life.created]
    for _ in range(rng.randint(0, 2)):
        if placed[-1] + days(30) < now - days(1):  # a month between orders, if there was one
            placed.append(between(rng, placed[-1] + days(30), now - days(1)))
            baskets.append([rng.choice(texts.EXTRA_SKUS)])
    if life.demo:
        placed.append(second(now - days(rng.randint(30, 200))))
        baskets.append(["MGT-BIKE-01", "MGT-CAR-02", "ACC-MOUNT"])
    orders, devices = [], []
    for i, (at, skus) in enumerate(zip(placed, baskets, strict=True)):
        order_number = f"MGT{100_000 + number * 10 + i}"  # not the year: same seed, same text
        # The demo login sent an accessory back twelve years ago and this year: returns
        # on both sides of the financial period. Never the trackers she still uses.
        chance = (1.0 if i in (0, len(placed) - 1) else 0.0) if life.demo else 0.15
        orders.append(_order(life, order_number, at, skus, shipping, nationality, chance))
        # Switched on a day or so after delivery (sooner if it only just arrived).
        latest = min(at + days(5), now - timedelta(hours=2))
        activated = between(rng, min(at + timedelta(hours=30), latest), latest)
        for sku in (s for s in skus if s in HARDWARE):
            protocol, model, tac = PHONE_APP if business and rng.random() < 0.5 else HARDWARE[sku]
            devices.append(
                DevicePlan(
                    name=rng.choice(DEVICE_NAMES[sku]).format(first=first),
                    imei=ident.imei(rng, tac),
                    protocol=protocol,
                    model=model,
                    created_at=second(at - days(rng.randint(20, 120))),
                    activated_at=activated,
                    last_seen_at=max(activated, last_app),
                    armed=rng.random() < 0.4,
                )
            )
    if life.demo:
        devices = _demo_tracks(life, devices)
    return tuple(orders), tuple(devices)


def _demo_tracks(life: Life, devices: list[DevicePlan]) -> list[DevicePlan]:
    """The old tag went flat in a drawer years ago; the bike and the car moved today."""
    # Their own generator: the positions stay put when the record mix changes.
    rng = Random(life.rng.getrandbits(64))
    tag, bike, car = devices
    assert tag.activated_at is not None
    quiet = between(rng, tag.activated_at + days(300), tag.activated_at + days(900))
    # Its last reports are older than the location-history period: that rule acts on them.
    tag_track = tuple(heartbeats(rng, HOME, quiet, 6, timedelta(hours=4), (12, 1)))
    bike_track = tuple(day_of_positions(rng, BIKE_DAY, life.now))
    car_track = tuple(day_of_positions(rng, CAR_DAY, life.now))
    return [
        replace(tag, last_seen_at=tag_track[-1].fix_time, armed=False, track=tag_track),
        replace(bike, armed=True, last_seen_at=bike_track[-1].fix_time, track=bike_track),
        replace(car, armed=False, last_seen_at=car_track[-1].fix_time, track=car_track),
    ]
