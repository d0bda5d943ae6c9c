"""What a user agent string may tell the statistics: a device class and a browser family.

Nothing finer (no versions, no operating system build, no screen size): the
coarser the groups, the less a visitor stands out. Bots are recognised here so
they are not counted at all. The string itself is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DeviceClass = Literal["desktop", "mobile", "tablet", "bot"]
DEVICE_CLASSES: tuple[DeviceClass, ...] = ("desktop", "mobile", "tablet", "bot")
OTHER_BROWSER = "Other"
# Longer than any real browser's string; past this, only the start is looked at.
MAX_AGENT_LENGTH = 1024

# Crawlers, link previews, monitors and HTTP libraries: none of them is a visitor.
_BOT_MARKERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "facebookexternalhit",
    "mediapartners",
    "preview",
    "headless",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "scrapy",
    "curl/",
    "wget/",
    "python-",
    "python/",
    "httpx",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "axios/",
    "node-fetch",
    "feedfetcher",
    "validator",
)
_TABLET_MARKERS = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE_MARKERS = ("mobi", "iphone", "ipod", "android", "windows phone", "blackberry", "opera mini")
# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    (("edg/", "edga/", "edgios/"), "Edge"),
    (("opr/", "opera"), "Opera"),
    (("samsungbrowser/",), "Samsung Internet"),
    (("firefox/", "fxios/"), "Firefox"),
    (("chrome/", "crios/", "chromium/"), "Chrome"),
    (("safari/",), "Safari"),
)


@dataclass(frozen=True)
class AgentTraits:
    device: DeviceClass
    browser: str


def classify(user_agent: str | None) -> AgentTraits:
    """Device class and browser family; an empty or missing agent is taken for a bot."""
    agent = (user_agent or "")[:MAX_AGENT_LENGTH].lower()
    if not agent.strip() or any(marker in agent for marker in _BOT_MARKERS):
        return AgentTraits("bot", OTHER_BROWSER)
    return AgentTraits(_device(agent), _browser(agent))


def _device(agent: str) -> DeviceClass:
    if any(marker in agent for marker in _TABLET_MARKERS):
        return "tablet"
    # Android phones say "Mobile"; Android tablets do not.
    if "android" in agent and "mobile" not in agent:
        return "tablet"
    if any(marker in agent for marker in _MOBILE_MARKERS):
        return "mobile"
    return "desktop"


def _browser(agent: str) -> str:
    for markers, name in _BROWSERS:
        if any(marker in agent for marker in markers):
            return name
    return OTHER_BROWSER
