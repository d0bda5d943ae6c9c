"""Names the centre shows for keys: request kinds, statuses, grounds, purposes, fields.

Kinds, grounds and purposes are named by the policy; statuses, verification methods,
actors and customer fields by the centre's texts. An unknown key shows as itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trackguard.errors import PolicyError
from trackguard.policy import Policy
from trackguard.privacy.requests import REQUEST_TYPES
from trackguard.web.privacy_centre.summary import ProfileValue
from trackguard.web.privacy_centre.texts import known, text


@dataclass(frozen=True)
class Labels:
    policy: Policy
    lang: str

    def _text(self, prefix: str, key: str) -> str:
        return text(prefix + key, self.lang) if known(prefix + key) else key

    def kind(self, key: str) -> str:
        kind = REQUEST_TYPES.get(key)
        try:
            return self.policy.right(kind.right).name.get(self.lang) if kind else key
        except PolicyError:
            return key

    def status(self, key: str) -> str:
        return self._text("status_", key)

    def method(self, key: str) -> str:
        return self._text("method_", key)

    def actor(self, key: str) -> str:
        # Staff logins are not named to the subject: "our staff" is enough.
        return (
            text(f"actor_{key}", self.lang)
            if key in ("subject", "system")
            else text("actor_staff", self.lang)
        )

    def ground(self, key: str) -> str:
        found = [g for g in self.policy.rights.restriction_grounds if g.key == key]
        return found[0].text.get(self.lang) if found else key

    def purpose(self, key: str) -> str:
        found = [p for p in self.policy.purposes if p.key == key]
        return found[0].name.get(self.lang) if found else key

    def field(self, column: str) -> str:
        return self._text("field_", column)

    def profile_field(self, item: ProfileValue) -> str:
        if known("field_" + item.field):
            return text("field_" + item.field, self.lang)
        try:
            return self.policy.category(item.category).name.get(self.lang)
        except PolicyError:
            return item.field

    def helpers(self) -> dict[str, Callable[..., str]]:
        """The template functions (`kind_name`, `status_name`, ...)."""
        return {
            "kind_name": self.kind,
            "status_name": self.status,
            "method_name": self.method,
            "actor_name": self.actor,
            "ground_name": self.ground,
            "purpose_name": self.purpose,
            "field_name": self.field,
            "field_label": self.profile_field,
        }
