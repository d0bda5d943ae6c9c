"""Policy tests need no database: the packaged policy, and ways to break it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from policy_helpers import Mutation, mutated_text

from trackguard.policy import Policy, load_policy, packaged_policy_path, parse_policy


@pytest.fixture(scope="session")
def policy_text() -> str:
    return packaged_policy_path().read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(packaged_policy_path())


@pytest.fixture
def policy_data(policy_text: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(policy_text)
    return data


@pytest.fixture
def mutated(policy_text: str) -> Callable[[Mutation], Policy]:
    """Parse the packaged policy after a change; raises PolicyError if it is refused."""

    def build(mutate: Mutation) -> Policy:
        return parse_policy(mutated_text(policy_text, mutate), file="mutated.yaml")

    return build
