"""Bad-fix filters: which reported positions are not worth storing (pure).

The gateway runs `filter_fixes` over each decoded batch before the writer stores
it, with the last kept report of every device in the batch (its own cache):

    config = FilterConfig.from_settings(settings)          # once, at start-up
    kept, rejected = filter_fixes(reports, last_by_key, config, now=clock())
    last_by_key.update(latest_by_device(kept))

Filters, each switched off by its setting (false / 0), named as in Traccar:

* ``invalid``   the receiver itself marks the fix invalid (no GPS lock), or the
                coordinates are out of range or not finite (always rejected);
* ``zero``      latitude and longitude both exactly 0 ("null island");
* ``duplicate`` the same fix time as the device's previous kept fix;
* ``future``    a fix time more than `future_seconds` after `now` (a wrong clock);
* ``jump``      the speed implied by the distance from the previous kept valid fix
                exceeds `max_speed_kmh`.

A report carrying a tracker alarm (SOS, power cut, ...) is kept even with an
invalid or jumping fix: losing an alarm is worse than storing a bad coordinate,
and every consumer (trips, geofences) skips invalid fixes anyway. Exact
duplicates of it are still dropped.

The jump filter compares only with a previous fix less than `jump_window_seconds`
old. A rejected fix never becomes the reference, so without that window one bad
reference would reject every good fix after it; with it, the damage ends once
the reference is that old.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

from trackguard.clock import as_utc
from trackguard.protocols.base import PositionReport
from trackguard.tracking.geo import haversine_m, implied_speed_kmh, valid_coordinates


class Reason(StrEnum):
    """Why a fix was dropped (Traccar's filter names)."""

    INVALID = "invalid"
    ZERO = "zero"
    DUPLICATE = "duplicate"
    FUTURE = "future"
    JUMP = "jump"


class FilterSettings(Protocol):
    """The `Settings` fields the filters read."""

    filter_invalid: bool
    filter_zero: bool
    filter_duplicate: bool
    filter_future_seconds: float
    filter_max_speed_kmh: float


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """Thresholds of the bad-fix filters; 0 / False switches a filter off."""

    invalid: bool = True
    zero: bool = True
    duplicate: bool = True
    future_seconds: float = 300.0
    max_speed_kmh: float = 500.0
    jump_window_seconds: float = 600.0
    keep_alarms: bool = True

    @classmethod
    def from_settings(cls, settings: FilterSettings) -> FilterConfig:
        return cls(
            invalid=settings.filter_invalid,
            zero=settings.filter_zero,
            duplicate=settings.filter_duplicate,
            future_seconds=settings.filter_future_seconds,
            max_speed_kmh=settings.filter_max_speed_kmh,
        )


@dataclass(frozen=True, slots=True)
class Rejected:
    report: PositionReport
    reason: Reason


class FilterResult(NamedTuple):
    """Unpacks as ``kept, rejected``; both keep the input order."""

    kept: list[PositionReport]
    rejected: list[Rejected]


def filter_fixes(
    reports: Iterable[PositionReport],
    previous_by_device: Mapping[str, PositionReport],
    config: FilterConfig,
    now: datetime,
) -> FilterResult:
    """Split `reports` into the fixes to store and the rejected ones, with the reason.

    `previous_by_device` maps `PositionReport.device_key` to the device's last kept
    report before this batch (missing: none known); it is not modified. Within the
    batch, each kept report becomes the reference for the next one of its device.
    """
    now = as_utc(now)
    last: dict[str, PositionReport] = {}  # last kept report per device, this batch
    last_valid: dict[str, PositionReport] = {}
    kept: list[PositionReport] = []
    rejected: list[Rejected] = []
    for report in reports:
        key = report.device_key
        previous = last.get(key) or previous_by_device.get(key)
        reference = last_valid.get(key)
        if reference is None:
            before = previous_by_device.get(key)
            reference = before if before is not None and _usable(before) else None
        reason = _reason(report, previous, reference, config, now)
        if reason is None:
            kept.append(report)
            last[key] = report
            if _usable(report):
                last_valid[key] = report
        else:
            rejected.append(Rejected(report, reason))
    return FilterResult(kept, rejected)


def latest_by_device(reports: Iterable[PositionReport]) -> dict[str, PositionReport]:
    """The newest report (by fix time) of each device key: the next batch's references."""
    latest: dict[str, PositionReport] = {}
    for report in reports:
        current = latest.get(report.device_key)
        if current is None or report.time >= current.time:
            latest[report.device_key] = report
    return latest


def _usable(report: PositionReport) -> bool:
    return (
        report.valid
        and valid_coordinates(report.latitude, report.longitude)
        and not (report.latitude == 0 and report.longitude == 0)
    )


def _reason(
    report: PositionReport,
    previous: PositionReport | None,
    reference: PositionReport | None,
    config: FilterConfig,
    now: datetime,
) -> Reason | None:
    time = as_utc(report.time)
    if config.duplicate and previous is not None and time == as_utc(previous.time):
        return Reason.DUPLICATE
    if not valid_coordinates(report.latitude, report.longitude):
        return Reason.INVALID  # nothing downstream can use it, alarm or not
    alarm = config.keep_alarms and report.alarm is not None
    if config.future_seconds and (time - now).total_seconds() > config.future_seconds:
        return None if alarm else Reason.FUTURE
    if alarm:
        return None
    if config.invalid and not report.valid:
        return Reason.INVALID
    if config.zero and report.latitude == 0 and report.longitude == 0:
        return Reason.ZERO
    if config.max_speed_kmh and reference is not None and report.valid:
        seconds = abs((time - as_utc(reference.time)).total_seconds())
        if seconds <= config.jump_window_seconds:
            distance = haversine_m(
                reference.latitude, reference.longitude, report.latitude, report.longitude
            )
            if implied_speed_kmh(distance, seconds) > config.max_speed_kmh:
                return Reason.JUMP
    return None
