"""The public privacy statement, written from the policy in Dutch or English.

One Markdown template holds the structure of the 2019 statement; HTML is that
Markdown rendered by markdown-it (raw HTML off, so every policy text is escaped)
inside a standalone, accessible page. Words around the content come from
`templates/labels.yaml`; every fact comes from the policy.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from trackguard.errors import TrackguardError
from trackguard.policy import taxonomy
from trackguard.policy.model import LANGUAGES, Policy, Text
from trackguard.policy.period import Period
from trackguard.policy.source import safe_yaml

FORMATS: tuple[str, ...] = ("md", "html")
# The statement's sections, in order; each is an h2 heading of the output.
SECTIONS: tuple[str, ...] = (
    "who",
    "collect",
    "purposes",
    "disclosure",
    "website",
    "transfers",
    "legal_bases",
    "retention",
    "security",
    "rights",
    "complaints",
    "about",
)
SUBSECTIONS: tuple[str, ...] = (
    "direct",
    "third_party",
    "automatic",
    "overview",
    "cookies",
    "pixels",
    "analytics",
    "management_information",
)


def render_statement(policy: Policy, lang: str, fmt: str) -> str:
    """The privacy statement in `lang` (nl|en) as `fmt` (md|html)."""
    if lang not in LANGUAGES:
        raise TrackguardError(f"unsupported language '{lang}' (use nl or en)")
    if fmt not in FORMATS:
        raise TrackguardError(f"unsupported format '{fmt}' (use md or html)")
    view = StatementView(policy, lang)
    template = _environment().get_template("statement.md.j2")
    if fmt == "md":
        return template.render(v=view, L=view.labels, contents=True)
    # The HTML page has its own linked contents list, so the Markdown one is left out.
    markdown = template.render(v=view, L=view.labels, contents=False)
    body, headings = _markdown_to_html(markdown)
    return (
        _environment()
        .get_template("statement.html.j2")
        .render(v=view, L=view.labels, body=Markup(body), headings=headings)
    )


@lru_cache(maxsize=1)
def all_labels() -> dict[str, dict[str, Any]]:
    text = (
        resources.files("trackguard.policy")
        .joinpath("templates/labels.yaml")
        .read_text(encoding="utf-8")
    )
    labels: dict[str, dict[str, Any]] = safe_yaml(text)
    return labels


def labels(lang: str) -> dict[str, Any]:
    """The connecting words of the statement in `lang`."""
    return all_labels()[lang]


def format_period(period: Period, lang: str) -> str:
    """`P14D` -> "14 dagen" / "14 days"; `P1Y6M` -> "1 jaar en 6 maanden"."""
    words = labels(lang)["units"]
    parts = [f"{n} {words[unit][0 if n == 1 else 1]}" for unit, n in period.parts()]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {labels(lang)['and']} " + parts[-1]


def format_article(article: str, lang: str) -> str:
    """`6(1)(b)` -> "art. 6 lid 1 sub b AVG" / "GDPR Art. 6(1)(b)"."""
    if lang == "nl":
        number, *rest = re.findall(r"[0-9a-z]+", article)
        article = number + "".join(f" lid {p}" if p.isdigit() else f" sub {p}" for p in rest)
    return str(labels(lang)["gdpr_article"]).format(article=article)


def md_escape(value: object) -> str:
    """Escape Markdown syntax in a policy text, so it renders as the words it is."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", str(value))


class StatementView:
    """What the templates need, looked up once: localized, joined, ordered."""

    def __init__(self, policy: Policy, lang: str) -> None:
        self.p = policy
        self.lang = lang
        self.labels = labels(lang)
        self.sections = SECTIONS

    def t(self, text: Text) -> str:
        return text.get(self.lang)

    def period(self, period: Period) -> str:
        return format_period(period, self.lang)

    def article(self, article: str) -> str:
        return format_article(article, self.lang)

    def country(self, code: str) -> str:
        return str(self.labels["country_names"].get(code, code))

    def countries(self, codes: tuple[str, ...]) -> list[str]:
        return [self.country(c) for c in codes]

    def date(self, value: Any) -> str:
        month = self.labels["months"][value.month - 1]
        return str(self.labels["date"]).format(day=value.day, month=month, year=value.year)

    def category_names(self, keys: tuple[str, ...]) -> list[str]:
        return [self.t(self.p.category(k).name) for k in keys]

    def collected(self, method: str) -> list[Any]:
        return [c for c in self.p.categories if method in c.collected]

    def purpose_names(self, keys: tuple[str, ...]) -> list[str]:
        return [self.t(self.p.purpose(k).name) for k in keys]

    def basis_line(self, key: str) -> str:
        basis = self.p.legal_basis(key)
        return f"{self.t(basis.name)} ({self.article(basis.article)})"

    def purposes_with_basis(self, key: str) -> list[str]:
        return [self.t(p.name) for p in self.p.purposes if p.legal_basis == key]

    def safeguard_names(self, keys: tuple[str, ...]) -> list[str]:
        return [self.t(self.p.safeguard(k).name) for k in keys]

    def transfer_recipients(self) -> list[Any]:
        return [r for r in self.p.recipients if r.third_countries]

    def rule_records(self, rule: Any) -> list[str]:
        return [self.t(self.p.record(r).name) for r in rule.records]

    def id_copy_rule(self) -> Any:
        return self.p.rule(self.p.rights.id_copy.retention_rule)

    def analytics_recipient(self) -> Any:
        return self.p.recipient(self.p.website.analytics_recipient)

    def fides_key(self, key: str) -> str:
        """A category key, marked when it is our extension of the taxonomy."""
        return key if key in taxonomy.data_categories() else f"{key} (+)"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("trackguard.policy", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


def _markdown_to_html(markdown: str) -> tuple[str, list[tuple[str, str]]]:
    """HTML of `markdown` (raw HTML disabled) without its title, with ids on headings
    for the contents list and `scope` on table headers; returns the h2s as (id, text)."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = _without_title(parser.parse(markdown))
    headings: list[tuple[str, str]] = []
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content
            slug = _slug(title, used)
            token.attrSet("id", slug)
            if token.tag == "h2":
                headings.append((slug, _plain(title)))
        elif token.type == "th_open":
            token.attrSet("scope", "col")
    return parser.renderer.render(tokens, parser.options, {}), headings


def _without_title(tokens: list[Token]) -> list[Token]:
    """Drop the h1: the page template shows the title in its header, above the contents."""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[:index] + tokens[index + 3 :]
    return tokens


def _plain(markdown_inline: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown_inline)


def _slug(title: str, used: set[str]) -> str:
    ascii_title = unicodedata.normalize("NFKD", _plain(title)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug
