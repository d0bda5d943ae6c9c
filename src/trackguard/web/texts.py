"""What the web areas' words have in common: the lookup by language, and the words they share.

Each area keeps its own words in its own `texts` module as key -> (nl, en) pairs, side by
side so a missing translation shows in review, and builds a `Texts` over them.
"""

from __future__ import annotations

from collections.abc import Mapping

from trackguard.web.language import DEFAULT_LANGUAGE, LANGUAGES

Pair = tuple[str, str]  # (nl, en), in the order of LANGUAGES

# The frame and the sign-in form, where the portal and the back office say the same.
SIGN_IN_WORDS: dict[str, Pair] = {
    "skip": ("Naar de inhoud", "Skip to content"),
    "language": ("English", "Nederlands"),  # the switch names the other language
    "sign_in": ("Aanmelden", "Sign in"),
    "sign_out": ("Afmelden", "Sign out"),
    "signed_out": ("U bent afgemeld.", "You have signed out."),
    "email": ("E-mailadres", "E-mail address"),
    "password": ("Wachtwoord", "Password"),
}

# A customer's account fields, as the privacy centre and the back office name them.
CUSTOMER_FIELDS: dict[str, Pair] = {
    "field_first_name": ("Voornaam", "First name"),
    "field_last_name": ("Achternaam", "Last name"),
    "field_email": ("E-mailadres", "E-mail address"),
    "field_language": ("Taal", "Language"),
    "field_birth_date": ("Geboortedatum", "Date of birth"),
    "field_birthplace": ("Geboorteplaats", "Place of birth"),
    "field_nationality": ("Nationaliteit", "Nationality"),
    "field_billing_address": ("Factuuradres", "Billing address"),
    "field_postal_address": ("Postadres", "Postal address"),
    "field_ip_address": ("IP-adres", "IP address"),
    "field_browser_device_type": ("Browser en apparaat", "Browser and device"),
}


class Texts:
    """An area's words in each language; a later table's word wins over an earlier one's."""

    def __init__(self, *tables: Mapping[str, Pair]) -> None:
        pairs: dict[str, Pair] = {}
        for table in tables:
            pairs.update(table)
        self._by_language: dict[str, dict[str, str]] = {
            language: {key: pair[index] for key, pair in pairs.items()}
            for index, language in enumerate(LANGUAGES)
        }

    def all(self, lang: str) -> Mapping[str, str]:
        """Every word in one language (Dutch, the statement's own, for an unknown one)."""
        return self._by_language.get(lang) or self._by_language[DEFAULT_LANGUAGE]

    def one(self, key: str, lang: str) -> str:
        return self.all(lang)[key]

    def __contains__(self, key: object) -> bool:
        return key in self._by_language[DEFAULT_LANGUAGE]
