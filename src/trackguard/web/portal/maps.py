"""Map settings for the portal's Leaflet maps, and the CSP that goes with them (pure).

By default (`TRACKGUARD_MAP_TILES` unset) a map has no background tiles: the
track, the positions and a scale are drawn on a plain canvas, and no request
leaves for a tile server, so no third party learns a visitor's IP address or
where they are looking. To show a background map, run your own tile server
(e.g. a tileserver-gl or an OpenStreetMap tile stack on your own host) and set

    TRACKGUARD_MAP_TILES=https://tiles.example.org/{z}/{x}/{y}.png
    TRACKGUARD_MAP_TILES_ATTRIBUTION="Map data © OpenStreetMap contributors"

A path on this host (`/tiles/{z}/{x}/{y}.png`, behind the same reverse proxy)
needs nothing else; another host is admitted as an image source in the map
pages' CSP. A tile server run by someone else is a recipient of visitors' IP
addresses: name it in the policy before pointing the portal at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from trackguard.settings import Settings
from trackguard.web.security import content_security_policy


@dataclass(frozen=True)
class MapConfig:
    tiles: str | None = None
    attribution: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> MapConfig:
        tiles = (settings.map_tiles or "").strip() or None
        return cls(tiles, (settings.map_tiles_attribution or "").strip() or None)

    @property
    def tile_origin(self) -> str | None:
        """The CSP source for the tile host; None for no tiles or tiles on this host."""
        if self.tiles is None:
            return None
        parts = urlsplit(self.tiles)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None  # a path on this host: 'self' covers it
        # Leaflet's "{s}" subdomain placeholder becomes a CSP wildcard label.
        host = parts.netloc.replace("{s}", "*")
        return f"{parts.scheme}://{host}"

    def csp(self) -> str:
        """The page's CSP: ours, plus the tile host as an image source when there is one."""
        policy = content_security_policy()
        origin = self.tile_origin
        return f"{policy}; img-src 'self' {origin}" if origin else policy
