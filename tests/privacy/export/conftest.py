"""Fixtures of the export tests: a seeded demo database, and a GPX 1.1 structure check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from tests.database_templates import Template
from tests.worlds import DemoWorld, demo_data, world_if_taken

from trackguard.clock import fixed_clock
from trackguard.demo.seed import SeedReport
from trackguard.runtime import Runtime
from trackguard.settings import Settings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
GPX = "{http://www.topografix.com/GPX/1/1}"
# GPX 1.1 schema: the children each element may have, in the order the schema requires.
_ORDER = {
    "gpx": ["metadata", "wpt", "rte", "trk", "extensions"],
    "metadata": ["name", "desc", "author", "copyright", "link", "time", "keywords", "bounds"],
    "trk": ["name", "cmt", "desc", "src", "link", "number", "type", "extensions", "trkseg"],
    "trkseg": ["trkpt", "extensions"],
    "trkpt": [
        "ele", "time", "magvar", "geoidheight", "name", "cmt", "desc", "src", "link", "sym",
        "type", "fix", "sat", "hdop", "vdop", "pdop", "ageofdgpsdata", "dgpsid", "extensions",
    ],
}  # fmt: skip
_ONCE = {"metadata", "name", "desc", "time", "ele", "sat", "number", "extensions"}


def check_gpx11(document: bytes) -> ET.Element:
    """Fail unless `document` is structurally GPX 1.1 (namespace, version, element order,
    coordinate ranges, xsd:dateTime times); returns the root."""
    root = ET.fromstring(document)
    assert root.tag == f"{GPX}gpx"
    assert root.get("version") == "1.1" and root.get("creator")
    stack = [root]
    while stack:
        element = stack.pop()
        local = element.tag.removeprefix(GPX)
        assert element.tag.startswith(GPX), f"{element.tag} is outside the GPX namespace"
        allowed = _ORDER.get(local)
        if allowed is not None:
            positions = [allowed.index(c.tag.removeprefix(GPX)) for c in element]
            assert positions == sorted(positions), f"children of <{local}> out of schema order"
            names = [c.tag.removeprefix(GPX) for c in element]
            for once in _ONCE & set(names):
                assert names.count(once) == 1, f"<{once}> repeated in <{local}>"
        if local == "trkpt":
            assert -90 <= float(element.get("lat", "x")) <= 90
            assert -180 <= float(element.get("lon", "x")) <= 180
        if local == "time":
            datetime.fromisoformat(str(element.text).replace("Z", "+00:00"))
            assert str(element.text).endswith("Z")
        if local in ("number", "sat"):
            assert int(str(element.text)) >= 0
        stack.extend(element)
    return root


@pytest.fixture
def gpx11() -> Callable[[bytes], ET.Element]:
    return check_gpx11


@pytest.fixture
def demo_world(request: pytest.FixtureRequest) -> DemoWorld | None:
    """The tests that take `seeded` start with it (a copy of a template seeded once)."""
    return world_if_taken(request, "seeded", DemoWorld(NOW, seed=1, customers=3))


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


@pytest.fixture
def seeded(runtime: Runtime, database_template: Template) -> SeedReport:
    return demo_data(runtime, database_template, seed=1, customers=3)
