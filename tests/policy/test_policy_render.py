"""The statement rendered from the policy: every category, purpose, legal basis and
retention period in both languages and both formats, every section, valid HTML."""

from __future__ import annotations

import html
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest
from policy_helpers import Mutation

from trackguard.errors import TrackguardError
from trackguard.policy import Period, Policy
from trackguard.policy.render import (
    SECTIONS,
    SUBSECTIONS,
    format_article,
    format_period,
    labels,
    render_statement,
)

Build = Callable[[Mutation], Policy]
CASES = [(lang, fmt) for lang in ("nl", "en") for fmt in ("md", "html")]


@pytest.fixture(scope="module")
def rendered(policy: Policy) -> dict[tuple[str, str], str]:
    return {(lang, fmt): render_statement(policy, lang, fmt) for lang, fmt in CASES}


def _readable(text: str, fmt: str) -> str:
    """The words a reader sees: Markdown escapes and HTML entities undone."""
    if fmt == "html":
        return html.unescape(text)
    return text.replace("\\", "")


@pytest.mark.parametrize(("lang", "fmt"), CASES)
def test_every_category_appears(policy: Policy, rendered: Any, lang: str, fmt: str) -> None:
    text = _readable(rendered[lang, fmt], fmt)
    for category in policy.categories:
        assert category.name.get(lang) in text, category.key
        assert category.key in text
        assert category.dpv in text


@pytest.mark.parametrize(("lang", "fmt"), CASES)
def test_every_purpose_and_legal_basis_appears(
    policy: Policy, rendered: Any, lang: str, fmt: str
) -> None:
    text = _readable(rendered[lang, fmt], fmt)
    for purpose in policy.purposes:
        assert purpose.name.get(lang) in text, purpose.key
        assert purpose.description.get(lang) in text
        assert purpose.data_use in text
    for basis in policy.legal_bases:
        assert basis.name.get(lang) in text, basis.key
        assert format_article(basis.article, lang) in text


@pytest.mark.parametrize(("lang", "fmt"), CASES)
def test_every_retention_period_appears(policy: Policy, rendered: Any, lang: str, fmt: str) -> None:
    text = _readable(rendered[lang, fmt], fmt)
    for rule in policy.retention.rules:
        assert rule.statement.get(lang) in text, rule.key
        assert format_period(rule.period, lang) in text
    assert format_period(policy.rights.deadline, lang) in text


@pytest.mark.parametrize(("lang", "fmt"), CASES)
def test_every_section_heading_is_present(rendered: Any, lang: str, fmt: str) -> None:
    text = _readable(rendered[lang, fmt], fmt)
    headings = labels(lang)["sections"]
    for key in SECTIONS:
        marker = "## " if fmt == "md" else "<h2 id="
        assert any(
            line.startswith(marker) and headings[key] in line for line in text.splitlines()
        ), key
    for key in SUBSECTIONS:
        assert headings[key] in text, key


@pytest.mark.parametrize(("lang", "fmt"), CASES)
def test_statement_promises_of_the_source_text_are_rendered(
    policy: Policy, rendered: Any, lang: str, fmt: str
) -> None:
    text = _readable(rendered[lang, fmt], fmt)
    c = policy.controller
    for fact in (
        c.name,
        c.chamber_of_commerce,
        c.address.street,
        c.address.postal_code,
        c.phone,
        c.email,
        c.privacy_contact.email,
        *c.trade_names,
    ):
        assert fact in text
    assert c.supervisory_authority.complaint_url in text
    assert "privacy@connegtech.com" not in text
    for ground in policy.rights.restriction_grounds:
        assert ground.text.get(lang) in text
    for blackout in policy.rights.id_copy.blackout:
        assert blackout.name.get(lang) in text
    assert policy.rights.id_copy.guidance.get(lang) in text
    assert policy.rights.compromised_account.get(lang) in text
    for recipient in policy.recipients:
        assert recipient.name.get(lang) in text
    shield = policy.safeguard("eu_us_privacy_shield")
    assert shield.name.get(lang) in text and shield.note is not None
    assert shield.note.get(lang) in text
    assert labels(lang)["invalid"] in text


def test_dutch_and_english_use_their_own_words(rendered: Any) -> None:
    assert "14 dagen" in rendered["nl", "md"] and "14 days" in rendered["en", "md"]
    assert "uiterlijk binnen 4 weken" in rendered["nl", "md"]
    assert "at the latest within 4 weeks" in rendered["en", "md"]
    assert "art. 6 lid 1 sub a AVG" in rendered["nl", "md"]
    assert "GDPR Art. 6(1)(a)" in rendered["en", "md"]


class _Structure(HTMLParser):
    """Checks nesting (every opened element closed, in order) and collects what matters."""

    VOID: ClassVar[frozenset[str]] = frozenset({"meta", "link", "br", "hr", "img", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_html_is_a_valid_accessible_standalone_page(rendered: Any, lang: str) -> None:
    page = rendered[lang, "html"]
    assert page.startswith("<!DOCTYPE html>")
    parser = _Structure()
    parser.feed(page)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    tags = parser.tags
    assert ("html", {"lang": lang}) in tags
    assert any(t == "meta" and a.get("charset") == "utf-8" for t, a in tags)
    assert [t for t, _ in tags].count("h1") == 1 and [t for t, _ in tags].count("title") == 1
    assert any(t == "main" for t, _ in tags) and any(t == "nav" for t, _ in tags)
    # No external assets: no scripts, stylesheets, images or frames from anywhere.
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe")]
    # Every contents link points at a heading on the page.
    ids = {a.get("id") for _, a in tags if a.get("id")}
    anchors = [a["href"] for t, a in tags if t == "a" and (a.get("href") or "").startswith("#")]
    assert anchors and all(href[1:] in ids for href in anchors)
    assert all(a.get("scope") == "col" for t, a in tags if t == "th")


def test_policy_text_is_escaped_in_html_and_markdown(mutated: Build) -> None:
    hostile = "<script>alert(1)</script> & [link](javascript:alert(1)) *x*"

    def inject(d: dict[str, Any]) -> None:
        d["controller"]["description"]["en"] = hostile

    policy = mutated(inject)
    page = render_statement(policy, "en", "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
    assert 'href="javascript' not in page and "<em>x</em>" not in page
    markdown = render_statement(policy, "en", "md")
    assert "\\<script\\>" in markdown and "\\[link\\]" in markdown and "\\*x\\*" in markdown


@pytest.mark.parametrize(("lang", "fmt"), [("de", "md"), ("nl", "pdf")])
def test_unsupported_language_or_format_is_refused(policy: Policy, lang: str, fmt: str) -> None:
    with pytest.raises(TrackguardError, match="unsupported"):
        render_statement(policy, lang, fmt)


@pytest.mark.parametrize(
    ("iso", "nl", "en"),
    [
        ("P14D", "14 dagen", "14 days"),
        ("P1D", "1 dag", "1 day"),
        ("P3M", "3 maanden", "3 months"),
        ("P10Y", "10 jaar", "10 years"),
        ("P4W", "4 weken", "4 weeks"),
        ("P1Y6M", "1 jaar en 6 maanden", "1 year and 6 months"),
    ],
)
def test_periods_read_as_words(iso: str, nl: str, en: str) -> None:
    assert format_period(Period.parse(iso), "nl") == nl
    assert format_period(Period.parse(iso), "en") == en
