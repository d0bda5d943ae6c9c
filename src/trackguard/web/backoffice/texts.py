"""The back office's own words in Dutch and English (policy words come from the policy)."""

from __future__ import annotations

from trackguard.web.texts import CUSTOMER_FIELDS, SIGN_IN_WORDS, Texts

# key -> (nl, en); side by side so a missing translation shows in review.
_TEXTS: dict[str, tuple[str, str]] = {
    # frame and navigation
    "backoffice": ("Backoffice", "Back office"),
    "home": ("Backoffice", "Back office"),
    "signed_in_as": ("Aangemeld met de rol", "Signed in with the role"),
    "nav_requests": ("Verzoeken", "Requests"),
    "nav_complaints": ("Klachten", "Complaints"),
    "nav_customers": ("Klanten", "Customers"),
    "nav_retention": ("Bewaartermijnen", "Retention"),
    "nav_audit": ("Auditlog", "Audit log"),
    "nav_staff": ("Medewerkers", "Staff"),
    "nav_analytics": ("Bezoekersstatistieken", "Visitor statistics"),
    "nav_roles": ("Over de rollen", "About roles"),
    "home_intro": (
        "Hier ziet u alleen wat uw rol nodig heeft. Elke inzage in persoonsgegevens wordt "
        "vastgelegd in het auditlog, met het doel waarvoor u keek.",
        "You see only what your role needs. Every view of personal data is recorded in the "
        "audit log, with the purpose you looked for.",
    ),
    "overdue_count": (
        "{count} verzoek(en) over de termijn.",
        "{count} request(s) past their deadline.",
    ),
    # roles
    "role_support": ("Klantenservice", "Support"),
    "role_finance": ("Financiën", "Finance"),
    "role_privacy_officer": ("Privacyfunctionaris", "Privacy officer"),
    "role_admin": ("Beheerder", "Admin"),
    "roles_intro": (
        "Elke rol dient doelen uit de privacyverklaring. Een gegeven wordt alleen getoond als "
        "die doelen de categorie ervan dekken; anders wordt het achtergehouden, wat de rol ook "
        "zou mogen.",
        "Each role serves purposes of the privacy statement. A field is shown only when those "
        "purposes cover its category; otherwise it is withheld, whatever the role declares.",
    ),
    "roles_purposes": ("Doelen", "Purposes"),
    "roles_areas": ("Onderdelen", "Areas"),
    "roles_fields": ("Klantgegevens", "Customer fields"),
    "roles_masked_note": (
        "Volledig alleen zolang de klant een open verzoek heeft; anders gemaskeerd.",
        "In full only while the customer has an open request; otherwise masked.",
    ),
    "roles_admin_note": (
        "De beheerder leest en beoordeelt geen kopieën van identiteitsbewijzen: wie "
        "medewerkersaccounts beheert, ziet geen identiteitsbewijzen.",
        "The admin neither reads nor reviews ID copies: whoever manages staff accounts "
        "never sees identity documents.",
    ),
    "withheld_by_policy": (
        "achtergehouden (niet gedekt door de doelen)",
        "withheld (not covered by the purposes)",
    ),
    "area_home": ("Start en rollen", "Start and roles"),
    "area_requests": ("Verzoeken", "Requests"),
    "area_id_copies": ("Kopieën identiteitsbewijs", "ID copies"),
    "area_complaints": ("Klachten", "Complaints"),
    "area_retention": ("Bewaartermijnen", "Retention"),
    "area_audit": ("Auditlog", "Audit log"),
    "area_customers": ("Klanten", "Customers"),
    "area_staff": ("Medewerkers", "Staff"),
    "area_analytics": ("Bezoekersstatistieken", "Visitor statistics"),
    "vis_full": ("volledig", "in full"),
    "vis_masked": ("gemaskeerd", "masked"),
    "vis_hidden": ("niet", "not shown"),
    # sign-in
    "sign_in": ("Aanmelden backoffice", "Back-office sign-in"),
    "sign_in_intro": (
        "Alleen voor medewerkers. Klanten melden zich aan in de portal.",
        "For staff only. Customers sign in to the portal.",
    ),
    "wrong_credentials": (
        "Het e-mailadres of het wachtwoord klopt niet.",
        "The e-mail address or the password is not right.",
    ),
    "throttled": (
        "Te veel mislukte pogingen. Probeer het over {minutes} minuten opnieuw.",
        "Too many failed attempts. Try again in {minutes} minutes.",
    ),
    # requests
    "request": ("Verzoek", "Request"),
    "requests_intro": (
        "Op volgorde van uiterste datum; verzoeken over de termijn zijn gemarkeerd.",
        "By due date; requests past their deadline are flagged.",
    ),
    "type": ("Soort", "Type"),
    "status": ("Status", "Status"),
    "received": ("Ontvangen", "Received"),
    "due": ("Uiterlijk", "Due"),
    "overdue": ("TE LAAT", "OVERDUE"),
    "only_overdue": ("Alleen te laat", "Overdue only"),
    "all": ("Alle", "All"),
    "filter": ("Filteren", "Filter"),
    "subject": ("Betrokkene", "Subject"),
    "none_found": ("Niets gevonden.", "Nothing found."),
    "details": ("Details", "Details"),
    "history": ("Verloop", "History"),
    "told": ("Meegedeeld", "Told"),
    "verified": ("Geverifieerd", "Verified"),
    "extended": ("Verlengd", "Extended"),
    "outcome": ("Uitkomst", "Outcome"),
    "actions": ("Acties", "Actions"),
    "send_token": ("Verificatiecode e-mailen", "E-mail a verification token"),
    "start": ("In behandeling nemen", "Start work"),
    "extend": ("Termijn verlengen", "Extend the deadline"),
    "months": ("Maanden", "Months"),
    "reason": ("Reden (wordt aan de betrokkene gemeld)", "Reason (told to the subject)"),
    "refuse": ("Weigeren", "Refuse"),
    "complete": ("Afronden", "Complete"),
    "id_copy_pending": (
        "Er wacht een kopie van een identiteitsbewijs op beoordeling.",
        "An ID copy is waiting for review.",
    ),
    "review_id_copy": ("Kopie beoordelen", "Review the copy"),
    "id_copy_officer_only": (
        "Alleen de privacyfunctionaris beoordeelt kopieën van identiteitsbewijzen.",
        "Only the privacy officer reviews ID copies.",
    ),
    "done_token_sent": (
        "De code is naar het bekende e-mailadres gestuurd.",
        "The token was e-mailed to the address on file.",
    ),
    "done_started": ("Het verzoek is in behandeling.", "The request is in progress."),
    "done_extended": (
        "De termijn is verlengd en de betrokkene is ingelicht.",
        "The deadline was extended and the subject told.",
    ),
    "done_refused": (
        "Het verzoek is geweigerd en de betrokkene is ingelicht.",
        "The request was refused and the subject told.",
    ),
    "done_completed": ("Het verzoek is afgerond.", "The request is completed."),
    "done_id_copy_accepted": (
        "De kopie is goedgekeurd en verwijderd; het verzoek is geverifieerd.",
        "The copy was accepted and deleted; the request is verified.",
    ),
    "done_id_copy_rejected": (
        "De kopie is afgekeurd en verwijderd; de betrokkene is ingelicht.",
        "The copy was rejected and deleted; the subject was told.",
    ),
    "done_added": ("Het account is aangemaakt.", "The account was created."),
    "done_disabled": ("Het account is gesloten.", "The account was disabled."),
    # ID copy
    "id_copy": ("Kopie identiteitsbewijs", "ID copy"),
    "id_copy_intro": (
        "Controleer per onderdeel of het is afgeschermd, en of het document de "
        "accounthouder toont. De kopie wordt na uw oordeel verwijderd, hoe het ook uitvalt.",
        "Check item by item that it is blacked out, and that the document shows the account "
        "holder. The copy is deleted after your decision, whatever it is.",
    ),
    "covered": ("afgeschermd", "blacked out"),
    "identity_matches": (
        "Het document toont de accounthouder",
        "The document shows the account holder",
    ),
    "decide": ("Beslissen", "Decide"),
    "open_copy": ("Kopie openen (PDF)", "Open the copy (PDF)"),
    # complaints
    "complaint": ("Klacht", "Complaint"),
    "filed": ("Ingediend", "Filed"),
    "channel": ("Kanaal", "Channel"),
    "topic": ("Onderwerp", "Topic"),
    "resolved": ("Opgelost", "Resolved"),
    "text": ("Tekst", "Text"),
    "unreadable": ("Niet meer leesbaar (gewist).", "No longer readable (erased)."),
    "open": ("Openen", "Open"),
    # customers
    "customer": ("Klant", "Customer"),
    "customers_intro": (
        "Zoek een klant op e-mailadres. U ziet daarna wat uw rol van deze klant mag zien.",
        "Find a customer by e-mail address. You then see what your role may see of them.",
    ),
    "search": ("Zoeken", "Search"),
    "customer_not_found": (
        "Geen klant met dat e-mailadres.",
        "No customer with that e-mail address.",
    ),
    "erased": (
        "Deze klant is gewist: er is niets meer te zien.",
        "This customer was erased: nothing is left to see.",
    ),
    "view_purpose": ("Doel van deze inzage", "Purpose of this view"),
    "refused_view": (
        "Het gebruik van deze gegevens voor dit doel is nu niet toegestaan ({reason}).",
        "Using this customer's data for this purpose is not allowed now ({reason}).",
    ),
    "masked_note": (
        "Gemaskeerd: de klant heeft geen open verzoek.",
        "Masked: the customer has no open request.",
    ),
    "on_file": ("aanwezig", "on file"),
    "count_on_file": ("{count} aanwezig", "{count} on file"),
    "nothing": ("–", "–"),
    "field_phone": ("Telefoon", "Phone"),
    "field_devices": ("Trackers", "Trackers"),
    "field_orders": ("Bestellingen", "Orders"),
    "field_shipping_address": ("Afleveradres", "Shipping address"),
    "field_payments": ("Betalingen", "Payments"),
    "field_card": ("Kaart", "Card"),
    "field_iban": ("IBAN", "IBAN"),
    "armed": ("beveiligd", "armed"),
    "item_last_seen": ("laatst gezien", "last seen"),  # before a tracker's time
    # retention
    "retention_intro": (
        "Wat elke bewaarrun deed of zou doen, per regel en tabel (alleen aantallen).",
        "What each retention run did or would do, per rule and record (counts only).",
    ),
    "plan_now": (
        "Nu doorrekenen (niets wordt verwijderd)",
        "Plan now (a dry run: nothing is removed)",
    ),
    "retention_report": ("Bewaarrapport", "Retention report"),
    "mode": ("Soort", "Mode"),
    "mode_plan": ("proefrun", "dry run"),
    "mode_run": ("uitgevoerd", "run"),
    "as_of": ("Peildatum", "As of"),
    "started": ("Begonnen", "Started"),
    "finished": ("Klaar", "Finished"),
    "total": ("Totaal", "Total"),
    "rule": ("Regel", "Rule"),
    "action": ("Actie", "Action"),
    "record": ("Tabel", "Record"),
    "count": ("Aantal", "Count"),
    "held": ("Vastgehouden", "Held"),
    "partitions_dropped": ("Verwijderde partities", "Partitions dropped"),
    "error": ("Fout", "Error"),
    # audit
    "audit_intro": (
        "De nieuwste vermeldingen; betrokkenen staan er alleen met hun willekeurige id in.",
        "The newest entries; subjects appear only by their random id.",
    ),
    "verify_ok": (
        "De keten klopt: {entries} vermeldingen gecontroleerd ({shredded} ontkoppeld).",
        "The chain verifies: {entries} entries checked ({shredded} unlinked).",
    ),
    "verify_broken": (
        "De keten is verbroken bij vermelding {seq} ({reason}): {detail}",
        "The chain is broken at entry {seq} ({reason}): {detail}",
    ),
    "head_hash": ("Laatste hash", "Head hash"),
    "seq": ("Nr.", "No."),
    "at": ("Tijd", "Time"),
    "actor": ("Wie", "Actor"),
    "role": ("Rol", "Role"),
    "purpose": ("Doel", "Purpose"),
    "categories": ("Categorieën", "Categories"),
    "category_count": ("{count} categorieën", "{count} categories"),
    "shredded": ("ontkoppeld", "unlinked"),
    "limit": ("Aantal", "Limit"),
    # staff
    "staff_intro": (
        "Van medewerkers wordt het e-mailadres niet bewaard, alleen een sleutel om het te "
        "herkennen bij het aanmelden.",
        "Staff e-mail addresses are not kept, only a keyed hash to recognise them at sign-in.",
    ),
    "created": ("Aangemaakt", "Created"),
    "last_login": ("Laatst aangemeld", "Last sign-in"),
    "disabled": ("Gesloten", "Disabled"),
    "disable": ("Sluiten", "Disable"),
    "add_staff": ("Medewerker toevoegen", "Add a member of staff"),
    "min_password": ("Minstens {count} tekens.", "At least {count} characters."),
    "add": ("Toevoegen", "Add"),
    # stored keys in words (labels.py); request statuses and the steps of their history
    "request_status_received": ("ontvangen", "received"),
    "request_status_verified": ("identiteit geverifieerd", "identity verified"),
    "request_status_in_progress": ("in behandeling", "in progress"),
    "request_status_completed": ("afgerond", "completed"),
    "request_status_refused": ("geweigerd", "refused"),
    "request_status_extended": ("termijn verlengd", "deadline extended"),
    "request_status_token_sent": ("verificatiecode gemaild", "verification token e-mailed"),
    "request_status_id_copy_received": (
        "kopie identiteitsbewijs ontvangen",
        "ID copy received",
    ),
    "request_status_id_copy_rejected": (
        "kopie identiteitsbewijs afgekeurd",
        "ID copy rejected",
    ),
    "method_session": ("ingelogd in de portal", "signed in to the portal"),
    "method_email": ("verificatiecode per e-mail", "verification token by e-mail"),
    "method_id_copy": ("kopie identiteitsbewijs", "ID copy"),
    "actor_subject": ("betrokkene", "the subject"),
    "actor_system": ("automatisch", "automatic"),
    "actor_operator": ("beheerder (opdrachtregel)", "operator (command line)"),
    "actor_staff": ("medewerker {account}", "staff {account}"),
    "detail_ground": ("Reden voor beperking", "Ground for restriction"),
    "detail_purpose": ("Doel", "Purpose"),
    "detail_fields": ("Te corrigeren gegevens", "Fields to correct"),
    "detail_reason": ("Opgegeven reden", "Reason given"),
    "channel_email": ("e-mail", "e-mail"),
    "channel_letter": ("brief", "letter"),
    "channel_portal": ("portal", "portal"),
    "channel_phone": ("telefoon", "phone"),
    "channel_api": ("privacy-API", "privacy API"),
    "complaint_status_open": ("open", "open"),
    "complaint_status_resolved": ("opgelost", "resolved"),
    "retention_status_running": ("bezig", "running"),
    "retention_status_completed": ("klaar", "completed"),
    "retention_status_failed": ("mislukt", "failed"),
    "retention_action_delete": ("verwijderen", "delete"),
    "retention_action_anonymise": ("anonimiseren", "anonymise"),
    "retention_action_destroy_keys": ("sleutels vernietigen", "destroy keys"),
    "customer_status_active": ("actief", "active"),
    "customer_status_anonymised": ("geanonimiseerd", "anonymised"),
    "customer_status_anonymized": ("geanonimiseerd", "anonymised"),
    "customer_status_erased": ("gewist", "erased"),
    "customer_status_deleted": ("verwijderd", "deleted"),
    "order_status_shipped": ("verzonden", "shipped"),
    "order_status_delivered": ("bezorgd", "delivered"),
    "order_status_returned": ("geretourneerd", "returned"),
    "payment_method_ideal": ("iDEAL", "iDEAL"),
    "payment_method_creditcard": ("creditcard", "credit card"),
    "payment_method_directdebit": ("automatische incasso", "direct debit"),
    "payment_method_bancontact": ("Bancontact", "Bancontact"),
    "language_nl": ("Nederlands", "Dutch"),
    "language_en": ("Engels", "English"),
    # the purpose gate's reasons (privacy.gate.Reason) for refusing a view
    "reason_erased": ("de klant is gewist", "the customer was erased"),
    "reason_objected": ("de klant maakte bezwaar", "the customer objected"),
    "reason_consent_missing": ("er is geen toestemming", "there is no consent"),
    "reason_restricted": ("de verwerking is beperkt", "processing is restricted"),
    "reason_unknown_purpose": (
        "het doel staat niet in het beleid",
        "the policy has no such purpose",
    ),
    "reason_unknown_subject": ("de klant is onbekend", "the customer is unknown"),
}

_WORDS = Texts(SIGN_IN_WORDS, CUSTOMER_FIELDS, _TEXTS)
texts = _WORDS.all
text = _WORDS.one
