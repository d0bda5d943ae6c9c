"""Every registered protocol keeps the same promises: Traccar's ports, a framer for every
TCP protocol, an encoder for the simulator, no exception but ProtocolError on any input,
and a simulated fix that decodes back to itself."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import check_decoded

from trackguard.errors import NotFound
from trackguard.protocols import registry
from trackguard.protocols.base import (
    Decoded,
    PositionReport,
    ProtocolError,
    ProtocolSpec,
    Session,
)

# Traccar's default ports (setup/default.xml); MQTT is a subscription, not a listener.
TRACCAR_PORTS = {
    "osmand": 5055,
    "gt06": 5023,
    "h02": 5013,
    "teltonika": 5027,
    "watch": 5093,
    "mqtt": None,
}
SPECS = registry.protocols()
NAMES = sorted(SPECS)

# Near Bunschoten-Spakenburg, a weekday afternoon, moving.
HERE = PositionReport(
    protocol="simulated",
    device_key="353451044508750",
    time=datetime(2025, 6, 17, 14, 30, 12, tzinfo=UTC),
    valid=True,
    latitude=52.2501234,
    longitude=5.3701234,
    speed=42.0,
    course=135.0,
)


def _frames(spec: ProtocolSpec, data: bytes) -> list[bytes]:
    """What the gateway hands to `decode` for bytes that arrived as one read."""
    if spec.frame is None:
        return [data]
    frames, buffer = [], data
    while buffer:
        frame, consumed = spec.frame(buffer)
        assert 0 <= consumed <= len(buffer), "a framer may not consume bytes it was not given"
        if frame is not None:
            frames.append(frame)
        if consumed == 0:
            break  # needs more bytes
        buffer = buffer[consumed:]
    return frames


def _decode_all(spec: ProtocolSpec, data: bytes, session: Session) -> list[Decoded]:
    decoded = [spec.decode(frame, session) for frame in _frames(spec, data)]
    for one in decoded:
        check_decoded(one)
    return decoded


def test_registry_holds_exactly_the_six_protocols_on_traccars_ports() -> None:
    assert {name: spec.default_port for name, spec in SPECS.items()} == TRACCAR_PORTS
    for name, spec in SPECS.items():
        assert spec.name == name
        assert registry.get(name) is spec


def test_unknown_protocol_is_not_found_and_names_the_known_ones() -> None:
    with pytest.raises(NotFound, match="osmand"):
        registry.get("tk103")


@pytest.mark.parametrize("name", NAMES)
def test_transport_and_framing_fit_together(name: str) -> None:
    spec = SPECS[name]
    assert (spec.frame is not None) == (spec.transport == "tcp")
    assert spec.max_frame > 0
    assert (spec.default_port is None) == (spec.transport == "mqtt")


@pytest.mark.parametrize("name", NAMES)
def test_every_protocol_has_a_simulator_encoder(name: str) -> None:
    encoder = SPECS[name].encoder
    assert encoder is not None
    assert callable(encoder.hello) and callable(encoder.position) and callable(encoder.read_ack)


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2048))
def test_any_bytes_decode_or_raise_protocol_error(name: str, data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        _decode_all(SPECS[name], data, Session())


def _simulated(name: str) -> PositionReport:
    """HERE sent by the protocol's simulated device (after its hello) and decoded again."""
    spec = SPECS[name]
    assert spec.encoder is not None
    session = Session()
    hello = spec.encoder.hello(HERE.device_key)
    if hello is not None:
        _decode_all(spec, hello, session)
    positions = [
        report
        for decoded in _decode_all(spec, spec.encoder.position(HERE, 1), session)
        for report in decoded.positions
    ]
    assert len(positions) == 1, f"{name}: one fix in, {len(positions)} out"
    return positions[0]


@pytest.mark.parametrize("name", NAMES)
def test_simulated_fix_decodes_back_to_itself(name: str) -> None:
    back = _simulated(name)
    assert back.latitude == pytest.approx(HERE.latitude, abs=1e-5)
    assert back.longitude == pytest.approx(HERE.longitude, abs=1e-5)
    assert back.speed == pytest.approx(HERE.speed, abs=1.0)
    assert abs((back.time - HERE.time).total_seconds()) <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_decoded_reports_name_their_registered_protocol(name: str) -> None:
    assert _simulated(name).protocol == name
