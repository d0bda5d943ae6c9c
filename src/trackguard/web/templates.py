"""The site's own Jinja templates (autoescaped); the statement itself comes from the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def render_page(name: str, **context: Any) -> str:
    return _environment.get_template(name).render(**context)
