"""Read from the policy what the demo data must respect: retention periods, consent
purposes and their prompts, rights and their deadline.

The seed places records on both sides of every retention period, so the periods
come from the policy (the single source), not from literals: change the policy and
the next seed still gives each rule something to act on. Where the policy has no
rule for a kind of record, any age will do and the fallback only spreads the ages.
"""

from __future__ import annotations

from collections.abc import Callable

from trackguard.demo.plans import ConsentPurpose, DemoRules
from trackguard.policy import Period, Policy
from trackguard.policy.model import RetentionTarget

Select = Callable[[RetentionTarget], bool]


def _any(target: RetentionTarget) -> bool:
    return True


def _period(
    policy: Policy,
    tables: tuple[str, ...],
    fallback: str,
    *,
    trigger: str = "age",
    select: Select = _any,
) -> Period:
    """The longest `trigger` period of the rules on `tables` (past it, all of them act)."""
    periods = [
        rule.period
        for table in tables
        for rule in policy.rules_for(table)
        if rule.trigger == trigger and select(rule.target(table))
    ]
    return max(periods, key=Period.approx_days, default=Period.parse(fallback))


def _third_party_purpose(policy: Policy) -> str | None:
    for rule in policy.rules_for("third_party_data"):
        if rule.trigger == "consent_withdrawal" and rule.purpose:
            return rule.purpose
    return None


def rules_from_policy(policy: Policy) -> DemoRules:
    def age(table: str, fallback: str, select: Select = _any) -> Period:
        return _period(policy, (table,), fallback, select=select)

    def idle(table: str, fallback: str) -> Period:
        return _period(policy, (table,), fallback, trigger="inactivity")

    financial = ("orders", "returns", "payments", "purchases")
    prompts = [(p.key, p.consent_prompt or p.name) for p in policy.consent_purposes()]
    return DemoRules(
        chat=age("chat_messages", "P14D", lambda t: t.only_if is None),
        chat_relevant=age("chat_messages", "P2Y", lambda t: t.only_if is not None),
        call=age("call_recordings", "P3M"),
        whatsapp=age("whatsapp_conversations", "P3M"),
        email=age("emails", "P10Y"),
        complaint=age("complaints", "P10Y"),
        financial=_period(policy, financial, "P10Y"),
        inactivity=idle("customers", "P2Y"),
        device_inactivity=idle("devices", "P2Y"),
        web_visit=age("web_visits", "P7D"),
        survey=age("survey_answers", "P1Y"),
        location=age("positions", "P1Y", lambda t: t.scope != "unlinked"),
        fleet_location=age("positions", "P7D", lambda t: t.scope == "unlinked"),
        consent_proof=age("consent_events", "P5Y"),
        rights_request=age("rights_requests", "P5Y"),
        unused_business=_period(policy, ("business_accounts",), "P30D", trigger="unreferenced"),
        alarm_event=age("events", "P1Y"),
        unused_geofence=_period(policy, ("geofences",), "P30D", trigger="unreferenced"),
        unlinked_geofence_link=age("device_geofences", "P1D", lambda t: t.scope == "unlinked"),
        webhook_inactivity=idle("webhooks", "P2Y"),
        rights_deadline=policy.rights.deadline,
        consent_purposes=tuple(ConsentPurpose(key, text.nl, text.en) for key, text in prompts),
        rights=tuple(r.key for r in policy.rights.items),
        third_party_purpose=_third_party_purpose(policy),
    )
