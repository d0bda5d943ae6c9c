"""Cross-reference validation: does the policy promise only what the code can keep?

Each problem is an `Issue` with the path of the offending value in the file, so
the loader can name its line. The checks here need only the policy and fideslang;
the comparison with the database models is `policy.check`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from trackguard.policy import taxonomy
from trackguard.policy.model import RIGHTS, Policy, RetentionRule
from trackguard.policy.source import Path
from trackguard.store.base import KEY_CLASSES


@dataclass(frozen=True)
class Issue:
    path: Path
    message: str


def validate(policy: Policy) -> list[Issue]:
    """Every cross-reference problem of `policy`, in file order."""
    checks = (
        _languages,
        _extensions,
        _categories,
        _data_subjects,
        _legal_bases,
        _purposes,
        _safeguards,
        _recipients,
        _retention,
        _records,
        _rights,
        _website,
    )
    return [issue for check in checks for issue in check(policy)]


def _duplicates(items: Iterable[str], section: str) -> Iterator[Issue]:
    values = list(items)
    for key, count in Counter(values).items():
        if count > 1:
            index = len(values) - 1 - values[::-1].index(key)
            yield Issue((section, index), f"'{key}' is declared {count} times")


def _languages(policy: Policy) -> Iterator[Issue]:
    if set(policy.policy.languages) != {"nl", "en"}:
        yield Issue(("policy", "languages"), "the statement is published in nl and en")


def _extensions(policy: Policy) -> Iterator[Issue]:
    fides = taxonomy.data_categories()
    yield from _duplicates((e.key for e in policy.extensions), "extensions")
    for i, ext in enumerate(policy.extensions):
        if ext.parent not in fides:
            yield Issue(
                ("extensions", i, "parent"),
                f"parent '{ext.parent}' is not a fideslang data category",
            )
        elif taxonomy.parent(ext.key) != ext.parent:
            yield Issue(
                ("extensions", i, "key"),
                f"'{ext.key}' must be one level below its parent '{ext.parent}'",
            )
        if ext.key in fides:
            yield Issue(
                ("extensions", i, "key"),
                f"'{ext.key}' is already a fideslang key; do not redeclare it",
            )


def _known(policy: Policy, key: str) -> bool:
    return policy.is_known_category(key)


def _categories(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((c.key for c in policy.categories), "categories")
    for i, cat in enumerate(policy.categories):
        if not _known(policy, cat.key):
            yield Issue(
                ("categories", i, "key"),
                f"unknown taxonomy key '{cat.key}' (not fideslang, not an extension)",
            )
        elif not taxonomy.is_personal(cat.key):
            yield Issue(
                ("categories", i, "key"),
                f"'{cat.key}' is not personal data (user.*); do not declare it",
            )
        if len(set(cat.collected)) != len(cat.collected):
            yield Issue(("categories", i, "collected"), "a collection method is repeated")


def _declared_category(policy: Policy, key: str) -> bool:
    return _known(policy, key) and taxonomy.covered_by(key, (c.key for c in policy.categories))


def _category_refs(policy: Policy, keys: Iterable[str], path: Path) -> Iterator[Issue]:
    for j, key in enumerate(keys):
        if not _known(policy, key):
            yield Issue((*path, j), f"unknown taxonomy key '{key}'")
        elif not _declared_category(policy, key):
            yield Issue((*path, j), f"category '{key}' is not declared under categories")


def _data_subjects(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((s.key for s in policy.data_subjects), "data_subjects")
    for i, subject in enumerate(policy.data_subjects):
        if subject.fides_key is not None and subject.fides_key not in taxonomy.data_subjects():
            yield Issue(
                ("data_subjects", i, "fides_key"),
                f"'{subject.fides_key}' is not a fideslang data subject",
            )
        yield from _category_refs(policy, subject.categories, ("data_subjects", i, "categories"))


def _legal_bases(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((b.key for b in policy.legal_bases), "legal_bases")
    articles = {
        "contract": "6(1)(b)",
        "legitimate_interest": "6(1)(f)",
        "legal_obligation": "6(1)(c)",
        "consent": "6(1)(a)",
    }
    for i, basis in enumerate(policy.legal_bases):
        if basis.article != articles[basis.key]:
            yield Issue(
                ("legal_bases", i, "article"),
                f"{basis.key} is GDPR Art. {articles[basis.key]}, not {basis.article}",
            )


def _purposes(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((p.key for p in policy.purposes), "purposes")
    bases = {b.key for b in policy.legal_bases}
    subjects = {s.key for s in policy.data_subjects}
    for i, purpose in enumerate(policy.purposes):
        here = ("purposes", i)
        if purpose.data_use not in taxonomy.data_uses():
            yield Issue(
                (*here, "data_use"),
                f"unknown data use '{purpose.data_use}' (not a fideslang data use)",
            )
        if purpose.legal_basis not in bases:
            yield Issue(
                (*here, "legal_basis"),
                f"legal basis '{purpose.legal_basis}' is not declared under legal_bases",
            )
        if purpose.legal_basis == "consent" and purpose.consent_prompt is None:
            yield Issue(
                (*here, "consent_prompt"),
                "a consent purpose needs the consent_prompt people agree to",
            )
        if purpose.legal_basis != "consent" and purpose.consent_prompt is not None:
            yield Issue((*here, "consent_prompt"), "only consent purposes ask for consent")
        if purpose.objection_absolute and purpose.legal_basis != "legitimate_interest":
            yield Issue(
                (*here, "objection_absolute"),
                "objection applies to legitimate-interest purposes only",
            )
        for j, subject in enumerate(purpose.data_subjects):
            if subject not in subjects:
                yield Issue(
                    (*here, "data_subjects", j),
                    f"data subject '{subject}' is not declared under data_subjects",
                )
        yield from _category_refs(policy, purpose.categories, (*here, "categories"))


def _safeguards(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((s.key for s in policy.safeguards), "safeguards")
    keys = {s.key for s in policy.safeguards}
    valid = {s.key for s in policy.safeguards if s.status == "valid"}
    for i, guard in enumerate(policy.safeguards):
        if guard.status == "invalid" and not guard.superseded_by:
            yield Issue(
                ("safeguards", i, "superseded_by"),
                f"invalid safeguard '{guard.key}' must name what supersedes it",
            )
        if guard.status == "invalid" and guard.note is None:
            yield Issue(("safeguards", i), f"invalid safeguard '{guard.key}' needs a note")
        for j, other in enumerate(guard.superseded_by):
            if other not in keys:
                yield Issue(
                    ("safeguards", i, "superseded_by", j), f"safeguard '{other}' is not declared"
                )
            elif other not in valid:
                yield Issue(
                    ("safeguards", i, "superseded_by", j), f"safeguard '{other}' is itself invalid"
                )


def _recipients(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((r.key for r in policy.recipients), "recipients")
    purposes = {p.key for p in policy.purposes}
    guards = {s.key: s for s in policy.safeguards}
    for i, rec in enumerate(policy.recipients):
        here = ("recipients", i)
        for j, purpose in enumerate(rec.purposes):
            if purpose not in purposes:
                yield Issue((*here, "purposes", j), f"purpose '{purpose}' is not declared")
        for j, key in enumerate(rec.safeguards):
            if key not in guards:
                yield Issue((*here, "safeguards", j), f"safeguard '{key}' is not declared")
        for j, country in enumerate(rec.third_countries):
            if country == "EEA":
                yield Issue((*here, "third_countries", j), "the EEA is not a third country")
        if (
            rec.third_countries
            and rec.personal_data
            and not any(guards[k].status == "valid" for k in rec.safeguards if k in guards)
        ):
            yield Issue(
                (*here, "safeguards"),
                "a transfer to a third country needs at least one valid safeguard",
            )
        if rec.kind == "processor" and not rec.processing_agreement:
            yield Issue(
                (*here, "processing_agreement"),
                "a processor works only under a processing agreement (Art. 28)",
            )


def _records(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((r.table for r in policy.records), "records")
    purposes = {p.key: p for p in policy.purposes}
    rules = {r.key: r for r in policy.retention.rules}
    for i, rec in enumerate(policy.records):
        here = ("records", i)
        yield from _category_refs(policy, rec.categories, (*here, "categories"))
        for j, key in enumerate(rec.purposes):
            if key not in purposes:
                yield Issue((*here, "purposes", j), f"purpose '{key}' is not declared")
        personal = [c for c in rec.categories if taxonomy.is_personal(c)]
        if personal and not rec.purposes:
            yield Issue((*here, "purposes"), "a record holding personal data needs a purpose")
        # Purpose limitation: everything the record holds is held for one of its purposes.
        allowed = [c for p in rec.purposes if p in purposes for c in purposes[p].categories]
        for j, cat in enumerate(rec.categories):
            if (
                rec.purposes
                and taxonomy.is_personal(cat)
                and _known(policy, cat)
                and not (taxonomy.covered_by(cat, allowed))
            ):
                yield Issue(
                    (*here, "categories", j),
                    f"no purpose of record '{rec.table}' processes '{cat}'",
                )
        if personal and not rec.retention:
            yield Issue(
                (*here, "retention"), "a record holding personal data needs a retention rule"
            )
        for j, key in enumerate(rec.retention):
            if key not in rules:
                yield Issue((*here, "retention", j), f"retention rule '{key}' is not declared")
            elif rec.table not in rules[key].records:
                yield Issue(
                    (*here, "retention", j),
                    f"retention rule '{key}' has no target for record '{rec.table}'",
                )


def _retention(policy: Policy) -> Iterator[Issue]:
    yield from _duplicates((r.key for r in policy.retention.rules), "retention.rules")
    for i, rule in enumerate(policy.retention.rules):
        yield from _rule(policy, rule, ("retention", "rules", i))


def _rule(policy: Policy, rule: RetentionRule, here: Path) -> Iterator[Issue]:
    records = {r.table: r for r in policy.records}
    if rule.action == "destroy_keys" and not rule.key_classes:
        yield Issue((*here, "key_classes"), "destroy_keys needs the key classes to destroy")
    for j, key_class in enumerate(rule.key_classes):
        if key_class not in KEY_CLASSES:
            yield Issue(
                (*here, "key_classes", j),
                f"unknown key class '{key_class}' (one of {', '.join(KEY_CLASSES)})",
            )
    if rule.trigger == "consent_withdrawal":
        if rule.purpose is None:
            yield Issue((*here, "purpose"), "consent_withdrawal needs the consent purpose")
        elif rule.purpose not in {p.key for p in policy.purposes}:
            yield Issue((*here, "purpose"), f"purpose '{rule.purpose}' is not declared")
        elif policy.purpose(rule.purpose).legal_basis != "consent":
            yield Issue((*here, "purpose"), f"purpose '{rule.purpose}' is not consent-based")
    elif rule.purpose is not None:
        yield Issue((*here, "purpose"), "only consent_withdrawal rules name a purpose")
    if rule.trigger == "unreferenced" and not rule.referenced_by:
        yield Issue((*here, "referenced_by"), "unreferenced needs the referencing columns")
    if rule.trigger != "unreferenced" and rule.referenced_by:
        yield Issue((*here, "referenced_by"), "only unreferenced rules name referencing columns")
    for j, ref in enumerate(rule.referenced_by):
        table = ref.split(".")[0]
        if table not in records:
            yield Issue((*here, "referenced_by", j), f"record '{table}' is not declared")
    seen: set[str] = set()
    for j, target in enumerate(rule.targets):
        at = (*here, "targets", j)
        if target.record in seen:
            yield Issue((*at, "record"), f"record '{target.record}' is targeted twice")
        seen.add(target.record)
        if target.record not in records:
            yield Issue((*at, "record"), f"record '{target.record}' is not declared")
        elif rule.key not in records[target.record].retention:
            yield Issue(
                (*at, "record"),
                f"record '{target.record}' does not list retention rule '{rule.key}'",
            )
        yield from _trigger_columns(rule, target.counts_from, target.due_when_set, at)
        if target.exempt_if is not None and target.exempt_if == target.only_if:
            yield Issue((*at, "only_if"), "a column cannot both exempt and select rows")


def _trigger_columns(
    rule: RetentionRule, counts_from: tuple[str, ...], due_when_set: str | None, at: Path
) -> Iterator[Issue]:
    need = {
        "age": (1, 1),
        "inactivity": (1, 8),
        "consent_withdrawal": (0, 0),
        "verification_end": (1, 1),
        "unreferenced": (1, 1),
    }[rule.trigger]
    if not need[0] <= len(counts_from) <= need[1]:
        wanted = {
            (1, 1): "exactly one column",
            (1, 8): "at least one column",
            (0, 0): "no column (the clock starts at the withdrawal)",
        }[need]
        yield Issue((*at, "counts_from"), f"trigger '{rule.trigger}' counts from {wanted}")
    if rule.trigger == "verification_end" and due_when_set is None:
        yield Issue(
            (*at, "due_when_set"), "verification_end needs the column set when verification ends"
        )
    if rule.trigger != "verification_end" and due_when_set is not None:
        yield Issue((*at, "due_when_set"), "only verification_end rules use due_when_set")


def _rights(policy: Policy) -> Iterator[Issue]:
    rights = policy.rights
    yield from _duplicates((r.key for r in rights.items), "rights.items")
    declared = {r.key for r in rights.items}
    for missing in sorted(set(RIGHTS) - declared):
        yield Issue(("rights", "items"), f"the statement grants the right '{missing}'")
    if rights.extension.max.approx_days() > 62:
        yield Issue(
            ("rights", "extension", "max"), "GDPR Art. 12(3) allows at most two further months"
        )
    if rights.deadline.approx_days() > 31:
        yield Issue(("rights", "deadline"), "GDPR Art. 12(3) requires an answer within a month")
    rule_keys = {r.key for r in policy.retention.rules}
    if rights.id_copy.retention_rule not in rule_keys:
        yield Issue(
            ("rights", "id_copy", "retention_rule"),
            f"retention rule '{rights.id_copy.retention_rule}' is not declared",
        )
    for j, key in enumerate(rights.id_copy.applies_to):
        if key not in declared:
            yield Issue(("rights", "id_copy", "applies_to", j), f"right '{key}' is not declared")


def _website(policy: Policy) -> Iterator[Issue]:
    if policy.website.analytics_recipient not in {r.key for r in policy.recipients}:
        yield Issue(
            ("website", "analytics_recipient"),
            f"recipient '{policy.website.analytics_recipient}' is not declared",
        )
