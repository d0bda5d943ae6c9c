"""The password-reset pages' and e-mail's words in Dutch and English."""

from __future__ import annotations

from trackguard.web.texts import SIGN_IN_WORDS, Texts

# key -> (nl, en)
_TEXTS: dict[str, tuple[str, str]] = {
    "forgot_title": ("Wachtwoord vergeten", "Forgotten password"),
    "forgot_intro": (
        "Vul het e-mailadres van uw account in. U krijgt dan een link waarmee u een nieuw "
        "wachtwoord instelt. Ook als uw account is vergrendeld omdat het niet meer veilig "
        "was, komt u zo weer binnen.",
        "Enter your account's e-mail address. You will receive a link to set a new "
        "password. This is also how you get back in after your account was locked because "
        "it was no longer safe.",
    ),
    "send_link": ("Stuur mij een link", "Send me a link"),
    "sent_title": ("Kijk in uw e-mail", "Check your e-mail"),
    "sent_body": (
        "Als er een account met dit e-mailadres is, hebben wij er een link naartoe gestuurd. "
        "De link werkt {minutes} minuten en één keer. Niets ontvangen? Kijk ook bij de "
        "ongewenste e-mail, of vraag het over een tijdje opnieuw.",
        "If an account has this e-mail address, we have sent a link to it. The link works "
        "for {minutes} minutes, once. Nothing received? Look in your spam folder too, or ask "
        "again in a while.",
    ),
    "new_title": ("Nieuw wachtwoord instellen", "Set a new password"),
    "new_intro": (
        "Kies een nieuw wachtwoord van minstens {minimum} tekens. Daarna wordt u overal "
        "afgemeld, ook in de app.",
        "Choose a new password of at least {minimum} characters. You are then signed out "
        "everywhere, in the app too.",
    ),
    "password": ("Nieuw wachtwoord", "New password"),
    "repeat": ("Nogmaals", "Once more"),
    "save": ("Opslaan", "Save"),
    "done_title": ("Uw wachtwoord is gewijzigd", "Your password is changed"),
    "done_body": (
        "U kunt zich nu aanmelden met uw nieuwe wachtwoord. Alle eerdere sessies zijn "
        "beëindigd ({count}).",
        "You can now sign in with your new password. Every earlier session has ended ({count}).",
    ),
    "invalid_title": ("Deze link werkt niet meer", "This link no longer works"),
    "invalid_body": (
        "De link is verlopen, al gebruikt, of niet van ons. Vraag een nieuwe aan.",
        "The link has expired, was used already, or is not ours. Ask for a new one.",
    ),
    "ask_again": ("Nieuwe link aanvragen", "Ask for a new link"),
    "mismatch": ("De twee wachtwoorden zijn niet gelijk.", "The two passwords are not the same."),
    "length": (
        "Een wachtwoord heeft {minimum} tot {maximum} tekens.",
        "A password has {minimum} to {maximum} characters.",
    ),
    "mail_subject": (
        "Nieuw wachtwoord voor uw {controller}-account",
        "A new password for your {controller} account",
    ),
    "mail_body": (
        "Iemand, hopelijk u, vroeg om een nieuw wachtwoord voor uw account.\n\n"
        "Stel het in via deze link (werkt {minutes} minuten en één keer):\n\n"
        "    {link}\n\n"
        "Vroeg u hier niet om? Dan kunt u deze e-mail negeren: uw wachtwoord blijft zoals "
        "het is.\n\n{controller}",
        "Someone, hopefully you, asked for a new password for your account.\n\n"
        "Set it with this link (it works for {minutes} minutes, once):\n\n"
        "    {link}\n\n"
        "Did you not ask for this? Then ignore this e-mail: your password stays as it "
        "is.\n\n{controller}",
    ),
}

_WORDS = Texts(SIGN_IN_WORDS, _TEXTS)
texts = _WORDS.all


def reset_mail(lang: str, *, link: str, minutes: int, controller: str) -> tuple[str, str]:
    """The e-mail's subject and body in the customer's language."""
    t = texts(lang)
    subject = t["mail_subject"].format(controller=controller)
    return subject, t["mail_body"].format(link=link, minutes=minutes, controller=controller)
