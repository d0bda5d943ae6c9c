"""The one settings object, built once at start-up and passed to what needs it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from trackguard.errors import ConfigurationError

PACKAGED_POLICY = Path(__file__).parent / "policies" / "conneqtech.yaml"
ENV_PREFIX = "TRACKGUARD_"
_HTTP_ADDRESS = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")
# URLs may carry a user and password (postgresql://user:secret@host/db): never echoed.
_MAY_HOLD_CREDENTIALS = frozenset({"database_url", "mqtt_url"})
# Files in the zone directories that name no zone: `localtime` is this machine's own
# /etc/localtime, `Factory` the placeholder of systems whose zone was never set.
_NOT_ZONES = frozenset({"localtime", "Factory"})


class Settings(BaseSettings):
    """Everything configurable, read from `TRACKGUARD_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(
        default=Path("./trackguard-data"),
        description="Where the embedded database, key file and exports live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file (WAL) in the data dir.",
    )
    key_file: Path | None = Field(
        default=None, description="Master key file; default `<data_dir>/master.key`."
    )
    policy_file: Path = Field(
        default=PACKAGED_POLICY, description="The privacy policy the platform enforces."
    )
    host: str = Field(default="127.0.0.1", description="Address the web server binds to.")
    web_port: int = Field(default=8082, ge=0, le=65535, description="Web/API port (Traccar's).")
    osmand_port: int = Field(default=5055, ge=0, le=65535)
    gt06_port: int = Field(default=5023, ge=0, le=65535)
    h02_port: int = Field(default=5013, ge=0, le=65535)
    teltonika_port: int = Field(default=5027, ge=0, le=65535)
    watch_port: int = Field(default=5093, ge=0, le=65535)
    mqtt_url: str = Field(default="mqtt://127.0.0.1:1883", description="MQTT broker.")
    mqtt_topic: str = Field(default="owntracks/+/+", description="OwnTracks topic filter.")
    # Which gateways `serve` starts: comma-separated protocol names, or "none".
    gateways: str = Field(default="osmand,gt06,teltonika,h02,watch,mqtt")
    gateway_max_connections: int = Field(default=10_000, ge=1)
    gateway_idle_timeout: float = Field(default=600.0, gt=0, description="Seconds.")
    gateway_max_frame: int = Field(default=65_536, ge=64, description="Bytes.")
    batch_max_rows: int = Field(default=5_000, ge=1)
    batch_max_delay: float = Field(default=0.05, gt=0, description="Seconds a batch waits.")
    queue_max_rows: int = Field(default=100_000, ge=1, description="Backpressure bound.")
    public_url: str | None = Field(
        default=None,
        description="The address customers reach the web app at (e.g. https://track.example.nl), "
        "used in links sent by e-mail; default: http://<host>:<web port>.",
    )
    retention_interval_hours: float = Field(
        default=24.0, ge=0, description="How often `serve` applies the retention rules; 0: never."
    )
    compaction_interval_minutes: float = Field(
        default=10.0,
        ge=0,
        description="How often `serve` folds the positions of past hours into blocks; 0: never.",
    )
    compaction_settle_minutes: float = Field(
        default=15.0,
        ge=0,
        description="An hour is folded only this long after it ended (late fixes still arrive).",
    )
    # Staff see other people's data: their sessions end sooner than customers' own.
    staff_session_hours: float = Field(
        default=8.0, gt=0, description="A staff sign-in lasts at most this many hours."
    )
    staff_idle_minutes: float = Field(
        default=30.0, gt=0, description="A staff session unused this many minutes ends."
    )
    # Beyond a couple of reads at once, their Python work takes turns on one GIL and every
    # answer in flight comes late (and costs more); queued, they are answered one by one.
    api_read_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Traccar API reads (devices, positions, geofences) handled at once; "
        "more wait their turn.",
    )
    # Bad-fix filters (tracking): each can be switched off with 0 / false.
    filter_invalid: bool = True
    filter_zero: bool = True
    filter_duplicate: bool = True
    filter_future_seconds: float = Field(default=300.0, ge=0)
    filter_max_speed_kmh: float = Field(default=500.0, ge=0, description="Impossible jump.")
    smtp_host: str = Field(default="127.0.0.1")
    smtp_port: int = Field(default=25, ge=0, le=65535)
    smtp_sender: str = Field(default="alarms@trackguard.example")
    smtp_username: str | None = Field(default=None, description="SMTP login, if one is needed.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade to TLS with STARTTLS.")
    smtp_ssl: bool = Field(default=False, description="Implicit TLS from the start (port 465).")
    smtp_timeout: float = Field(default=10.0, gt=0, description="Seconds per SMTP operation.")
    # None: portal maps draw tracks on a plain canvas, so no tile server learns who looks.
    map_tiles: str | None = Field(
        default=None,
        description="Leaflet tile URL template of your own tile server, e.g. "
        "https://tiles.example.org/{z}/{x}/{y}.png; the CSP admits its origin for images.",
    )
    map_tiles_attribution: str | None = Field(
        default=None, description="Attribution shown under tiles (e.g. the map data licence)."
    )
    # Times and calendar days (history, trips) in the portal, privacy centre and back office
    # are this zone's.
    portal_timezone: ZoneInfo = Field(
        default=ZoneInfo("Europe/Amsterdam"),
        description="IANA time zone the web pages show times in, e.g. Europe/Brussels.",
    )

    @field_validator("public_url")
    @classmethod
    def _an_http_address(cls, url: str | None) -> str | None:
        if url is not None and not _HTTP_ADDRESS.match(url):
            raise PydanticCustomError(
                "public_url",
                "should be an http:// or https:// address, e.g. https://track.example.nl",
            )
        return url

    @field_validator("portal_timezone", mode="before")
    @classmethod
    def _an_iana_zone(cls, zone: Any) -> Any:
        """Only the tz database's names: ZoneInfo alone also opens any file below the zone
        directories (`localtime`, `posix/...`)."""
        name = zone.key if isinstance(zone, ZoneInfo) else zone
        if not isinstance(name, str) or name in _NOT_ZONES or name not in _iana_zone_names():
            raise PydanticCustomError(
                "iana_timezone",
                "invalid timezone, not an IANA time zone name such as Europe/Amsterdam or UTC",
            )
        return ZoneInfo(name)

    @property
    def enabled_gateways(self) -> list[str]:
        names = [n.strip() for n in self.gateways.split(",") if n.strip()]
        return [] if names == ["none"] else names

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'trackguard.db').resolve()}"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file if self.key_file is not None else self.data_dir / "master.key"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    def ensure_data_dir(self) -> Path:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"{ENV_PREFIX}DATA_DIR: cannot create {self.data_dir}: {exc.strerror or exc}"
            ) from None
        return self.data_dir


@cache
def _iana_zone_names() -> frozenset[str]:
    # Reads the zone directories (a fifth of a second): once, and only for a zone given.
    return frozenset(available_timezones())


def environment_error(error: ValidationError) -> ConfigurationError:
    """What is wrong with the `TRACKGUARD_*` variables `Settings()` refused, one clause per
    variable: its name, its value unless a secret, and the problem."""
    return ConfigurationError("; ".join(_explain(problem) for problem in error.errors()))


def _explain(problem: ErrorDetails) -> str:
    field = str(problem["loc"][0]) if problem["loc"] else ""
    variable = f"{ENV_PREFIX}{field}".upper()
    message = str(problem["msg"])
    if message[:2].istitle():  # pydantic's "Input should be ..." reads on after a colon
        message = message[0].lower() + message[1:]
    if is_secret(field):
        return f"{variable} (value not shown): {message}"
    return f"{variable}={_shown(problem.get('input'))}: {message}"


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def is_secret(field: str) -> bool:
    """A setting whose value must never be shown: a password, or a URL that may hold one."""
    found = Settings.model_fields.get(field)
    if found is None:
        return True  # not ours to judge: show nothing
    return field in _MAY_HOLD_CREDENTIALS or SecretStr in (
        found.annotation,
        *get_args(found.annotation),
    )
