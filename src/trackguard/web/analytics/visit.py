"""Which requests are page views, and what of them the statistics keep. Pure: plain values in.

Counted: a GET that produced a 200 HTML page, outside the static files, the API
and the back office, from a browser that is not a bot and did not ask not to be
tracked (`DNT: 1` or `Sec-GPC: 1`) and is not merely prefetching.

Kept of a page view (`PageView`): the site's host name; the path without query
string, with the values of path parameters replaced by their names
(`/portal/devices/{device_id}`), since an id in a path points at a person; the
referring site's host name only; a device class and browser family; a country;
the UTC day and hour. The IP address and user agent only feed the day's visitor
hash (see `hashing`) and are never part of a `PageView`.

The country comes only from sources that need no third party: a two-letter code
set by the operator's proxy (`CF-IPCountry` as Cloudflare sends it, or
`X-Country`), else the region of the browser's most preferred language
(`nl-NL` -> NL), else "unknown". A visitor can send those headers themselves,
which only makes the statistics less accurate, never less private.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from trackguard.store.models.analytics import GROUP_VALUE_LENGTH, HOST_LENGTH
from trackguard.web.analytics.agents import classify

TOTAL = "total"
DIMENSIONS = ("page", "referrer", "device", "browser", "country", "hour")
UNKNOWN_COUNTRY = "unknown"
NO_REFERRER = "(none)"
EXCLUDED_PREFIXES = ("/static", "/api", "/backoffice")
COUNTRY_HEADERS = ("cf-ipcountry", "x-country")
# Codes proxies use for "no country": unknown (Cloudflare's XX) and user-assigned ZZ.
_NO_COUNTRY = frozenset({"XX", "ZZ"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_REGION = re.compile(r"^[a-z]{2,3}(?:-[a-z]{4})?-([a-z]{2})(?:-|$)")


@dataclass(frozen=True)
class PageView:
    site: str
    path: str
    referrer: str
    device: str
    browser: str
    country: str
    day: datetime  # midnight UTC starting the day
    hour: int

    def groups(self) -> list[tuple[str, str]]:
        """(dimension, value) of every count this view adds to, the day's total first."""
        return [
            (TOTAL, ""),
            ("page", self.path),
            ("referrer", self.referrer),
            ("device", self.device),
            ("browser", self.browser),
            ("country", self.country),
            ("hour", f"{self.hour:02d}"),
        ]


def may_count(method: str, path: str, headers: Mapping[str, str]) -> bool:
    """Before the response: could this request become a counted page view?

    `headers` has lower-case names (as ASGI gives them)."""
    if method != "GET" or any(_under(path, prefix) for prefix in EXCLUDED_PREFIXES):
        return False
    if headers.get("dnt", "").strip() == "1" or headers.get("sec-gpc", "").strip() == "1":
        return False
    # Speculative loads the visitor may never see are not visits.
    purpose = headers.get("sec-purpose", "") + headers.get("purpose", "")
    return "prefetch" not in purpose.lower() and "prerender" not in purpose.lower()


def is_page(status: int, content_type: str | None) -> bool:
    """After the response: only successful HTML pages count."""
    return status == 200 and (content_type or "").lower().startswith("text/html")


def page_view(
    *,
    path: str,
    path_params: Mapping[str, object],
    headers: Mapping[str, str],
    now: datetime,
) -> PageView | None:
    """The page view to count, or None (a bot, or no usable site name)."""
    site = host_name(headers.get("host", ""))
    if site is None:
        return None
    traits = classify(headers.get("user-agent"))
    if traits.device == "bot":
        return None
    moment = now.astimezone(UTC)
    return PageView(
        site=site,
        path=page_path(path, path_params),
        referrer=referrer_host(headers.get("referer"), site),
        device=traits.device,
        browser=traits.browser,
        country=country(headers),
        day=moment.replace(hour=0, minute=0, second=0, microsecond=0),
        hour=moment.hour,
    )


def host_name(host: str) -> str | None:
    """The host name of a Host header (no port), lower-case, if it is a valid one."""
    name = host.strip().lower()
    if name.startswith("["):  # an IPv6 literal: no site name
        return None
    name = name.rsplit(":", 1)[0] if ":" in name else name
    name = name.rstrip(".")
    return name if _HOST.match(name) and len(name) <= HOST_LENGTH else None


def page_path(path: str, path_params: Mapping[str, object]) -> str:
    """The route's shape: each path segment that is a parameter's value becomes `{name}`."""
    by_value = {str(value): name for name, value in path_params.items() if str(value)}
    segments = [
        "{" + by_value[segment] + "}" if segment in by_value else segment
        for segment in path.split("/")
    ]
    shaped = "/".join(segments)
    if len(shaped) > 1:
        shaped = shaped.rstrip("/") or "/"
    return shaped[:GROUP_VALUE_LENGTH]


def referrer_host(referer: str | None, site: str) -> str:
    """The referring site's host name (without `www.`); links within the site are none."""
    if not referer:
        return NO_REFERRER
    try:
        parts = urlsplit(referer.strip())
        host = parts.hostname
    except ValueError:
        return NO_REFERRER
    if parts.scheme not in ("http", "https") or not host:
        return NO_REFERRER
    name = host_name(host)
    if name is None or _bare(name) == _bare(site):
        return NO_REFERRER
    return _bare(name)


def country(headers: Mapping[str, str]) -> str:
    """ISO 3166 alpha-2 code from the proxy's header, else the preferred language's region."""
    for header in COUNTRY_HEADERS:
        code = headers.get(header, "").strip().upper()
        if code:  # the proxy decides, also when it says "unknown" (XX) or "Tor" (T1)
            return code if _COUNTRY.match(code) and code not in _NO_COUNTRY else UNKNOWN_COUNTRY
    first = headers.get("accept-language", "").split(",")[0].split(";")[0].strip().lower()
    region = _REGION.match(first)
    return region.group(1).upper() if region else UNKNOWN_COUNTRY


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _bare(host: str) -> str:
    return host.removeprefix("www.")
