"""The anti-theft part of the demo: geofences, the trackers watching them, the events
their positions raised, and webhooks. Pure: generators and plans in, plans out.

The demo login watches her bike with a circle around her home on the Oude Schans and
her car with a polygon around the office in Amersfoort. Her events of the last day
are what the server's own rules (`tracking.antitheft.evaluate`) raise from the
positions the seed writes, each pointing at the fix that raised it: she disarms the
bike before she rides it and arms it again after, except on the longest ride, which
she starts armed (a `deviceMoving` and a `geofenceExit` alert) and disarms a few
minutes in; crossings while disarmed are recorded, not alerted; the trackers report
a low e-bike battery, a power cut and an SOS. Her campsite geofence, drawn for the
holiday with her old tag, watches nothing any more; the tag's low-battery alarm from
before it went flat is years old. Alerts went out by e-mail and to her webhook.

Of the other customers, one sold the vehicle their tracker was on today: the tracker
is released (nobody's now) but still watches their home (linked long ago) and their
work (linked within the last day) geofences. Another switched off their
home-automation webhook when nothing could be delivered to it any more, longer ago
than the webhook period.

Each customer draws from their own `Random("<seed>:antitheft:<n>")`, so none of this
changes what `generate` draws before it (the same people, records and trips).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from random import Random

from trackguard.demo.moments import between, days, second
from trackguard.demo.plans import (
    CustomerPlan,
    DemoRules,
    DevicePlan,
    EventPlan,
    GeofenceLinkPlan,
    GeofencePlan,
    WebhookPlan,
)
from trackguard.demo.tracks import HOME, TrackPoint
from trackguard.protocols.base import Alarm, PositionReport
from trackguard.tracking.antitheft import (
    AntiTheftConfig,
    DeviceWatch,
    RaisedEvent,
    WatchedGeofence,
    evaluate,
)
from trackguard.tracking.geo import destination, haversine_m
from trackguard.tracking.geofence import Area, CircleArea, PolygonArea

DEMO_WEBHOOK = "https://hooks.example/trackguard"  # .example never resolves (RFC 2606)
HOME_FENCE = CircleArea(*HOME, 150.0)  # the Oude Schans, Spakenburg
# The office blocks north of Amersfoort station, where the commute ends.
OFFICE_FENCE = PolygonArea(
    ((52.1566, 5.3728), (52.1569, 5.3790), (52.1530, 5.3800), (52.1524, 5.3738))
)
HOLIDAY_FENCE = CircleArea(51.7330, 3.7710, 400.0)  # a campsite near Renesse
# Approximate centres of the demo towns: where the other customers' homes are drawn.
TOWN_CENTRES = {
    "Bunschoten-Spakenburg": (52.2470, 5.3720),
    "Amersfoort": (52.1560, 5.3870),
    "Hoogland": (52.1850, 5.3760),
    "Utrecht": (52.0910, 5.1220),
    "Baarn": (52.2110, 5.2880),
    "Soest": (52.1730, 5.2910),
    "Nijkerk": (52.2200, 5.4860),
    "Leusden": (52.1320, 5.4310),
    "Eemnes": (52.2540, 5.2570),
}
WORKPLACES = (  # (lat, lon, radius): business parks and a station around Amersfoort
    (52.1533, 5.3735, 250.0),
    (52.1700, 5.4140, 400.0),
    (52.1680, 5.3680, 350.0),
)
HOME_AUTOMATION = (
    "https://homey.example/api/app/webhook/trackguard",
    "https://domotica.example/hooks/tracker",
    "https://nodered.example/trackguard/alarm",
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TRIP_GAP = timedelta(minutes=5)  # moving trackers report every 10-30 s, parked ones far less
RULES = AntiTheftConfig()  # the server's defaults

Fences = Sequence[tuple[int, Area]]  # (index into the customer's geofences, area)


def add_antitheft(
    seed: int, rules: DemoRules, now: datetime, people: Sequence[CustomerPlan]
) -> list[CustomerPlan]:
    """`people` with their geofences, events and webhooks (the demo login first)."""
    out = list(people)

    def rng(n: int) -> Random:
        return Random(f"{seed}:antitheft:{n}")

    if out:
        out[0] = demo_login(rng(0), rules, now, out[0])
    sold = _first(out, lambda n, c: sold_tracker(rng(n), rules, now, c))
    _first(out, lambda n, c: None if n == sold else stale_webhook(rng(n), rules, now, c))
    return out


def _first(
    people: list[CustomerPlan], change: Callable[[int, CustomerPlan], CustomerPlan | None]
) -> int | None:
    """Apply `change` to the first customer after the demo login it fits; their index."""
    for n in range(1, len(people)):
        changed = change(n, people[n])
        if changed is not None:
            people[n] = changed
            return n
    return None


# -- the demo login ----------------------------------------------------------------------------


def demo_login(rng: Random, rules: DemoRules, now: datetime, demo: CustomerPlan) -> CustomerPlan:
    tag, bike, car = demo.devices
    assert tag.activated_at and bike.activated_at and car.activated_at
    settled = now - days(2)  # her settings predate the day of events
    # The holiday, long ago: a campsite watched by the tag on the luggage, unlinked when
    # they came home. Nothing has watched it since, for longer than the policy waits.
    holiday = between(rng, tag.activated_at + days(20), tag.activated_at + days(250))
    home_again = min(
        second(holiday + days(rng.randint(7, 21))), rules.unused_geofence.before(now) - days(1)
    )
    fenced = between(rng, bike.activated_at + timedelta(hours=1), bike.activated_at + days(3))
    fenced = min(fenced, settled)
    office = between(rng, car.activated_at + timedelta(hours=1), car.activated_at + days(3))
    office = min(office, settled)
    redrawn = between(rng, office + days(1), settled)  # the car park was left out at first
    geofences = (
        GeofencePlan("Camping Renesse", HOLIDAY_FENCE.to_wkt(), min(holiday, home_again),
                     home_again),
        GeofencePlan("Thuis", HOME_FENCE.to_wkt(), fenced, fenced,
                     (GeofenceLinkPlan(bike.imei, _minutes_after(rng, fenced)),)),
        GeofencePlan("Kantoor Amersfoort", OFFICE_FENCE.to_wkt(), office, redrawn,
                     (GeofenceLinkPlan(car.imei, _minutes_after(rng, office)),)),
    )  # fmt: skip
    hook_created = between(rng, max(bike.activated_at, car.activated_at) + days(1), settled)

    # The fixes that carried an alarm say so in their payload, as the gateway stores them.
    tag = _with_alarms(tag, _alarm_when_low(tag.track))
    bike = _with_alarms(bike, _bike_alarms(bike.track))
    car = _with_alarms(car, _car_alarms(car.track))
    raised = [  # fences by their index in `geofences`
        *_replay(rng, tag, ()),
        *_replay(rng, bike, ((1, HOME_FENCE),)),
        *_replay(rng, car, ((2, OFFICE_FENCE),)),
    ]
    raised.sort(key=lambda r: r[2].time)  # stable: a report's own events keep their order
    events = tuple(
        _event(rng, now, device, point, event, hooks_since=hook_created)
        for device, point, event in raised
    )
    sent = [e.delivered_at for e in events if e.webhook_status == "sent" and e.delivered_at]
    webhook = WebhookPlan(DEMO_WEBHOOK, True, hook_created, max(sent, default=None), None)
    return replace(
        demo, devices=(tag, bike, car), geofences=geofences, events=events, webhooks=(webhook,)
    )


def _with_alarms(device: DevicePlan, alarms: Mapping[int, Alarm]) -> DevicePlan:
    track = tuple(
        replace(p, fix=replace(p.fix, alarm=alarms[i].value)) if i in alarms else p
        for i, p in enumerate(device.track)
    )
    return replace(device, track=track)


def _bike_alarms(track: Sequence[TrackPoint]) -> dict[int, Alarm]:
    """The e-bike's battery runs low at the end of the longest ride."""
    trips = _trips(track)
    return {max(trips, key=len)[-1]: Alarm.LOW_BATTERY} if trips else {}


def _car_alarms(track: Sequence[TrackPoint]) -> dict[int, Alarm]:
    """A power cut in the office car park; the SOS button pressed on getting home."""
    alarms: dict[int, Alarm] = {}
    for trip in _trips(track):
        end = track[trip[-1]].fix
        after = min(trip[-1] + 1, len(track) - 1)  # the first report parked, if there is one
        if OFFICE_FENCE.contains(end.lat, end.lon):
            alarms.setdefault(after, Alarm.POWER_CUT)
        elif haversine_m(end.lat, end.lon, *HOME) < HOME_FENCE.radius_m:
            alarms.setdefault(after, Alarm.SOS)
    return alarms


def _alarm_when_low(track: Sequence[TrackPoint]) -> dict[int, Alarm]:
    """A tracker lying still says so once its battery is nearly flat."""
    low = [i for i, p in enumerate(track) if p.fix.battery is not None and p.fix.battery <= 10]
    return {low[0]: Alarm.LOW_BATTERY} if low else {}


# -- running the server's rules over a day ------------------------------------------------------


def _trips(track: Sequence[TrackPoint]) -> list[range]:
    """Index ranges of the trips in `track`: runs of reports less than TRIP_GAP apart."""
    trips, start = [], 0
    for i in range(1, len(track) + 1):
        if i == len(track) or track[i].fix_time - track[i - 1].fix_time > TRIP_GAP:
            if i - start >= 5:
                trips.append(range(start, i))
            start = i
    return trips


def _replay(
    rng: Random, device: DevicePlan, fences: Fences
) -> list[tuple[DevicePlan, TrackPoint, RaisedEvent]]:
    """The events the anti-theft rules raise over `device`'s track.

    A tracker that is armed now is armed as its owner does it: disarmed just before
    each trip and armed again after it, except on the longest trip, which starts armed
    and is disarmed a few minutes after the first alert.
    """
    watched = tuple(WatchedGeofence(str(index), area, "demo") for index, area in fences)
    track = device.track
    trips = _trips(track) if device.armed else []
    careless = max(trips, key=len) if trips else None
    starts = {trip.start: trip for trip in trips if trip is not careless}
    ends = {trip[-1] for trip in trips}
    watch = DeviceWatch().arm() if device.armed else DeviceWatch()
    disarm_at: datetime | None = None
    noticed = False
    out = []
    for i, point in enumerate(track):
        if i in starts or (disarm_at is not None and point.fix_time >= disarm_at):
            watch, disarm_at = watch.disarm(), None
        watch, events = evaluate(watch, watched, _report(device, point), RULES)
        out += [(device, point, event) for event in events]
        if careless is not None and i in careless and not noticed and any(e.alert for e in events):
            noticed = True
            disarm_at = point.fix_time + timedelta(minutes=rng.randint(3, 5))
        if i in ends:
            watch, disarm_at = watch.arm(), None
    return out


def _report(device: DevicePlan, point: TrackPoint) -> PositionReport:
    """The report the gateway decoded this fix from."""
    fix = point.fix
    return PositionReport(
        protocol=device.protocol,
        device_key=device.imei,
        time=point.fix_time,
        valid=fix.valid,
        latitude=fix.lat,
        longitude=fix.lon,
        speed=fix.speed,
        course=fix.course,
        altitude=fix.altitude,
        satellites=fix.satellites,
        battery=fix.battery,
        ignition=fix.ignition,
        motion=fix.motion,
        alarm=Alarm(fix.alarm) if fix.alarm else None,
    )


def _event(
    rng: Random,
    now: datetime,
    device: DevicePlan,
    point: TrackPoint,
    event: RaisedEvent,
    *,
    hooks_since: datetime,
) -> EventPlan:
    """The stored event: alerts went out by e-mail, and to the webhook once there was one."""
    fence = int(event.geofence_id) if event.geofence_id is not None else None
    plan = EventPlan(
        imei=device.imei,
        type=event.type.value,
        time=event.time,
        fix_time=point.fix_time,
        attributes=dict(event.attributes),
        alert=event.alert,
        geofence=fence,
    )
    if not event.alert:
        return plan
    hooked = event.time >= hooks_since
    return replace(
        plan,
        email_status="sent",
        webhook_status="sent" if hooked else "skipped",
        delivery_attempts=2 if hooked else 1,
        delivered_at=min(now, second(event.time + timedelta(seconds=rng.randint(2, 9)))),
    )


# -- the other customers -----------------------------------------------------------------------


def sold_tracker(
    rng: Random, rules: DemoRules, now: datetime, customer: CustomerPlan
) -> CustomerPlan | None:
    """They sold the vehicle with their newest tracker on it and released the tracker
    from their account today.

    It still watches their home (linked when they activated it) and their work (linked
    within the last day): the first link is older than the policy lets a tracker nobody
    owns watch a geofence, the second is not. None when they have no tracker old enough.
    """
    cut = rules.unlinked_geofence_link.before(now)
    owned = [
        d
        for d in customer.devices
        if d.activated_at is not None and d.activated_at < cut - days(3) and not d.track
    ]
    if not owned:
        return None
    sold = owned[-1]
    assert sold.activated_at is not None
    home = _home(rng, customer.billing_address)
    fenced = between(rng, sold.activated_at + timedelta(hours=1), sold.activated_at + days(2))
    fenced = min(fenced, second(cut - days(1)))
    # Well inside the period, and a while before the tracker was released.
    window = days(rules.unlinked_geofence_link.approx_days() * 0.7)
    linked = between(rng, now - window, now - timedelta(hours=2))
    lat, lon, radius = rng.choice(WORKPLACES)
    drawn = second(linked - timedelta(minutes=rng.randint(1, 10)))
    geofences = (
        GeofencePlan(rng.choice(("Thuis", "Huis")), home.to_wkt(), fenced, fenced,
                     (GeofenceLinkPlan(sold.imei, _minutes_after(rng, fenced)),)),
        GeofencePlan("Werk", CircleArea(lat, lon, radius).to_wkt(), drawn, drawn,
                     (GeofenceLinkPlan(sold.imei, linked),)),
    )  # fmt: skip
    code = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
    # Nobody's now: no name, not activated, a new code on its way to the buyer.
    released = replace(sold, name=None, activated_at=None, armed=False, activation_code=code)
    return replace(
        customer,
        devices=tuple(d for d in customer.devices if d is not sold),
        released_devices=(*customer.released_devices, released),
        geofences=(*customer.geofences, *geofences),
    )


def stale_webhook(
    rng: Random, rules: DemoRules, now: datetime, customer: CustomerPlan
) -> CustomerPlan | None:
    """Alerts went to their home automation until it broke, longer ago than the webhook
    period; they switched the webhook off after a few failed deliveries. None when they
    have had no tracker that long."""
    cut = rules.webhook_inactivity.before(now)
    first = min((d.activated_at for d in customer.devices if d.activated_at), default=None)
    if first is None or first > cut - days(30):
        return None
    created = between(rng, first + days(1), cut - days(20))
    delivered = between(rng, created + days(1), cut - days(10))
    failed = second(delivered + days(rng.randint(2, 9)))
    hook = WebhookPlan(rng.choice(HOME_AUTOMATION), False, created, delivered, failed)
    return replace(customer, webhooks=(*customer.webhooks, hook))


def _home(rng: Random, address: str) -> CircleArea:
    """A circle around a home in the customer's town (not their address: a demo)."""
    centre = next((c for town, c in TOWN_CENTRES.items() if address.endswith(town)), HOME)
    lat, lon = destination(*centre, rng.uniform(0, 360), rng.uniform(0, 900))
    return CircleArea(round(lat, 5), round(lon, 5), float(rng.choice((100, 150, 200))))


def _minutes_after(rng: Random, moment: datetime) -> datetime:
    return second(moment + timedelta(minutes=rng.randint(1, 10)))
