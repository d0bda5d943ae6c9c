"""Dutch texts of the demo's contact moments, in the platform's own voice.

Placeholders: {first} (the customer's first name), {order} (an order number),
{device} (a tracker's name), {date} (a Dutch date). Each chat is a list of
(sender, text); `relevant` marks conversations that matter for the service (a
theft case, a warranty claim), which the statement lets us keep beyond 14 days.
"""

from __future__ import annotations

from dataclasses import dataclass

# Scripts read better laid out as dialogue than as the formatter would wrap them.
# fmt: off
SIGNATURE = "Met vriendelijke groet,\nKlantenservice My GPS Tracker"
PRODUCT_SKUS = {
    "MGT-BIKE-01": ("My GPS Tracker Bike (e-bike tracker)", 9900),
    "MGT-CAR-02": ("My GPS Tracker Car (12V-aansluiting)", 12900),
    "MGT-TAG-01": ("My GPS Tracker Tag (los in tas of koffer)", 4995),
    "SUB-12M": ("Abonnement anti-diefstal, 12 maanden", 4995),
    "SUB-1M": ("Abonnement anti-diefstal, 1 maand", 495),
    "ACC-MOUNT": ("Frame-bevestigingsset", 1495),
    "ACC-12V": ("12V-aansluitkabel", 995),
}
TRACKER_SKUS = ("MGT-BIKE-01", "MGT-CAR-02", "MGT-TAG-01")
EXTRA_SKUS = ("SUB-12M", "SUB-1M", "ACC-MOUNT", "ACC-12V")


@dataclass(frozen=True)
class ChatScript:
    relevant: bool
    lines: tuple[tuple[str, str], ...]


CHATS = (
    ChatScript(False, (
        ("customer", "Hoi, mijn tracker blijft in de app op 'zoeken' staan na het activeren."),
        ("agent", "Hallo {first}, vervelend! Leg de tracker even buiten of bij een raam: "
                  "de eerste GPS-fix kan een paar minuten duren."),
        ("customer", "Hij staat nu online, dank je!"),
        ("agent", "Top, veel plezier ermee."),
    )),
    ChatScript(True, (
        ("customer", "Mijn fiets is vannacht gestolen bij station Amersfoort. De app "
                     "laat zien dat hij in Hoogland staat."),
        ("agent", "Wat naar, {first}. Doe eerst aangifte en deel de live-locatie met de "
                  "politie. Ik zet {device} op snelle updates."),
        ("customer", "Aangifte is gedaan, de politie gaat kijken."),
        ("agent", "Ik heb het dossier bij uw account gezet. Laat u weten als de fiets "
                  "terug is?"),
    )),
    ChatScript(False, (
        ("customer", "Wanneer loopt mijn abonnement af?"),
        ("agent", "Uw abonnement loopt tot {date} en wordt daarna automatisch verlengd, "
                  "tenzij u opzegt."),
        ("customer", "Prima, dank u."),
    )),
    ChatScript(False, (
        ("customer", "De batterij van mijn tracker ({device}) is binnen een week leeg."),
        ("agent", "Dat komt meestal door de stand 'snelle updates'. U zet die uit onder "
                  "Instellingen > Updatefrequentie."),
        ("customer", "Gevonden, hij stond inderdaad aan."),
    )),
    ChatScript(True, (
        ("customer", "Mijn tracker geeft al een week geen signaal meer. Valt dat onder de "
                     "garantie?"),
        ("agent", "Ja, {first}, die valt nog onder de garantie. Ik stuur u een retourlabel "
                  "voor bestelling {order}."),
        ("customer", "Fijn, ik stuur hem morgen op."),
    )),
)


@dataclass(frozen=True)
class EmailTemplate:
    direction: str
    subject: str
    body: str


EMAILS = (
    EmailTemplate("outbound", "Bevestiging van uw bestelling {order}",
                  "Beste {first},\n\nBedankt voor uw bestelling {order}. We verzenden "
                  "hem binnen twee werkdagen.\n\n" + SIGNATURE),
    EmailTemplate("outbound", "Uw tracker is onderweg",
                  "Beste {first},\n\nBestelling {order} is aan PostNL overgedragen. "
                  "Activeer de tracker na ontvangst in de app.\n\n" + SIGNATURE),
    EmailTemplate("outbound", "Uw abonnement wordt binnenkort verlengd",
                  "Beste {first},\n\nUw abonnement anti-diefstal wordt op {date} "
                  "verlengd. U hoeft niets te doen.\n\n" + SIGNATURE),
    EmailTemplate("inbound", "Vraag over mijn factuur",
                  "Goedemiddag,\n\nOp de factuur van bestelling {order} staat een "
                  "verkeerd adres. Kunt u dat aanpassen?\n\nGroet,\n{first}"),
    EmailTemplate("inbound", "Adreswijziging",
                  "Hallo,\n\nWij zijn verhuisd. Wilt u mijn adres in de portal "
                  "bijwerken? Het nieuwe adres staat al in mijn account.\n\n{first}"),
)


@dataclass(frozen=True)
class ComplaintTemplate:
    topic: str
    body: str


COMPLAINTS = (
    ComplaintTemplate("levering", "Bestelling {order} is pas na twee weken bezorgd, "
                                  "terwijl twee werkdagen was beloofd."),
    ComplaintTemplate("facturatie", "Mijn abonnement is twee keer afgeschreven in "
                                    "dezelfde maand."),
    ComplaintTemplate("app", "Na de laatste update toont de app de ritten van gisteren "
                             "niet meer."),
    ComplaintTemplate("klantenservice", "Ik heb drie keer gebeld over mijn gestolen fiets "
                                        "en ben steeds doorverbonden zonder antwoord."),
)

WHATSAPPS = (
    (("customer", "Hoi! Kan ik de tracker ook op een bakfiets monteren?"),
     ("agent", "Zeker {first}, met de frame-bevestigingsset past hij op bijna elke fiets."),
     ("customer", "Top, die bestel ik erbij.")),
    (("customer", "Mijn {device} staat op 'offline', wat nu?"),
     ("agent", "Staat de accu van de fiets aan? De tracker krijgt daar zijn stroom van."),
     ("customer", "Ah, de accu was leeg. Hij doet het weer."),
     ("agent", "Mooi zo!")),
    (("customer", "Kan ik mijn partner ook toegang geven tot de app?"),
     ("agent", "Ja, via Instellingen > Delen nodigt u iemand uit met een e-mailadres."),),
)

RETURN_REASONS = (
    "Tracker past niet op mijn fiets.",
    "Verkeerd product besteld.",
    "Werkt niet meer (garantie).",
    "Dubbel geleverd.",
)

SURVEYS = (
    ("klanttevredenheid", "Hoe tevreden bent u over de My GPS Tracker-app? (1-10)",
     ("9", "8", "8", "7", "6", "10", "5")),
    ("klanttevredenheid", "Wat kunnen we verbeteren?",
     ("Snellere meldingen bij beweging.", "Een widget voor mijn telefoon.",
      "Langere batterijduur.", "Niets, ik ben tevreden.")),
    ("productonderzoek-ebike", "Welk merk e-bike heeft u?",
     ("Gazelle", "Batavus", "Sparta", "Stromer", "Cortina", "Qwic")),
)

THIRD_PARTY = (
    ("facebook", "https://facebook.example/mygpstracker/posts/{n}",
     "Reactie op onze pagina: 'Werkt de tracker ook op een bakfiets?'"),
    ("linkedin", "https://linkedin.example/company/conneqtech/posts/{n}",
     "Vroeg in een reactie naar trackers voor een wagenpark van twaalf bestelbussen."),
    ("instagram", "https://instagram.example/p/{n}",
     "Plaatste een foto van de teruggevonden fiets met de tag @mygpstracker."),
)
# fmt: on
