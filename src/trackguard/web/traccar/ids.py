"""Traccar's integer ids for trackguard's hex ids.

Traccar clients (pytraccar, Home Assistant, the Traccar apps) expect integer ids.
trackguard's rows have random hex ids, so:

* devices, geofences, events and customers get a number from `traccar_ids`: its
  auto-increment key, handed out the first time the API shows the row and kept
  for as long as the row exists (the reference cascades with it). Numbers stay
  small and are never reused for another row.
* a position has no row id (its key is device and fix time), so its number is
  computed: `device number << 32 | fix time in whole UTC seconds`. It is stable,
  unique per device and second, and reversible (`split_position_id`); two fixes of
  one device within the same second share a number (trackers report at most
  about once a second). Below 2**53 (exact in JavaScript) while device numbers
  stay below 2**21.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import event, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from trackguard.clock import as_utc
from trackguard.store.models.web import TraccarId

IdKind = Literal["device", "geofence", "event", "customer"]
SECONDS_BITS = 32
SECONDS_MASK = (1 << SECONDS_BITS) - 1
_CHUNK = 500


def _column(kind: IdKind) -> InstrumentedAttribute[str | None]:
    return {
        "device": TraccarId.device_id,
        "geofence": TraccarId.geofence_id,
        "event": TraccarId.event_id,
        "customer": TraccarId.customer_id,
    }[kind]


def numbers_for(session: Session, kind: IdKind, refs: Iterable[str]) -> dict[str, int]:
    """The number of each row id in `refs`, handing out new ones (in `refs` order) where needed."""
    wanted = list(dict.fromkeys(refs))
    column = _column(kind)
    found = _known(session, column, wanted)
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        dialect = session.get_bind().dialect.name
        rows = [{column.key: ref} for ref in missing]
        if dialect in ("postgresql", "sqlite"):
            module = postgresql if dialect == "postgresql" else sqlite
            # Another request may number the same row at the same moment: first one wins.
            session.execute(module.insert(TraccarId).on_conflict_do_nothing(), rows)
        else:
            session.execute(insert(TraccarId), rows)
        found.update(_known(session, column, missing))
    return found


def refs_for(session: Session, kind: IdKind, numbers: Iterable[int]) -> dict[int, str]:
    """The row id behind each number (numbers of another kind or none are left out)."""
    column = _column(kind)
    wanted = sorted(set(numbers))
    result: dict[int, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(TraccarId.id, column).where(TraccarId.id.in_(chunk), column.is_not(None))
        for number, ref in session.execute(query):
            result[int(number)] = str(ref)
    return result


class CommittedNumbers:
    """Device numbers kept between requests, so a list of a thousand devices needs no
    join with `traccar_ids` for them.

    A number never changes nor passes to another row while its row exists, so a kept
    one stays right; it is kept only once the transaction that read or handed it out
    has committed (a number given in a transaction that rolls back never existed).
    Beyond `limit` devices the memory starts again.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._numbers: dict[str, int] = {}

    def of(self, session: Session, refs: list[str]) -> tuple[dict[str, int], bool]:
        """(the number of each device in `refs`, whether all were committed already)."""
        kept = self._numbers
        found = {ref: number for ref in refs if (number := kept.get(ref)) is not None}
        if len(found) == len(refs):
            return found, True
        missing = [ref for ref in refs if ref not in found]
        committed = _known(session, TraccarId.device_id, missing)
        given = [ref for ref in missing if ref not in committed]
        new = numbers_for(session, "device", given) if given else {}
        learned = {**committed, **new}
        event.listen(session, "after_commit", lambda _: self._keep(learned), once=True)
        return {**found, **learned}, not given

    def _keep(self, numbers: dict[str, int]) -> None:
        if len(self._numbers) + len(numbers) > self.limit:
            self._numbers = {}
        self._numbers.update(numbers)


def _known(
    session: Session, column: InstrumentedAttribute[str | None], refs: list[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(refs), _CHUNK):
        chunk = refs[start : start + _CHUNK]
        for number, ref in session.execute(select(TraccarId.id, column).where(column.in_(chunk))):
            found[str(ref)] = int(number)
    return found


def position_id(device_number: int, fix_time: datetime) -> int:
    seconds = int(as_utc(fix_time).timestamp())
    return (device_number << SECONDS_BITS) | (seconds & SECONDS_MASK)


def split_position_id(number: int) -> tuple[int, datetime]:
    """(device number, start of the fix second) of a position number."""
    seconds = number & SECONDS_MASK
    return number >> SECONDS_BITS, datetime.fromtimestamp(seconds, UTC)
