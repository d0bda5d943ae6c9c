"""The privacy centre's own words in Dutch and English.

Everything the statement decides (rights, grounds, purposes, periods, the complaint
route) comes from the policy; these are only the words around it.
"""

from __future__ import annotations

from trackguard.web.texts import CUSTOMER_FIELDS, Texts

# key -> (nl, en); side by side so a missing translation shows in review.
_TEXTS: dict[str, tuple[str, str]] = {
    # frame and navigation
    "centre": ("Privacycentrum", "Privacy centre"),
    "centre_intro": (
        "Hier ziet u welke gegevens wij van u hebben en waarom, en regelt u uw rechten en "
        "toestemmingen.",
        "Here you see which data we hold about you and why, and you manage your rights and "
        "consents.",
    ),
    "my_data": ("Mijn gegevens", "My data"),
    "export": ("Mijn gegevens downloaden", "Download my data"),
    "consents": ("Toestemmingen", "Consents"),
    "requests": ("Verzoeken", "Requests"),
    "compromised": ("Account niet meer veilig", "Account compromised"),
    "complaint": ("Klacht indienen", "File a complaint"),
    "statement": ("Privacyverklaring", "Privacy statement"),
    "statement_intro": (
        "De volledige privacyverklaring, opgesteld uit hetzelfde beleid waar dit centrum op werkt:",
        "The full privacy statement, drawn up from the same policy this centre works on:",
    ),
    # my data
    "profile": ("Uw account", "Your account"),
    "profile_intro": (
        "Deze gegevens staan versleuteld in uw account; alleen u en wie ze voor een doel nodig "
        "heeft, kan ze lezen.",
        "These details are stored encrypted in your account; only you and those who need them "
        "for a purpose can read them.",
    ),
    "field": ("Gegeven", "Item"),
    "value": ("Waarde", "Value"),
    "not_set": ("niet ingevuld", "not given"),
    "categories_intro": (
        "Per soort gegeven: wat wij bewaren, waarvoor, op welke grondslag en hoe lang.",
        "Per kind of data: what we keep, what for, on what legal basis and for how long.",
    ),
    "held_in": ("Wat wij bewaren", "What we keep"),
    "purposes": ("Doelen en grondslag", "Purposes and legal basis"),
    "recipients": ("Ontvangers", "Recipients"),
    "retention": ("Bewaartermijn", "Retention"),
    "sources": ("Herkomst", "Source"),
    "none_held": ("Wij bewaren geen gegevens over u.", "We hold no data about you."),
    # export
    "export_intro": (
        "U krijgt een ZIP-bestand met al uw gegevens: een leesbare overzichtspagina, de "
        "gegevens als JSON, uw posities als CSV en uw ritten als GPX.",
        "You get a ZIP file with all your data: a readable overview page, the data as JSON, "
        "your positions as CSV and your trips as GPX.",
    ),
    "export_access": ("Inzage: alles wat wij van u hebben", "Access: everything we hold"),
    "export_portability": (
        "Overdracht: wat u ons gaf, om mee te nemen",
        "Portability: what you gave us, to take elsewhere",
    ),
    "make_export": ("Bestand maken", "Make the file"),
    "your_exports": ("Uw bestanden", "Your files"),
    "no_exports": ("U heeft nog geen bestanden.", "You have no files yet."),
    "made": ("Gemaakt", "Made"),
    "size": ("Grootte", "Size"),
    "download": ("Downloaden", "Download"),
    "export_ready": (
        "Uw bestand staat klaar; u vindt het hieronder.",
        "Your file is ready; you find it below.",
    ),
    # consents
    "consents_intro": (
        "Voor deze doelen gebruiken wij uw gegevens alleen met uw toestemming. Intrekken is "
        "even eenvoudig als geven, en werkt meteen.",
        "For these purposes we use your data only with your consent. Withdrawing is as easy as "
        "giving, and takes effect at once.",
    ),
    "consent_on": ("Toestemming gegeven", "Consent given"),
    "consent_off": ("Geen toestemming", "No consent"),
    "give": ("Toestemming geven", "Give consent"),
    "withdraw": ("Toestemming intrekken", "Withdraw consent"),
    "since": ("sinds {when}", "since {when}"),
    "consent_saved": ("Uw keuze is vastgelegd.", "Your choice is recorded."),
    "receipt": ("Bewijs van uw toestemmingen (JSON)", "Receipt of your consents (JSON)"),
    # requests
    "requests_intro": (
        "Dien een verzoek in en volg hier hoe het ervoor staat. Omdat u bent ingelogd, is uw "
        "identiteit daarmee bewezen.",
        "File a request and follow how it stands here. Because you are signed in, that proves "
        "your identity.",
    ),
    "your_requests": ("Uw verzoeken", "Your requests"),
    "no_requests": ("U heeft nog geen verzoeken ingediend.", "You have filed no requests yet."),
    "new_request": ("Nieuw verzoek", "New request"),
    "kind": ("Soort", "Kind"),
    "status": ("Stand", "Status"),
    "received": ("Ontvangen", "Received"),
    "due": ("Uiterlijk beantwoord", "Answer due"),
    "overdue": ("te laat", "overdue"),
    "view": ("Bekijken", "View"),
    "file": ("Indienen", "File"),
    "deadline_rule": (
        "Wij beantwoorden uw verzoek binnen {period}.",
        "We answer your request within {period}.",
    ),
    "ground": ("Reden voor beperking", "Reason for restriction"),
    "purpose": ("Doel", "Purpose"),
    "all_purposes": ("alle doelen", "all purposes"),
    "corrections": ("Juiste gegevens", "Correct details"),
    "corrections_hint": (
        "Vul alleen in wat gecorrigeerd moet worden.",
        "Fill in only what needs correcting.",
    ),
    "request_filed": ("Uw verzoek is ontvangen.", "Your request was received."),
    "request_existed": (
        "U had hetzelfde verzoek al ingediend; dit is dat verzoek.",
        "You had already filed the same request; this is that request.",
    ),
    "request_not_filed": (
        "Het verzoek is niet ingediend: {why}",
        "The request was not filed: {why}",
    ),
    "choose_ground": ("Kies een reden.", "Choose a reason."),
    "choose_purpose": ("Kies een doel.", "Choose a purpose."),
    "give_correction": (
        "Vul ten minste één juist gegeven in.",
        "Fill in at least one correct detail.",
    ),
    "unknown_kind": ("Kies een soort verzoek.", "Choose a kind of request."),
    "request": ("Verzoek", "Request"),
    "history": ("Verloop", "History"),
    "when": ("Wanneer", "When"),
    "step": ("Stap", "Step"),
    "by": ("Door", "By"),
    "message": ("Bericht aan u", "Message to you"),
    "extended": ("Termijn verlengd", "Deadline extended"),
    "extension_reason": ("Reden van de verlenging", "Reason for the extension"),
    "outcome": ("Uitkomst", "Outcome"),
    "verified_by": ("Identiteit bewezen via", "Identity proven by"),
    "back": ("Terug naar uw verzoeken", "Back to your requests"),
    "status_received": ("ontvangen", "received"),
    "status_verified": ("identiteit bewezen", "identity verified"),
    "status_in_progress": ("in behandeling", "in progress"),
    "status_completed": ("afgehandeld", "completed"),
    "status_refused": ("geweigerd", "refused"),
    "status_extended": ("termijn verlengd", "deadline extended"),
    "status_token_sent": ("code gemaild", "code e-mailed"),
    "status_id_copy_received": ("kopie ID ontvangen", "ID copy received"),
    "status_id_copy_rejected": ("kopie ID afgewezen", "ID copy rejected"),
    "actor_subject": ("u", "you"),
    "actor_system": ("automatisch", "automatically"),
    "actor_staff": ("onze medewerker", "our staff"),
    "method_session": ("ingelogd", "signed in"),
    "method_email": ("e-mailcode", "e-mail code"),
    "method_id_copy": ("kopie identiteitsbewijs", "identity document copy"),
    "field_phone": ("Telefoonnummer", "Phone number"),
    "field_last_login_at": ("Laatst aangemeld", "Last signed in"),
    "field_last_app_use_at": ("Laatst de app gebruikt", "Last used the app"),
    "field_created_at": ("Klant sinds", "Customer since"),
    # compromised account
    "compromised_intro": (
        "Denkt u dat iemand anders toegang heeft tot uw account? Dan meldt u zich hier overal "
        "af: elke sessie en elk toegangstoken stopt direct, en uw wachtwoord werkt niet meer. "
        "Daarna kunt u pas weer inloggen met een nieuw wachtwoord.",
        "Do you think someone else has access to your account? Then sign out everywhere here: "
        "every session and access token stops at once, and your password no longer works. "
        "After that you can only sign in again with a new password.",
    ),
    "confirm_password": (
        "Uw huidige wachtwoord (ter bevestiging)",
        "Your current password (to confirm)",
    ),
    "lock": ("Account vergrendelen", "Lock my account"),
    "wrong_password": (
        "Dat wachtwoord klopt niet; er is niets veranderd.",
        "That password is not right; nothing was changed.",
    ),
    "too_many": (
        "Te vaak een verkeerd wachtwoord. Probeer het over {minutes} minuten opnieuw.",
        "A wrong password too often. Try again in {minutes} minutes.",
    ),
    "locked_title": ("Uw account is vergrendeld", "Your account is locked"),
    "locked_body": (
        "Alle sessies en toegangstokens zijn beëindigd ({count}) en uw wachtwoord is gewist. "
        "Neem contact op met {contact} ({email}) om een nieuw wachtwoord in te stellen.",
        "Every session and access token has ended ({count}) and your password is cleared. "
        "Contact {contact} ({email}) to set a new password.",
    ),
    # complaint
    "complaint_text": ("Uw klacht", "Your complaint"),
    "complaint_filed": (
        "Uw klacht is ontvangen en versleuteld bewaard.",
        "Your complaint was received and is stored encrypted.",
    ),
    "complaint_empty": ("Schrijf uw klacht op.", "Write down your complaint."),
    "complaint_too_long": (
        "Uw klacht is langer dan {limit} tekens; kort haar in of mail ons.",
        "Your complaint is longer than {limit} characters; shorten it or e-mail us.",
    ),
    "authority_link": ("Klacht indienen bij {name}", "Lodge a complaint with {name}"),
    "your_complaints": ("Uw klachten", "Your complaints"),
    "filed": ("Ingediend", "Filed"),
    "complaint_open": ("open", "open"),
    "complaint_resolved": ("afgehandeld", "resolved"),
}

_WORDS = Texts(CUSTOMER_FIELDS, _TEXTS)
texts = _WORDS.all  # every privacy-centre word in one language
text = _WORDS.one


def known(key: str) -> bool:
    return key in _WORDS
