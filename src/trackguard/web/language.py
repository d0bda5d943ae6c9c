"""Which language a visitor gets: `?lang=` if given, else Accept-Language, else Dutch."""

from __future__ import annotations

from typing import Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
_BY_TAG: dict[str, Language] = {language: language for language in LANGUAGES}
DEFAULT_LANGUAGE: Language = "nl"  # the statement's source language


def negotiate(accept_language: str | None, explicit: Language | None = None) -> Language:
    """Pick a supported language; pure, so it is tested without HTTP."""
    if explicit is not None:
        return explicit
    best: tuple[float, int] | None = None
    chosen: Language = DEFAULT_LANGUAGE
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        language = _BY_TAG.get(tag.strip().lower().split("-")[0])
        quality = _quality(params)
        if language is None or quality <= 0:
            continue
        # Highest quality wins; among equals, the one the browser listed first.
        rank = (quality, -position)
        if best is None or rank > best:
            best, chosen = rank, language
    return chosen


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
