"""Statements are rendered once per policy, language and format."""

from __future__ import annotations

from typing import Any

from trackguard.web.statements import StatementCache


def test_each_language_and_format_is_rendered_once_per_policy() -> None:
    calls: list[tuple[Any, str, str]] = []

    def render(policy: Any, lang: str, fmt: str) -> str:
        calls.append((policy, lang, fmt))
        return f"{lang}.{fmt}"

    cache = StatementCache(render)
    first, second = object(), object()
    for _ in range(3):
        assert cache.get(first, "nl", "html") == "nl.html"  # type: ignore[arg-type]
        assert cache.get(first, "en", "md") == "en.md"  # type: ignore[arg-type]
    assert cache.get(second, "nl", "html") == "nl.html"  # type: ignore[arg-type]
    assert calls == [(first, "nl", "html"), (first, "en", "md"), (second, "nl", "html")]
