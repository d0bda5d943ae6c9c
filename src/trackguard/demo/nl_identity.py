"""Dutch identifiers made from a seeded `random.Random`: postcodes, phone numbers,
IBANs, e-mail addresses, IP addresses, IMEIs. Pure: same generator state, same value.

Where a made-up value could reach a real party (an inbox, a network), it is drawn
from a range reserved for documentation, so the demo can never touch one.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from random import Random

from trackguard.demo.nl_data import BANK_CODES, EMAIL_DOMAINS, Town

# Dutch postcodes never use these letters, nor the pairs SA, SD and SS.
_POSTCODE_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "FIOQUY")
_POSTCODE_FORBIDDEN_PAIRS = ("SA", "SD", "SS")


@dataclass(frozen=True)
class Address:
    street: str
    number: str
    postcode: str  # "3751 AB"
    city: str

    def one_line(self) -> str:
        """How the address is stored (sealed) and shown: one line, Dutch order."""
        return f"{self.street} {self.number}, {self.postcode} {self.city}"


def postcode(rng: Random, town: Town) -> str:
    digits = rng.randint(*town.postcode_prefixes)
    while True:
        letters = "".join(rng.choice(_POSTCODE_LETTERS) for _ in range(2))
        if letters not in _POSTCODE_FORBIDDEN_PAIRS:
            return f"{digits} {letters}"


def address(rng: Random, town: Town) -> Address:
    number = str(rng.randint(1, 180))
    if rng.random() < 0.12:
        number += rng.choice(("a", "b", "-1", "-2"))
    return Address(rng.choice(town.streets), number, postcode(rng, town), town.name)


def mobile_number(rng: Random) -> str:
    """E.164: +31 6 and eight digits."""
    return "+316" + "".join(str(rng.randint(0, 9)) for _ in range(8))


def landline_number(rng: Random, town: Town) -> str:
    """E.164: +31, the two-digit area code and seven digits (first not 0)."""
    return f"+31{town.area_code}{rng.randint(1, 9)}" + "".join(
        str(rng.randint(0, 9)) for _ in range(6)
    )


def _passes_eleven_test(account: str) -> bool:
    # The old Dutch "elfproef": weights 10..1 over the ten digits, sum divisible by 11.
    return sum(int(d) * w for d, w in zip(account, range(10, 0, -1), strict=True)) % 11 == 0


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: move country + "00" to the end, letters to 10..35, mod 97."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def dutch_iban(rng: Random) -> str:
    """A Dutch IBAN (NLkk BANK 0123456789) whose account passes the eleven test and
    whose check digits are right, as banks' own validators demand."""
    bank = rng.choices(BANK_CODES, weights=(30, 30, 20, 6, 4, 4, 3, 3))[0]
    while True:
        account = f"{rng.randint(1, 9)}" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        account = "0" + account  # ten digits, as Dutch IBAN accounts are zero-padded
        if _passes_eleven_test(account):
            break
    bban = bank + account
    return f"NL{iban_check_digits('NL', bban)}{bban}"


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def email_address(rng: Random, first: str, last: str, domain: str | None = None) -> str:
    """How Dutch people actually pick them: voornaam.achternaam, initial+surname, or a
    year suffix; tussenvoegsels run together ("vandenberg"). At work (`domain` given)
    it is voornaam.achternaam."""
    f, last_slug = _ascii_slug(first), _ascii_slug(last)
    choices = (f"{f}.{last_slug}", f"{f[0]}{last_slug}", f"{f}{last_slug}{rng.randint(60, 99)}")
    local = choices[0] if domain else rng.choice(choices)
    return f"{local}@{domain or rng.choice(EMAIL_DOMAINS)}"


def ip_address(rng: Random) -> str:
    """From the documentation ranges (RFC 5737 / RFC 3849): realistic, never routable."""
    if rng.random() < 0.2:
        return "2001:db8:" + ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(3)) + "::1"
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randint(1, 254)}"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def imei(rng: Random, tac: str) -> str:
    """Fifteen digits: the model's type allocation code, a serial, a Luhn check digit."""
    body = tac + "".join(str(rng.randint(0, 9)) for _ in range(14 - len(tac)))
    return body + luhn_check_digit(body)


def provider_token(rng: Random, prefix: str) -> str:
    """A payment provider's reference (Mollie style `mdt_...`): never card data."""
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(rng.choice(alphabet) for _ in range(10))
