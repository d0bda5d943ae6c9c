"""Curated Dutch values the demo generator draws from.

Hand-picked rather than taken from a fake-data library so the demo needs no extra
dependency and stays recognisably local: the people live around Conneqtech's home
in Bunschoten-Spakenburg, in Amersfoort, Utrecht and the towns between.
"""

from __future__ import annotations

from dataclasses import dataclass

# Tables of values read better packed than one item a line.
# fmt: off
FIRST_NAMES = (
    "Jan", "Pieter", "Kees", "Henk", "Willem", "Gerrit", "Johan", "Sander", "Daan",
    "Bram", "Sem", "Lucas", "Ruben", "Thijs", "Jeroen", "Bas", "Maarten", "Niels",
    "Teun", "Jelle", "Hendrik", "Evert", "Mohamed", "Yusuf", "Anne", "Sanne", "Lisa",
    "Femke", "Marieke", "Ingrid", "Annemarie", "Els", "Marloes", "Fleur", "Julia",
    "Emma", "Sophie", "Eva", "Lotte", "Noor", "Wilma", "Gerda", "Tessa", "Ilse",
    "Hanneke", "Jannie", "Aaltje", "Fatima", "Sevda", "Petra",
)

# Common Dutch surnames plus the old Spakenburg families; tussenvoegsels are part of
# the last name as the Dutch write it ("van den Berg"), not a separate field.
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
    "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "van der Meer",
    "van der Linden", "Kok", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen",
    "van den Broek", "de Bruijn", "van der Heijden", "Schouten", "van Beek", "van Vliet",
    "van de Ven", "Hoekstra", "Koster", "van Dam", "van der Wal", "Prins", "Huisman",
    "Koelewijn", "Hartog", "de Graaf", "Ruizendaal", "Schuurman", "Blokhuis", "Hopman",
    "van Twillert", "Hoolwerf", "Koops", "El Amrani", "Yilmaz",
)

# fmt: on


@dataclass(frozen=True)
class Town:
    name: str
    postcode_prefixes: tuple[int, int]  # inclusive range of the four digits
    streets: tuple[str, ...]
    area_code: str  # landline prefix after +31


# fmt: off
TOWNS = (
    Town("Bunschoten-Spakenburg", (3751, 3754), (
        "Oude Schans", "Kerkstraat", "Dorpsstraat", "Noorderstraat", "Oostsingel",
        "Westsingel", "Havenstraat", "Molenstraat", "Kolkstraat", "Spuistraat",
        "Zeedijk", "Sint Jansweg", "Nieuwe Schans", "Weerdsingel",
    ), "33"),
    Town("Amersfoort", (3811, 3826), (
        "Utrechtseweg", "Leusderweg", "Arnhemseweg", "Langestraat", "Kamp", "Hof",
        "Van Randwijcklaan", "Hogeweg", "Soesterweg", "Kapelweg", "Heiligenbergerweg",
        "Daam Fockemalaan", "Noordewierweg", "Stadsring",
    ), "33"),
    Town("Hoogland", (3828, 3828), (
        "Hooglandseweg", "Zevenhuizerstraat", "Engweg", "Bunschoterweg", "Kerkstraat",
    ), "33"),
    Town("Utrecht", (3511, 3585), (
        "Oudegracht", "Biltstraat", "Amsterdamsestraatweg", "Nachtegaalstraat",
        "Vleutenseweg", "Kanaalstraat", "Croeselaan", "Twijnstraat", "Lange Nieuwstraat",
        "Adelaarstraat", "Balijelaan", "Burgemeester Reigerstraat",
    ), "30"),
    Town("Baarn", (3741, 3744), (
        "Laanstraat", "Brinkstraat", "Eemnesserweg", "Amalialaan", "Oosterstraat",
    ), "35"),
    Town("Soest", (3761, 3769), (
        "Van Weedestraat", "Steenhoffstraat", "Birkstraat", "Soesterbergsestraat",
    ), "35"),
    Town("Nijkerk", (3861, 3864), (
        "Hoogstraat", "Holkerstraat", "Frieswijkstraat", "Oosterstraat", "Gildenstraat",
    ), "33"),
    Town("Leusden", (3831, 3833), (
        "Hamersveldseweg", "Lisdoddelaan", "De Horst", "Groene Zoom",
    ), "33"),
    Town("Eemnes", (3755, 3755), ("Wakkerendijk", "Meentweg", "Laarderweg"), "35"),
)

# Where people grew up: mostly nearby, some further away, a few abroad.
BIRTHPLACES_NL = (
    "Bunschoten", "Spakenburg", "Amersfoort", "Utrecht", "Baarn", "Soest", "Nijkerk",
    "Harderwijk", "Hilversum", "Zwolle", "Apeldoorn", "Ede", "Amsterdam", "Rotterdam",
    "Den Haag", "Leeuwarden", "Veenendaal",
)
# (birthplace, ISO 3166-1 nationality): nationality is stored as the code so the
# portal can show it in the subject's own language.
BIRTHPLACES_ABROAD = (
    ("Antwerpen", "BE"), ("Gent", "BE"), ("Keulen", "DE"), ("Münster", "DE"),
    ("Casablanca", "MA"), ("Ankara", "TR"), ("Gdańsk", "PL"),
)

# Domains under the reserved `.example` TLD (RFC 2606): the demo can never mail a
# real inbox, whatever a later issue wires up.
EMAIL_DOMAINS = (
    "gmail.example", "hotmail.example", "outlook.example", "ziggo.example",
    "kpnmail.example", "live.example",
)

BROWSERS = (
    ("Chrome 126 / Samsung Galaxy A54", "Android 14"),
    ("Safari 17 / iPhone 13", "iOS 17.5"),
    ("Safari 17 / iPhone 15", "iOS 17.5"),
    ("My GPS Tracker app 3.4 / Pixel 7", "Android 14"),
    ("My GPS Tracker app 3.4 / iPhone SE", "iOS 16.7"),
    ("Firefox 127 / desktop", "Windows 11"),
    ("Edge 126 / laptop", "Windows 10"),
    ("Safari 17 / MacBook Air", "macOS 14"),
)

# (company, e-mail domain under the reserved `.example` TLD)
COMPANIES = (
    ("Fietsenmakerij Koelewijn B.V.", "koelewijn-fietsen.example"),
    ("Hopman Transport B.V.", "hopmantransport.example"),
    ("Bouwbedrijf De Eemlanden B.V.", "eemlanden.example"),
    ("Thuiszorg Eemland", "thuiszorg-eemland.example"),
    ("Installatiebedrijf Hartog V.O.F.", "hartog-installatie.example"),
)

# Bank codes of Dutch IBANs (the four letters), roughly by market share.
BANK_CODES = ("INGB", "RABO", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ")
CARD_BRANDS = ("visa", "mastercard", "maestro", "amex")
# fmt: on
