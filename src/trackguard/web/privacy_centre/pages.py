"""Rendering a privacy-centre page on the portal's frame (language, CSRF, headers).

The portal's `render` does the frame; this adds the centre's texts (`pc`), its
navigation, the policy, and the formatting helpers the centre's templates share.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse

from trackguard.policy.render import format_article, format_period
from trackguard.policy.render import labels as statement_labels
from trackguard.web.auth.principal import Principal
from trackguard.web.portal.pages import PREFIX, Visit, render
from trackguard.web.privacy_centre.labels import Labels
from trackguard.web.privacy_centre.texts import known, text, texts

CENTRE = PREFIX + "/privacy"
# (path under the centre, text key) in the order the navigation shows them.
SECTIONS = (
    ("", "my_data"),
    ("/export", "export"),
    ("/consents", "consents"),
    ("/requests", "requests"),
    ("/complaint", "complaint"),
    ("/compromised", "compromised"),
)


def notice_from(portal: Visit) -> str | None:
    """The confirmation named by `?done=` after a form redirected back (known keys only)."""
    key = portal.request.query_params.get("done", "")
    return text(key, portal.lang) if key and known(key) else None


def centre_page(
    portal: Visit,
    template: str,
    principal: Principal,
    *,
    title_key: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = portal.lang
    policy = portal.runtime.policy
    labels = statement_labels(lang)
    context.setdefault("notice", notice_from(portal))
    return render(
        portal,
        f"privacy_centre/{template}",
        status=status,
        principal=principal,
        title=text(title_key, lang),
        pc=texts(lang),
        centre=CENTRE,
        sections=[(CENTRE + path, text(key, lang), key == title_key) for path, key in SECTIONS],
        policy=policy,
        period=lambda period: format_period(period, lang),
        article=lambda ref: format_article(ref, lang),
        action_name=lambda action: str(labels["actions"].get(action, action)),
        source_name=lambda method: str(labels["collected"].get(method, method)),
        **{**Labels(policy, lang).helpers(), **context},
    )
