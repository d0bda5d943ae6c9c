"""What the subject is told at each step of a request, in their language (nl/en). Pure.

A `Notice` has the e-mail's subject and body and `record`: what is kept in
`request_events.notice` as proof of what the subject was told. The record never
holds a secret (the e-mailed token) and never personal data beyond the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from trackguard.clock import as_utc
from trackguard.policy import Policy


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str
    record: str


_TEXT: dict[str, dict[str, str]] = {
    "token_subject": {
        "nl": "Bevestig uw privacyverzoek",
        "en": "Confirm your privacy request",
    },
    "token_body": {
        "nl": (
            "Wij ontvingen een verzoek ({kind}) over uw persoonsgegevens. Was u dat, bevestig "
            "het dan met deze code:\n\n    {token}\n\nDe code is geldig tot {expires} (UTC) en "
            "werkt één keer. Heeft u niets gevraagd, negeer dit bericht dan."
        ),
        "en": (
            "We received a request ({kind}) about your personal data. If it was you, confirm "
            "it with this code:\n\n    {token}\n\nThe code is valid until {expires} (UTC) and "
            "works once. If you did not ask for anything, ignore this message."
        ),
    },
    "token_record": {
        "nl": "Bevestigingscode gemaild naar het bekende e-mailadres, geldig tot {expires}.",
        "en": "Confirmation code e-mailed to the address on file, valid until {expires}.",
    },
    "extended_subject": {
        "nl": "Wij hebben meer tijd nodig voor uw privacyverzoek",
        "en": "We need more time for your privacy request",
    },
    "extended_body": {
        "nl": "{policy_text}\n\nReden: {reason}\nWij antwoorden uiterlijk op {due} (UTC).",
        "en": "{policy_text}\n\nReason: {reason}\nWe will answer by {due} (UTC) at the latest.",
    },
    "refused_subject": {
        "nl": "Uw privacyverzoek is afgewezen",
        "en": "Your privacy request was refused",
    },
    "refused_body": {
        "nl": ("Wij kunnen uw verzoek ({kind}) niet uitvoeren.\n\nReden: {reason}\n\n{complaint}"),
        "en": "We cannot carry out your request ({kind}).\n\nReason: {reason}\n\n{complaint}",
    },
    "completed_subject": {
        "nl": "Uw privacyverzoek is afgehandeld",
        "en": "Your privacy request has been handled",
    },
    "completed_body": {
        "nl": "Wij hebben uw verzoek ({kind}) afgehandeld.\n\n{outcome}",
        "en": "We have handled your request ({kind}).\n\n{outcome}",
    },
    "id_copy_asked": {
        "nl": (
            "Wij vragen een kopie van uw identiteitsbewijs omdat wij uw identiteit niet op een "
            "andere manier kunnen vaststellen ({reason}). Maak zwart: {items}."
        ),
        "en": (
            "We ask for a copy of your identity document because we cannot establish your "
            "identity in another way ({reason}). Black out: {items}."
        ),
    },
    "id_copy_rejected_subject": {
        "nl": "Uw kopie identiteitsbewijs is niet geaccepteerd",
        "en": "Your copy of your identity document was not accepted",
    },
    "id_copy_missing": {
        "nl": (
            "Wij hebben uw kopie niet geaccepteerd en direct verwijderd: niet zwart gemaakt "
            "was {items}. Stuur een nieuwe kopie waarop dat zwart is gemaakt."
        ),
        "en": (
            "We did not accept your copy and deleted it at once: not blacked out was {items}. "
            "Send a new copy with that blacked out."
        ),
    },
    "id_copy_mismatch": {
        "nl": (
            "Wij hebben uw kopie niet geaccepteerd en direct verwijderd: het document toont "
            "niet de identiteit van de accounthouder."
        ),
        "en": (
            "We did not accept your copy and deleted it at once: the document does not show "
            "the identity of the account holder."
        ),
    },
}

_KINDS: dict[str, dict[str, str]] = {
    "access": {"nl": "inzage", "en": "access"},
    "portability": {"nl": "gegevensoverdraagbaarheid", "en": "data portability"},
    "rectification": {"nl": "correctie", "en": "rectification"},
    "restriction": {"nl": "beperking", "en": "restriction"},
    "erasure": {"nl": "verwijdering", "en": "erasure"},
    "objection": {"nl": "bezwaar", "en": "objection"},
    "withdrawal": {"nl": "intrekking van toestemming", "en": "withdrawal of consent"},
}


def _lang(language: str) -> str:
    return language if language in ("nl", "en") else "nl"


def _t(key: str, language: str, **values: str) -> str:
    return _TEXT[key][_lang(language)].format(**values)


def kind_name(kind: str, language: str) -> str:
    return _KINDS.get(kind, {}).get(_lang(language), kind)


def _moment(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M")


def token_notice(kind: str, token: str, expires: datetime, language: str) -> Notice:
    when = _moment(expires)
    return Notice(
        subject=_t("token_subject", language),
        body=_t("token_body", language, kind=kind_name(kind, language), token=token, expires=when),
        record=_t("token_record", language, expires=when),
    )


def extension_notice(policy: Policy, reason: str, due: datetime, language: str) -> Notice:
    body = _t(
        "extended_body",
        language,
        policy_text=policy.rights.extension.text.get(_lang(language)),
        reason=reason,
        due=_moment(due),
    )
    return Notice(_t("extended_subject", language), body, body)


def refusal_notice(policy: Policy, kind: str, reason: str, language: str) -> Notice:
    body = _t(
        "refused_body",
        language,
        kind=kind_name(kind, language),
        reason=reason,
        complaint=policy.complaints.authority.get(_lang(language)),
    )
    return Notice(_t("refused_subject", language), body, body)


def completion_notice(kind: str, outcome: str, language: str) -> Notice:
    body = _t("completed_body", language, kind=kind_name(kind, language), outcome=outcome)
    return Notice(_t("completed_subject", language), body, body)


def id_copy_request_record(policy: Policy, reason: str, language: str) -> str:
    items = ", ".join(b.name.get(_lang(language)) for b in policy.rights.id_copy.blackout)
    return _t("id_copy_asked", language, reason=reason, items=items)


def id_copy_rejection(
    policy: Policy, missing: Sequence[str], identity_matches: bool, language: str
) -> Notice:
    lang = _lang(language)
    if missing:
        names = [b.name.get(lang) for b in policy.rights.id_copy.blackout if b.key in missing]
        body = _t("id_copy_missing", lang, items=", ".join(names))
    else:
        body = _t("id_copy_mismatch", lang)
    if missing and not identity_matches:
        body += "\n\n" + _t("id_copy_mismatch", lang)
    return Notice(_t("id_copy_rejected_subject", lang), body, body)


_OUTCOME: dict[str, dict[str, str]] = {
    "export": {
        "nl": "Uw gegevens staan klaar in het bestand {file}.",
        "en": "Your data is ready in the file {file}.",
    },
    "rectified": {
        "nl": "Wij hebben uw gegevens gecorrigeerd: {fields}.",
        "en": "We have corrected your data: {fields}.",
    },
    "restricted": {
        "nl": "De verwerking van uw gegevens ({scope}) is beperkt. {effect}",
        "en": "The processing of your data ({scope}) is restricted. {effect}",
    },
    "restricted_all": {"nl": "alle doeleinden", "en": "all purposes"},
    "objected": {
        "nl": "Wij verwerken uw gegevens niet meer voor: {purpose}.",
        "en": "We no longer process your data for: {purpose}.",
    },
    "withdrawn": {
        "nl": "Uw toestemming voor {purpose} is ingetrokken.",
        "en": "Your consent for {purpose} has been withdrawn.",
    },
}


def outcome_text(key: str, language: str, **values: str) -> str:
    return _OUTCOME[key][_lang(language)].format(**values)


def export_outcome(file_name: str, language: str) -> str:
    return outcome_text("export", language, file=file_name)


def rectified_outcome(fields: Sequence[str], language: str) -> str:
    return outcome_text("rectified", language, fields=", ".join(fields))


def restricted_outcome(policy: Policy, purpose: str | None, language: str) -> str:
    lang = _lang(language)
    scope = policy.purpose(purpose).name.get(lang) if purpose else _OUTCOME["restricted_all"][lang]
    effect = policy.rights.restriction_effect.get(lang)
    return outcome_text("restricted", lang, scope=scope, effect=effect)


def objected_outcome(policy: Policy, purpose: str, language: str) -> str:
    lang = _lang(language)
    return outcome_text("objected", lang, purpose=policy.purpose(purpose).name.get(lang))


def withdrawn_outcome(policy: Policy, purpose: str, language: str) -> str:
    lang = _lang(language)
    return outcome_text("withdrawn", lang, purpose=policy.purpose(purpose).name.get(lang))
