"""Rendered privacy statements, cached per (policy, language, format).

Rendering is pure and the policy only changes when the runtime loads another
one, so each combination is rendered once; a different policy object starts a
fresh cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from trackguard.policy import Policy
from trackguard.policy.render import render_statement

Renderer = Callable[[Policy, str, str], str]


class StatementCache:
    def __init__(self, render: Renderer = render_statement) -> None:
        self._render = render
        self._lock = threading.Lock()  # sync routes run in a thread pool
        self._policy: Policy | None = None
        self._rendered: dict[tuple[str, str], str] = {}

    def get(self, policy: Policy, lang: str, fmt: str) -> str:
        with self._lock:
            if policy is not self._policy:
                self._policy, self._rendered = policy, {}
            text = self._rendered.get((lang, fmt))
            if text is None:
                text = self._rendered[(lang, fmt)] = self._render(policy, lang, fmt)
            return text
