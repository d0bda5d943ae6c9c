"""The names the back office shows for stored keys, so staff read words, not `in_progress`.

Request types, restriction grounds, purposes and records are named by the policy; request
statuses and steps, verification methods, actors, complaint channels and statuses,
retention statuses and actions, customer, order and payment keys, gate reasons and roles
by the back office's texts (`texts`). An unknown key shows as itself: a value added later
is never hidden, only not yet translated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trackguard.errors import PolicyError
from trackguard.policy import Policy
from trackguard.privacy.requests import REQUEST_TYPES
from trackguard.web.backoffice.access import STAFF_ACTOR_PREFIX
from trackguard.web.backoffice.texts import texts

# (field, item key) of a customer's listed items whose values are keys of ours.
_ITEM_WORDS = {("orders", "status"): "order_status_", ("payments", "method"): "payment_method_"}


@dataclass(frozen=True)
class Labels:
    policy: Policy
    lang: str

    def _word(self, prefix: str, key: str | None) -> str:
        if key is None:
            return ""
        return texts(self.lang).get(prefix + key, key)

    def kind(self, key: str) -> str:
        """A request type, by the name of the policy's right it exercises."""
        found = REQUEST_TYPES.get(key)
        try:
            return self.policy.right(found.right).name.get(self.lang) if found else key
        except PolicyError:  # a right the policy no longer grants
            return key

    def status(self, key: str) -> str:
        """A request's status, or a step of its history (statuses and steps share words)."""
        return self._word("request_status_", key)

    def method(self, key: str | None) -> str:
        return self._word("method_", key)

    def actor(self, name: str) -> str:
        """Who took a step: a member of staff by account id, the rest in words."""
        if name.startswith(STAFF_ACTOR_PREFIX):
            account = name.removeprefix(STAFF_ACTOR_PREFIX)
            return texts(self.lang)["actor_staff"].format(account=account)
        return self._word("actor_", name)

    def detail_name(self, key: str) -> str:
        return self._word("detail_", key)

    def detail_value(self, key: str, value: Any) -> str:
        """A request detail: a ground or purpose by the policy's words, fields by name."""
        if key == "ground":
            return self.ground(str(value))
        if key == "purpose":
            return self.purpose(str(value))
        if key == "fields" and isinstance(value, list):
            return ", ".join(self._word("field_", str(v)) for v in value)
        return str(value)

    def ground(self, key: str) -> str:
        found = [g for g in self.policy.rights.restriction_grounds if g.key == key]
        # The policy words a ground as a clause of the statement's list: no trailing ';'.
        return found[0].text.get(self.lang).rstrip(";.") if found else key

    def purpose(self, key: str | None) -> str:
        if key is None:
            return ""
        found = [p for p in self.policy.purposes if p.key == key]
        return found[0].name.get(self.lang) if found else key

    def record(self, table: str) -> str:
        try:
            return self.policy.record(table).name.get(self.lang)
        except PolicyError:
            return table

    def role(self, key: str) -> str:
        return self._word("role_", key)

    def item_value(self, field: str, key: str, value: object) -> str | None:
        """A listed item's value that is a key of ours, in words; None: not such a value."""
        prefix = _ITEM_WORDS.get((field, key))
        return self._word(prefix, str(value)) if prefix and value is not None else None

    def helpers(self) -> dict[str, Callable[..., str | None]]:
        """The template functions (`kind_name`, `status_name`, ...)."""
        word = self._word
        return {
            "kind_name": self.kind,
            "status_name": self.status,
            "method_name": self.method,
            "actor_name": self.actor,
            "detail_name": self.detail_name,
            "detail_value": self.detail_value,
            "purpose_name": self.purpose,
            "record_name": self.record,
            "role_name": self.role,
            "item_word": self.item_value,
            "channel_name": lambda key: word("channel_", key),
            "complaint_status_name": lambda key: word("complaint_status_", key),
            "retention_status_name": lambda key: word("retention_status_", key),
            "retention_action_name": lambda key: word("retention_action_", key),
            "customer_status_name": lambda key: word("customer_status_", key),
            "language_name": lambda key: word("language_", key),
            "reason_name": lambda key: word("reason_", key),
        }
