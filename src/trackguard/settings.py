"""The one settings object, built once at start-up and passed to what needs it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGED_POLICY = Path(__file__).parent / "policies" / "conneqtech.yaml"


class Settings(BaseSettings):
    """Everything configurable, read from `TRACKGUARD_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TRACKGUARD_", extra="ignore")

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
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
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
    # Times and calendar days (history, trips) in the portal and privacy centre are this zone's.
    portal_timezone: ZoneInfo = Field(
        default=ZoneInfo("Europe/Amsterdam"),
        description="IANA time zone the portal shows times in, e.g. Europe/Brussels.",
    )

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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir
