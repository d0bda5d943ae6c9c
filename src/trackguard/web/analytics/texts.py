"""The dashboard's words in Dutch and English."""

from __future__ import annotations

from trackguard.web.language import Language

TEXTS: dict[Language, dict[str, str]] = {
    "nl": {
        "title": "Bezoekersstatistieken",
        "intro": (
            "Geteld zonder cookies: een bezoeker telt één keer per dag per website. Bezoekers "
            "over een periode zijn de som van de dagen, want een nieuw dagzout maakt bezoekers "
            "van verschillende dagen onherkenbaar. Groepen van minder dan {threshold} bezoekers "
            "staan samen onder 'overig'; de totalen tellen ze mee. Dagen en uren in UTC."
        ),
        "from": "Van",
        "to": "Tot en met",
        "site": "Website",
        "all_sites": "Alle websites",
        "show": "Tonen",
        "visitors": "Bezoekers",
        "pageviews": "Paginaweergaven",
        "totals": "Totaal",
        "per_day": "Per dag",
        "day": "Dag",
        "other": "Overig: {groups} groepen met elk minder dan {threshold} bezoekers",
        "nothing": "Geen groepen met genoeg bezoekers om te tonen.",
        "json": "Dezelfde cijfers als JSON",
        "page": "Pagina's",
        "referrer": "Verwijzende websites",
        "device": "Apparaten",
        "browser": "Browsers",
        "country": "Landen",
        "hour": "Uren (UTC)",
        "(none)": "(geen: direct of binnen de site)",
        "unknown": "onbekend",
        "desktop": "computer",
        "mobile": "telefoon",
        "tablet": "tablet",
        "Other": "andere",
    },
    "en": {
        "title": "Visitor statistics",
        "intro": (
            "Counted without cookies: a visitor counts once per day per website. Visitors over "
            "a period are the sum of the days, since a new daily salt makes visitors of "
            "different days unrecognisable. Groups of fewer than {threshold} visitors are "
            "added up under 'other'; the totals include them. Days and hours are UTC."
        ),
        "from": "From",
        "to": "To",
        "site": "Website",
        "all_sites": "All websites",
        "show": "Show",
        "visitors": "Visitors",
        "pageviews": "Page views",
        "totals": "Total",
        "per_day": "Per day",
        "day": "Day",
        "other": "Other: {groups} groups of fewer than {threshold} visitors each",
        "nothing": "No groups with enough visitors to show.",
        "json": "The same figures as JSON",
        "page": "Pages",
        "referrer": "Referring websites",
        "device": "Devices",
        "browser": "Browsers",
        "country": "Countries",
        "hour": "Hours (UTC)",
        "(none)": "(none: direct or within the site)",
        "unknown": "unknown",
        "desktop": "desktop",
        "mobile": "mobile",
        "tablet": "tablet",
        "Other": "other",
    },
}


# The values of each dimension that are words of ours rather than names from outside.
_WORDS = {
    "referrer": ("(none)",),
    "device": ("desktop", "mobile", "tablet"),
    "browser": ("Other",),
    "country": ("unknown",),
}


def value_label(texts: dict[str, str], dimension: str, value: str) -> str:
    """How a group's value reads: pages and hosts as they are, our own words translated."""
    if dimension == "hour":
        return f"{value}:00"
    return texts[value] if value in _WORDS.get(dimension, ()) else value
