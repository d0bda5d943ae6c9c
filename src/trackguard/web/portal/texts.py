"""The portal's own words in Dutch and English (the statement's words come from the policy)."""

from __future__ import annotations

from trackguard.web.texts import SIGN_IN_WORDS, Texts

# key -> (nl, en); kept side by side so a missing translation shows in review.
_TEXTS: dict[str, tuple[str, str]] = {
    # navigation and frame
    "portal": ("Mijn trackers", "My trackers"),
    "geofences": ("Geofences", "Geofences"),
    "events": ("Meldingen en alarmen", "Alerts and alarms"),
    "privacy_centre": ("Mijn privacy", "My privacy"),
    "forgot_password": ("Wachtwoord vergeten", "Forgot password"),
    "privacy": ("Privacyverklaring", "Privacy statement"),
    "cookie_settings": ("Cookie-instellingen", "Cookie settings"),
    # sign-in
    "sign_in_intro": (
        "Meld u aan om uw trackers, ritten en meldingen te zien.",
        "Sign in to see your trackers, trips and alerts.",
    ),
    "wrong_credentials": (
        "Het e-mailadres of het wachtwoord klopt niet. Probeer het nog eens.",
        "The e-mail address or the password is not right. Please try again.",
    ),
    "throttled": (
        "Er is te vaak een verkeerd wachtwoord gegeven. Om uw account te beschermen kunt u "
        "het over {minutes} minuten opnieuw proberen.",
        "A wrong password was given too often. To protect your account, you can try again in "
        "{minutes} minutes.",
    ),
    # devices
    "devices_intro": (
        "Uw trackers, waar zij het laatst waren en of de diefstalbeveiliging aan staat.",
        "Your trackers, where they were last and whether anti-theft is on.",
    ),
    "name": ("Naam", "Name"),
    "last_seen": ("Laatst gezien", "Last seen"),
    "antitheft": ("Diefstalbeveiliging", "Anti-theft"),
    "last_position": ("Laatste positie", "Last position"),
    "never": ("nooit", "never"),
    "armed": ("aan", "on"),
    "disarmed": ("uit", "off"),
    "arm": ("Diefstalbeveiliging aanzetten", "Switch anti-theft on"),
    "disarm": ("Diefstalbeveiliging uitzetten", "Switch anti-theft off"),
    "armed_now": ("De diefstalbeveiliging staat aan.", "Anti-theft is on."),
    "disarmed_now": ("De diefstalbeveiliging staat uit.", "Anti-theft is off."),
    "no_devices": ("U heeft nog geen trackers.", "You have no trackers yet."),
    "no_position": ("nog geen positie", "no position yet"),
    "open": ("Bekijken", "View"),
    # device page and map
    "map": ("Kaart", "Map"),
    "map_needs_js": (
        "De kaart heeft JavaScript nodig; de gegevens staan ook in de tabel.",
        "The map needs JavaScript; the same data is in the table.",
    ),
    "live": ("Live bijwerken", "Live updates"),
    "live_on": (
        "Live: nieuwe posities verschijnen vanzelf.",
        "Live: new positions appear by themselves.",
    ),
    "live_off": (
        "Live bijwerken is gestopt; vernieuw de pagina.",
        "Live updates stopped; refresh the page.",
    ),
    "refresh": ("Pagina vernieuwen", "Refresh the page"),
    "live_alarms": ("Nieuwe meldingen", "New alerts"),
    "live_alarms_none": (
        "Meldingen van uw trackers verschijnen hier zodra zij binnenkomen.",
        "Alerts from your trackers appear here as soon as they arrive.",
    ),
    "live_alarms_off": (
        "Zonder JavaScript verschijnen nieuwe meldingen hier niet; u vindt ze bij",
        "Without JavaScript new alerts do not appear here; you find them under",
    ),
    "all_events": ("Alle meldingen en alarmen", "All alerts and alarms"),
    "history": ("Geschiedenis per dag", "History by day"),
    "trips": ("Ritten", "Trips"),
    "time": ("Tijd", "Time"),
    "latitude": ("Breedtegraad", "Latitude"),
    "longitude": ("Lengtegraad", "Longitude"),
    "speed": ("Snelheid (km/u)", "Speed (km/h)"),
    "step": ("Afstand tot vorige (m)", "Distance from previous (m)"),
    "cumulative": ("Afgelegd (km)", "Covered (km)"),
    "tiles_off": (
        "Deze kaart toont geen achtergrondkaart: die zou uw IP-adres aan een kaartendienst "
        "geven. De beheerder kan een eigen kaartserver instellen.",
        "This map shows no background map: loading one would give your IP address to a map "
        "provider. The operator can set up their own tile server.",
    ),
    # history
    "day": ("Dag", "Day"),
    "show": ("Tonen", "Show"),
    "day_distance": ("Afstand in ritten", "Distance in trips"),
    "path_distance": ("Afstand over alle posities", "Distance over all positions"),
    "max_speed": ("Hoogste snelheid", "Top speed"),
    "avg_speed": ("Gemiddelde snelheid", "Average speed"),
    "moving_time": ("Tijd onderweg", "Time moving"),
    "trip_count": ("Aantal ritten", "Number of trips"),
    "positions": ("Posities", "Positions"),
    "no_positions": ("Geen posities op deze dag.", "No positions on this day."),
    "previous_day": ("Vorige dag", "Previous day"),
    "next_day": ("Volgende dag", "Next day"),
    # trips
    "from": ("Van", "From"),
    "to": ("Tot en met", "To"),
    "start": ("Begin", "Start"),
    "end": ("Einde", "End"),
    "distance": ("Afstand", "Distance"),
    "duration": ("Duur", "Duration"),
    "no_trips": ("Geen ritten in deze periode.", "No trips in this period."),
    "bad_day": (
        "Kies een datum die niet in de toekomst ligt.",
        "Choose a date that is not in the future.",
    ),
    "bad_range": (
        "Die periode klopt niet; kies twee data, de eerste niet na de tweede.",
        "That period is not right; choose two dates, the first not after the second.",
    ),
    "range_too_long": (
        "Kies een periode van hoogstens {days} dagen.",
        "Choose a period of at most {days} days.",
    ),
    # geofences
    "geofences_intro": (
        "Een geofence is een gebied; een tracker die het bewaakt, meldt wanneer hij het "
        "binnengaat of verlaat.",
        "A geofence is an area; a tracker that watches it reports when it enters or leaves.",
    ),
    "area": ("Gebied", "Area"),
    "circle": (
        "cirkel rond {lat}, {lon} met straal {radius} m",
        "circle around {lat}, {lon} with radius {radius} m",
    ),
    "polygon": ("veelhoek met {corners} hoeken", "polygon with {corners} corners"),
    "watched_by": ("Bewaakt door", "Watched by"),
    "nobody": ("geen tracker", "no tracker"),
    "add_circle": ("Cirkel toevoegen", "Add a circle"),
    "centre_lat": ("Middelpunt: breedtegraad", "Centre: latitude"),
    "centre_lon": ("Middelpunt: lengtegraad", "Centre: longitude"),
    "radius": ("Straal (m)", "Radius (m)"),
    "watch_with": ("Laten bewaken door", "Let it be watched by"),
    "link": ("Koppelen", "Link"),
    "unlink": ("Ontkoppelen", "Unlink"),
    "no_geofences": ("U heeft nog geen geofences.", "You have no geofences yet."),
    "not_a_number": (
        "Vul getallen in voor de coördinaten en de straal.",
        "Fill in numbers for the coordinates and the radius.",
    ),
    "geofence_added": ("De geofence is toegevoegd.", "The geofence was added."),
    # events
    "events_intro": (
        "Wat uw trackers meldden: alarmen, beweging terwijl de beveiliging aan stond, geofences.",
        "What your trackers reported: alarms, movement while armed, geofences.",
    ),
    "type": ("Soort", "Kind"),
    "device": ("Tracker", "Tracker"),
    "geofence": ("Geofence", "Geofence"),
    "details": ("Details", "Details"),
    "no_events": ("Geen meldingen in deze periode.", "No alerts in this period."),
    "event_deviceMoving": ("Beweging terwijl beveiligd", "Movement while armed"),
    "event_geofenceExit": ("Geofence verlaten", "Left a geofence"),
    "event_geofenceEnter": ("Geofence binnengegaan", "Entered a geofence"),
    "event_alarm": ("Alarm", "Alarm"),
    # cookies
    "cookies": ("Cookies", "Cookies"),
    "accept": ("Accepteren", "Accept"),
    "refuse": ("Weigeren", "Refuse"),
    "cookies_more": ("Welke cookies en waarom", "Which cookies and why"),
    "cookie_name": ("Cookie", "Cookie"),
    "cookie_purpose": ("Waarvoor", "What for"),
    "cookie_lifetime": ("Hoe lang", "How long"),
    "cookie_kind": ("Soort", "Kind"),
    "strictly_necessary": ("strikt noodzakelijk", "strictly necessary"),
    "optional": ("alleen met uw toestemming", "only with your consent"),
    "our_cookies": ("De cookies van deze site", "This site's cookies"),
    "your_choice": ("Uw keuze", "Your choice"),
    "choice_accepted": ("U heeft cookies geaccepteerd.", "You accepted cookies."),
    "choice_refused": ("U heeft cookies geweigerd.", "You refused cookies."),
    "choice_none": ("U heeft nog geen keuze gemaakt.", "You have not chosen yet."),
    "choice_change": (
        "U kunt uw keuze hier altijd wijzigen.",
        "You can change your choice here at any time.",
    ),
    "from_statement": ("Uit onze privacyverklaring", "From our privacy statement"),
}

_WORDS = Texts(SIGN_IN_WORDS, _TEXTS)
texts = _WORDS.all  # every portal word in one language
text = _WORDS.one
_EVENT = "event_"


def event_words(lang: str) -> dict[str, str]:
    """Each event type (Traccar's `type`) as the alerts page and the live map name it."""
    words = texts(lang)
    return {key.removeprefix(_EVENT): words[key] for key in words if key.startswith(_EVENT)}
