"""Schemathesis against the app's own OpenAPI document, on the demo data, per backend.

Every operation in the document gets generated requests (valid and invalid ones),
sent as the signed-in demo customer. Each answer must not be a server error, must
use a documented status and content type, and must match the documented schema.
Generated ids and periods would almost never name the demo customer's data, so a
hook mixes the real ones in: the data paths are exercised too, not only refusals.
"""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.demo.seed import seed_demo
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.web.app import create_app
from trackguard.web.problems import PROBLEM_MEDIA_TYPE

# The document holds at least the Traccar API, the health check and the statement pages.
MIN_OPERATIONS = 19
# Bounded so the suite stays fast; schemathesis's coverage phase adds each operation's
# boundary values, invalid inputs and unsupported methods on top of these.
MAX_EXAMPLES = 15
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The demo history lies within the last days; position reports cover at most 31 days.
HISTORY = timedelta(days=30)
# Path or query parameter -> where the demo customer's own ids of that kind are listed.
OWNED = {
    "device_id": "/api/devices",
    "geofence_id": "/api/geofences",
    "request_id": "/api/privacy/requests",
    "export_id": "/api/privacy/exports",
}
# Staff pages: the customer is refused there, so they need not answer 2xx in this test.
STAFF_ONLY = "/backoffice"


@dataclass
class Exercised:
    """What the generated requests did, per operation label ("GET /api/devices")."""

    sent: Counter[str] = field(default_factory=Counter)
    succeeded: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DemoWorld:
    app: FastAPI
    headers: dict[str, str]  # the demo customer's bearer token
    owned: dict[str, list[Any]]  # see OWNED


async def _sign_in_and_look_around(app: FastAPI) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """The demo customer's bearer token, and the ids of what they own, by parameter name."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        form = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        assert (await client.post("/api/session", data=form)).status_code == 200
        token = await client.post("/api/session/token")
        assert token.status_code == 200
        # A bearer token: no throttle, no argon2 per call, untouched by generated sign-ins.
        headers = {"Authorization": f"Bearer {token.text}"}
        client.cookies.clear()
        owned = {}
        for name, path in OWNED.items():
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, path
            owned[name] = [item["id"] for item in answer.json()]
    return headers, owned


@pytest.fixture
def world(settings: Settings) -> Iterator[DemoWorld]:
    with Runtime.open(settings) as runtime:
        seed_demo(runtime, customers=2)  # the demo customer and one other
        app = create_app(runtime)
        headers, owned = asyncio.run(_sign_in_and_look_around(app))
        yield DemoWorld(app, headers, owned)


def _real_values(world: DemoWorld, now: datetime) -> dict[str, st.SearchStrategy[Any]]:
    """Parameter name -> values that name the demo customer's own data."""
    owned = {name: st.sampled_from(ids) for name, ids in world.owned.items() if ids}
    return owned | {
        "deviceId": owned["device_id"],
        "from": st.just((now - HISTORY).isoformat()),
        "to": st.just(now.isoformat()),
    }


def _mix_in(
    generated: dict[str, Any] | None, parameters: Any, real: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the time, replace the generated values of known parameters by real ones."""
    chosen = {p.name: p.definition for p in parameters if p.name in real}
    if not chosen:
        return st.just(generated)
    replacement = st.fixed_dictionaries(
        {
            name: st.lists(real[name], min_size=1, max_size=2)
            if definition.get("schema", {}).get("type") == "array"
            else real[name]
            for name, definition in chosen.items()
        }
    )
    return st.one_of(st.just(generated), replacement.map(lambda r: {**(generated or {}), **r}))


@pytest.fixture
def exercised() -> Exercised:
    return Exercised()


@pytest.fixture
def api_schema(world: DemoWorld, exercised: Exercised) -> Iterator[schemathesis.BaseSchema]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    real = _real_values(world, datetime.now(UTC))

    @schema.hook
    def flatmap_query(context: schemathesis.HookContext, query: Any) -> Any:
        assert context.operation is not None
        return _mix_in(query, context.operation.query, real)

    @schema.hook
    def flatmap_path_parameters(context: schemathesis.HookContext, path: Any) -> Any:
        assert context.operation is not None
        return _mix_in(path, context.operation.path_parameters, real)

    labels = {result.ok().label for result in schema.get_all_operations()}
    assert len(labels) >= MIN_OPERATIONS, sorted(labels)
    yield schema
    # After every operation's subtest: each was exercised, and every read reached data.
    assert set(exercised.sent) == labels, sorted(labels - set(exercised.sent))
    # Of a kind the demo customer has none of (exports, say), an id can only be unknown.
    none_owned = [f"{{{name}}}" for name, ids in world.owned.items() if not ids]
    reads = {
        label
        for label in labels
        if label.startswith("GET ")
        and STAFF_ONLY not in label
        and not any(kind in label for kind in none_owned)
    }
    assert reads <= exercised.succeeded, sorted(reads - exercised.succeeded)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 renames the test item through `_nodeid`, an attribute pytest 9.2
    # no longer has (it keeps `_id`); give it one so its per-operation reports work.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_answers_match_the_document(
    case: schemathesis.Case, world: DemoWorld, exercised: Exercised
) -> None:
    label = case.operation.label
    exercised.sent[label] += 1
    response = case.call_and_validate(headers=world.headers, checks=CHECKS)
    if 200 <= response.status_code < 300:
        exercised.succeeded.add(label)


def test_the_document_is_valid_and_documents_problems(app: FastAPI) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI's duplicate-operation-id warning included
        document = app.openapi()
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= MIN_OPERATIONS
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    assert all(method != "head" for method, _, _ in operations)  # GET stands for it
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for _, _, operation in operations:
        responses = operation["responses"]
        assert responses["4XX"]["content"] == problem
        assert responses["5XX"]["content"] == problem
        if "422" in responses:
            assert responses["422"]["content"] == problem
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "/privacy.md" in document["paths"]
    statement = document["paths"]["/privacy.md"]["get"]["responses"]["200"]["content"]
    assert list(statement) == ["text/markdown"]
