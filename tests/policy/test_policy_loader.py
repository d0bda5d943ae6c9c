"""Loading the policy: the packaged one loads; a broken one names file, line and field;
a policy promising what the code cannot keep is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_helpers import Mutation, item, line_of

from trackguard.errors import PolicyError
from trackguard.policy import Policy, load_policy, parse_policy
from trackguard.store.models import ConsentEvent

Build = Callable[[Mutation], Policy]


def test_packaged_policy_loads_with_version_and_source(policy: Policy) -> None:
    assert policy.version == "2019-05-13.1"
    assert policy.source is not None and policy.source.name == "conneqtech.yaml"
    assert len(policy.content_hash) == 64
    assert policy.version_id == f"{policy.version}+{policy.content_hash[:12]}"


def test_version_id_fits_the_consent_event_column(policy: Policy) -> None:
    column = ConsentEvent.__table__.c.policy_version
    assert len(policy.version_id) <= column.type.length


def test_accessors_find_records_categories_purposes_and_rules(policy: Policy) -> None:
    assert policy.record("customers").retention == ("account_inactivity",)
    # A key the policy does not list resolves to its nearest declared ancestor.
    assert policy.category("user.name.first").key == "user.name"
    assert policy.purpose("newsletter").legal_basis == "consent"
    assert policy.basis_of("direct_marketing").article == "6(1)(f)"
    assert policy.rule("chat_contact").period.iso == "P14D"
    assert {r.key for r in policy.rules_for("positions")} == {
        "location_history",
        "unlinked_positions",
    }
    assert [p.key for p in policy.purposes_for("chat_messages")] == ["customer_service"]
    assert policy.record_covers("customers", "user.name.last")
    assert not policy.record_covers("customers", "user.financial.bank_account")
    with pytest.raises(PolicyError, match="no record 'nope'"):
        policy.record("nope")


def test_content_hash_ignores_comments_but_not_promises(policy_text: str) -> None:
    base = parse_policy(policy_text)
    commented = parse_policy("# an extra comment\n" + policy_text)
    assert commented.content_hash == base.content_hash
    changed = parse_policy(policy_text.replace("period: P14D", "period: P15D"))
    assert changed.content_hash != base.content_hash


# -- malformed files: file, line and field --------------------------------------------


def test_yaml_syntax_error_names_file_and_line(policy_text: str, tmp_path: Path) -> None:
    lines = policy_text.splitlines()
    at = line_of(policy_text, "chamber_of_commerce:")
    lines[at - 1] = '  chamber_of_commerce: "63567385'  # unterminated string
    path = tmp_path / "broken.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.file == str(path)
    assert caught.value.line is not None and caught.value.line >= at
    assert "YAML syntax error" in str(caught.value)


def test_wrong_type_names_line_and_field(policy_text: str) -> None:
    at = line_of(policy_text, "chamber_of_commerce:")
    text = policy_text.replace('chamber_of_commerce: "63567385"', "chamber_of_commerce: [1]")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, file="p.yaml")
    assert (caught.value.file, caught.value.line) == ("p.yaml", at)
    assert caught.value.field == "controller.chamber_of_commerce"
    assert str(caught.value).startswith(f"p.yaml:{at}, field 'controller.chamber_of_commerce'")


def test_missing_field_names_the_enclosing_mapping(policy_text: str) -> None:
    text = policy_text.replace("  revised: 2019-05-13\n", "")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, file="p.yaml")
    assert caught.value.line == line_of(text, "policy:")
    assert caught.value.field == "policy.revised"
    assert "missing required field 'revised'" in str(caught.value)


def test_unknown_key_is_refused_at_its_line(policy_text: str) -> None:
    text = policy_text.replace(
        "  phone: +31 33-2053400\n", "  phone: +31 33-2053400\n  fax: +31 33-0000000\n"
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, file="p.yaml")
    assert caught.value.line == line_of(text, "fax:")
    assert caught.value.field == "controller.fax"
    assert "unknown key 'fax'" in str(caught.value)


def test_list_items_are_named_by_their_key(policy_text: str) -> None:
    at = line_of(policy_text, "data_use: marketing.communications.email")
    text = policy_text.replace(
        "data_use: marketing.communications.email", "data_use: marketing.pigeon_post"
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, file="p.yaml")
    assert caught.value.line == at
    assert caught.value.field == "purposes[newsletter].data_use"
    assert "unknown data use 'marketing.pigeon_post'" in str(caught.value)


def test_duplicate_key_is_refused(policy_text: str) -> None:
    text = policy_text.replace(
        "  phone: +31 33-2053400\n", "  phone: +31 33-2053400\n  phone: +31 00-0000000\n"
    )
    with pytest.raises(PolicyError, match="duplicate key 'phone'") as caught:
        parse_policy(text, file="p.yaml")
    assert caught.value.line == line_of(text, "+31 00-0000000")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("- a\n- b\n", "mapping of sections"),
        ("a: &x 1\n<<: *x\n", "merge"),
    ],
)
def test_empty_list_or_merge_files_are_refused(text: str, reason: str) -> None:
    with pytest.raises(PolicyError, match=reason):
        parse_policy(text, file="p.yaml")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found") as caught:
        load_policy(tmp_path / "absent.yaml")
    assert caught.value.file == str(tmp_path / "absent.yaml")


# -- promises the code cannot keep -----------------------------------------------------


def _rule(data: dict[str, Any], key: str) -> dict[str, Any]:
    return item(data["retention"]["rules"], key)


REFUSED: dict[str, tuple[Mutation, str, str]] = {
    "unknown action": (
        lambda d: _rule(d, "chat_contact").update(action="shred_later"),
        "retention.rules[chat_contact].action",
        "Input should be",
    ),
    "unknown trigger": (
        lambda d: _rule(d, "chat_contact").update(trigger="full_moon"),
        "retention.rules[chat_contact].trigger",
        "Input should be",
    ),
    "zero period": (
        lambda d: _rule(d, "chat_contact").update(period="P0D"),
        "retention.rules[chat_contact].period",
        "is zero",
    ),
    "negative period": (
        lambda d: _rule(d, "chat_contact").update(period="-P14D"),
        "retention.rules[chat_contact].period",
        "not an ISO 8601 period",
    ),
    "unparseable period": (
        lambda d: _rule(d, "chat_contact").update(period="two weeks"),
        "retention.rules[chat_contact].period",
        "not an ISO 8601 period",
    ),
    "rule on undeclared record": (
        lambda d: _rule(d, "chat_contact")["targets"][0].update(record="chats"),
        "retention.rules[chat_contact].targets[chats].record",
        "'chats' is not declared",
    ),
    "record lists a rule that skips it": (
        lambda d: item(d["records"], "emails", "table")["retention"].append("chat_contact"),
        "records[emails].retention[1]",
        "has no target for record 'emails'",
    ),
    "personal record without retention": (
        lambda d: (
            item(d["records"], "emails", "table").update(retention=[]),
            _rule(d, "correspondence").update(targets=_rule(d, "correspondence")["targets"][1:]),
        ),
        "records[emails].retention",
        "needs a retention rule",
    ),
    "extension parent not fideslang": (
        lambda d: item(d["extensions"], "user.demographic.nationality").update(
            parent="user.citizenship"
        ),
        "extensions[user.demographic.nationality].parent",
        "not a fideslang data category",
    ),
    "extension skipping a level": (
        lambda d: item(d["extensions"], "user.demographic.nationality").update(parent="user"),
        "extensions[user.demographic.nationality].key",
        "one level below",
    ),
    "unknown legal basis": (
        lambda d: item(d["purposes"], "newsletter").update(legal_basis="vital_interest"),
        "purposes[newsletter].legal_basis",
        "Input should be",
    ),
    "legal basis not declared": (
        lambda d: d.update(legal_bases=[b for b in d["legal_bases"] if b["key"] != "consent"]),
        "purposes[newsletter].legal_basis",
        "not declared under legal_bases",
    ),
    "wrong gdpr article": (
        lambda d: item(d["legal_bases"], "consent").update(article="6(1)(b)"),
        "legal_bases[consent].article",
        "Art. 6(1)(a)",
    ),
    "unknown data use": (
        lambda d: item(d["purposes"], "newsletter").update(data_use="marketing.carrier_pigeon"),
        "purposes[newsletter].data_use",
        "unknown data use",
    ),
    "consent purpose without prompt": (
        lambda d: item(d["purposes"], "newsletter").pop("consent_prompt"),
        "purposes[newsletter].consent_prompt",
        "consent_prompt",
    ),
    "consent rule on a non-consent purpose": (
        lambda d: _rule(d, "social_media_consent").update(purpose="direct_marketing"),
        "retention.rules[social_media_consent].purpose",
        "not consent-based",
    ),
    "destroy_keys without key classes": (
        lambda d: _rule(d, "chat_contact").update(action="destroy_keys"),
        "retention.rules[chat_contact].key_classes",
        "needs the key classes",
    ),
    "unknown key class": (
        lambda d: _rule(d, "account_inactivity").update(key_classes=["everything"]),
        "retention.rules[account_inactivity].key_classes[0]",
        "unknown key class",
    ),
    "age rule with two clocks": (
        lambda d: _rule(d, "chat_contact")["targets"][0].update(counts_from=["sent_at", "sent_at"]),
        "retention.rules[chat_contact].targets[chat_messages].counts_from",
        "exactly one",
    ),
    "verification rule without end column": (
        lambda d: _rule(d, "id_copy")["targets"][0].pop("due_when_set"),
        "retention.rules[id_copy].targets[identity_documents].due_when_set",
        "verification ends",
    ),
    "undeclared category on a record": (
        lambda d: item(d["records"], "emails", "table")["categories"].append(
            "user.biometric.retinal"
        ),
        "records[emails].categories[1]",
        "not declared under categories",
    ),
    "purpose limitation": (
        lambda d: item(d["records"], "chat_messages", "table")["categories"].append(
            "user.financial.bank_account"
        ),
        "records[chat_messages].categories[1]",
        "no purpose of record",
    ),
    "transfer on an invalid safeguard only": (
        lambda d: item(d["recipients"], "google_analytics").update(
            safeguards=["eu_us_privacy_shield"]
        ),
        "recipients[google_analytics].safeguards",
        "valid safeguard",
    ),
    "processor without agreement": (
        lambda d: item(d["recipients"], "hosting").update(processing_agreement=False),
        "recipients[hosting].processing_agreement",
        "processing agreement",
    ),
    "a right the statement grants is missing": (
        lambda d: d["rights"].update(
            items=[r for r in d["rights"]["items"] if r["key"] != "portability"]
        ),
        "rights.items",
        "'portability'",
    ),
    "answer later than a month": (
        lambda d: d["rights"].update(deadline="P2M"),
        "rights.deadline",
        "within a month",
    ),
    "duplicate record": (
        lambda d: d["records"].append(dict(item(d["records"], "emails", "table"))),
        "records[emails]",
        "declared 2 times",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_policy_promising_what_code_cannot_keep_is_refused(mutated: Build, case: str) -> None:
    mutate, field, reason = REFUSED[case]
    with pytest.raises(PolicyError) as caught:
        mutated(mutate)
    assert caught.value.field == field, str(caught.value)
    assert reason in str(caught.value)
    assert caught.value.file == "mutated.yaml" and caught.value.line is not None
