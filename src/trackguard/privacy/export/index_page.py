"""index.html: the export explained in the subject's language, from the policy.

For every category of personal data the subject's rows hold, the page lists the
records it sits in (count, where in the archive, a few values), the purposes of
those records that use the category, their legal bases, the recipients of those
purposes, the retention rules of those records and how the category is collected.
Every fact is looked up in the policy; the words around them come from
`templates/labels.yaml` and the statement's own labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from trackguard.policy import Policy
from trackguard.policy.model import Category, Purpose, Recipient, RetentionRule
from trackguard.policy.render import format_article, format_period
from trackguard.policy.render import labels as statement_labels
from trackguard.policy.source import safe_yaml
from trackguard.policy.taxonomy import covers
from trackguard.privacy.export.collect import Held


@dataclass(frozen=True)
class HeldRecord:
    name: str
    count: str  # "12 records" / "3,400 positions and 12 trips"
    members: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Basis:
    purpose: str
    basis: str  # "Overeenkomst (art. 6 lid 1 sub b AVG)"


@dataclass(frozen=True)
class Kept:
    rule: str
    period: str
    then: str
    statement: str


@dataclass(frozen=True)
class CategoryView:
    key: str
    name: str
    description: str
    records: tuple[HeldRecord, ...]
    purposes: tuple[Basis, ...]
    recipients: tuple[str, ...]
    retention: tuple[Kept, ...]
    sources: tuple[str, ...]


def labels(lang: str) -> dict[str, Any]:
    """The export page's words in `lang`."""
    return _all_labels()[lang]


@lru_cache(maxsize=1)
def _all_labels() -> dict[str, dict[str, Any]]:
    text = (
        resources.files("trackguard.privacy.export")
        .joinpath("templates/labels.yaml")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, dict[str, Any]] = safe_yaml(text)
    return loaded


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("trackguard.privacy.export", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _purpose_uses(purpose: Purpose, category: str) -> bool:
    """Whether `purpose` declares `category`, an ancestor of it, or a part of it."""
    return any(covers(c, category) or covers(category, c) for c in purpose.categories)


def category_views(
    policy: Policy, held: Iterable[Held], lang: str, summaries: Mapping[str, str]
) -> list[CategoryView]:
    """One view per category held, in the policy's order of categories."""
    L, S = labels(lang), statement_labels(lang)
    by_category: dict[str, list[Held]] = {}
    for record in held:
        for key in record.categories:
            by_category.setdefault(key, []).append(record)
    views = []
    for category in policy.categories:
        records = by_category.get(category.key)
        if records:
            views.append(_view(policy, category, records, lang, L, S, summaries))
    return views


def _view(
    policy: Policy,
    category: Category,
    records: list[Held],
    lang: str,
    L: Mapping[str, Any],
    S: Mapping[str, Any],
    summaries: Mapping[str, str],
) -> CategoryView:
    purposes: list[Purpose] = []
    rules: list[RetentionRule] = []
    shown = []
    for held in records:
        record = policy.record(held.table)
        declared = [policy.purpose(p) for p in record.purposes]
        using = [p for p in declared if _purpose_uses(p, category.key)] or declared
        purposes += [p for p in using if p not in purposes]
        rules += [r for r in policy.rules_for(held.table) if r not in rules]
        count = summaries.get(held.table) or str(L["values"]).format(
            count=held.categories[category.key]
        )
        shown.append(
            HeldRecord(
                record.name.get(lang),
                count,
                tuple(held.members),
                tuple(held.samples.get(category.key, ())),
            )
        )
    recipients: list[Recipient] = []
    for purpose in purposes:
        recipients += [
            r for r in policy.recipients_for(purpose.key) if r.personal_data and r not in recipients
        ]
    return CategoryView(
        key=category.key,
        name=category.name.get(lang),
        description=category.description.get(lang),
        records=tuple(shown),
        purposes=tuple(Basis(p.name.get(lang), _basis(policy, p, lang)) for p in purposes),
        recipients=tuple(_recipient(r, lang, S) for r in recipients),
        retention=tuple(
            Kept(
                r.name.get(lang),
                format_period(r.period, lang),
                str(S["actions"][r.action]),
                r.statement.get(lang),
            )
            for r in rules
        ),
        sources=tuple(str(S["collected"][m]) for m in category.collected),
    )


def _basis(policy: Policy, purpose: Purpose, lang: str) -> str:
    basis = policy.legal_basis(purpose.legal_basis)
    return f"{basis.name.get(lang)} ({format_article(basis.article, lang)})"


def _recipient(recipient: Recipient, lang: str, S: Mapping[str, Any]) -> str:
    countries = ", ".join(str(S["country_names"].get(c, c)) for c in recipient.countries)
    return f"{recipient.name.get(lang)} ({countries})"


def render_index(
    policy: Policy,
    *,
    lang: str,
    kind: str,
    held: Iterable[Held],
    summaries: Mapping[str, str],
    members: Iterable[str],
    made_at: datetime,
) -> str:
    """The index page (a complete HTML document, no external assets)."""
    L = labels(lang)
    controller = policy.controller
    right = policy.right(kind)
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            lang=lang,
            L=L,
            title=str(L["title"]).format(controller=controller.name),
            kind_title=str(L["kind"][kind]),
            right=f"{right.name.get(lang)} ({format_article(right.article, lang)})",
            right_text=right.description.get(lang),
            scope=str(L[f"{kind}_scope"]),
            made=str(L["made"]).format(
                date=made_at.strftime("%Y-%m-%d %H:%M"), version=policy.version_id
            ),
            members=[(m, str(L["members"].get(m, ""))) for m in members],
            categories=category_views(policy, held, lang, summaries),
            controller=controller,
            contact_role=controller.privacy_contact.role.get(lang),
            no_recipients=str(L["no_recipients"]).format(controller=controller.name),
        )
    )
