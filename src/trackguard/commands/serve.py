"""`trackguard serve`: the web server and the device gateways, in one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer
from sqlalchemy.engine import make_url

from trackguard import aio
from trackguard.commands.context import load_settings
from trackguard.errors import ConfigurationError
from trackguard.settings import Settings

if TYPE_CHECKING:
    import uvicorn

    from trackguard.runtime import Runtime
    from trackguard.simulator.live_demo import DemoTracker

# Seconds connections get to receive the acks of positions already being stored.
SHUTDOWN_GRACE = 5.0


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to bind (default: TRACKGUARD_HOST, else 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        min=0,
        max=65535,
        help="Port to listen on (default: TRACKGUARD_WEB_PORT, else 8082 as Traccar).",
    ),
    gateways: str | None = typer.Option(
        None,
        "--gateways",
        help="Comma-separated gateways to start, e.g. osmand,gt06 "
        "(default: TRACKGUARD_GATEWAYS, else all).",
    ),
    no_gateways: bool = typer.Option(
        False, "--no-gateways", help="Start only the web server, no device gateways."
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Seed the demo data if missing and let the demo customer's trackers drive "
        "their routes over their real protocols against this server.",
    ),
) -> None:
    """Start the web server and the device gateways (OsmAnd, GT06, Teltonika, H02, watch, MQTT).

    Opens the database (migrating it), loads the policy and unlocks the vault,
    creating the master key file on first start. Gateways listen on Traccar's
    ports (TRACKGUARD_<PROTOCOL>_PORT) on the same address as the web server;
    a device gets its ack only after its position is committed. SIGTERM or
    Ctrl-C stops accepting, writes what is queued, and exits.

    Example: trackguard serve --host 0.0.0.0 --gateways osmand,gt06,mqtt
    """
    from trackguard.runtime import Runtime

    settings = load_settings()
    if host is not None:
        settings = settings.model_copy(update={"host": host})
    if no_gateways:
        settings = settings.model_copy(update={"gateways": "none"})
    elif gateways is not None:
        settings = settings.model_copy(update={"gateways": gateways or "none"})
    bind_port = port if port is not None else settings.web_port
    _log_to_stderr()
    runtime = Runtime.open(settings)
    try:
        _announce(runtime.settings, settings.host, bind_port)
        trackers = None
        if demo:
            from trackguard.simulator.live_demo import demo_trackers

            trackers = demo_trackers(runtime)
            typer.echo(f"  demo: {len(trackers)} trackers of demo@trackguard.example will drive")
        aio.run(_serve(runtime, settings.host, bind_port, trackers))
    finally:
        runtime.close()
    typer.echo("trackguard stopped")


async def _serve(
    runtime: Runtime, host: str, port: int, demo_trackers: list[DemoTracker] | None = None
) -> None:
    import uvicorn

    from trackguard.gateway.service import Gateways
    from trackguard.gateway.writer import PositionWriter
    from trackguard.privacy.requests.outbox import OutboxJob
    from trackguard.privacy.retention.schedule import RetentionSchedule
    from trackguard.tracking.compaction import compaction_job
    from trackguard.tracking.events import AntiTheftMonitor
    from trackguard.tracking.live import LiveHub
    from trackguard.tracking.notify import Notifier, NotifyConfig
    from trackguard.web.app import create_app

    hub = LiveHub()  # one hub: the anti-theft monitor publishes, /api/socket relays
    config = uvicorn.Config(
        create_app(runtime, live=hub),
        host=host,
        port=port,
        # Access logs would record every visitor's IP address: personal data the
        # policy does not list, so the server does not write them.
        access_log=False,
        server_header=False,
        log_level="info",
    )
    web = _embedded_server(config)
    listener = _bind(host, port)  # before anything starts: a busy port is a plain error
    writer = PositionWriter.from_runtime(runtime)
    # Committed positions feed the anti-theft rules, which alert and push live updates.
    notifier = Notifier(
        runtime.db, runtime.vault, NotifyConfig.from_settings(runtime.settings), clock=runtime.clock
    )
    monitor = AntiTheftMonitor(runtime.db, runtime.vault, notifier=notifier, hub=hub)
    writer.on_committed(monitor.on_committed)
    gateways = Gateways(runtime.settings, writer, clock=runtime.clock)
    # The policy's retention rules: soon after start, then every retention_interval_hours.
    retention = RetentionSchedule.from_runtime(runtime)
    # Past hours' single position rows folded into blocks, every few minutes.
    compaction = compaction_job(runtime)
    # Mail the relay did not take when it was decided (rights notices, reset links).
    outbox = OutboxJob(runtime)
    stop = asyncio.Event()
    with _on_signals(stop):
        await writer.start()
        try:
            await gateways.start()
            for name, bound in gateways.listening().items():
                typer.echo(f"  gateway {name}: {_shown(host)}:{bound}")
            if any(g.name == "mqtt" for g in gateways.gateways):
                typer.echo(f"  gateway mqtt: subscribing to {runtime.settings.mqtt_topic}")
            _settle_heap()
            web_task = asyncio.create_task(web.serve(sockets=[listener]))
            retention.start()
            compaction.start()
            outbox.start()
            demo_task = None
            if demo_trackers:
                from trackguard.simulator.live_demo import drive_demo

                local = "127.0.0.1" if host in ("0.0.0.0", "") else host
                demo_task = asyncio.create_task(
                    drive_demo(demo_trackers, local, gateways.listening())
                )
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({web_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if demo_task is not None:
                demo_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await demo_task
            # Devices first, while the writer still commits their positions (acks go out).
            await gateways.stop(SHUTDOWN_GRACE)
            web.should_exit = True
            await web_task
        finally:
            await retention.stop()  # returns between two of its batches
            await compaction.stop()  # likewise, between two transactions
            await outbox.stop()  # after the message it is sending, if any
            await gateways.stop(0)
            await writer.close()  # writes everything still queued
            await monitor.drain()  # alerts already started are delivered
            listener.close()


def _settle_heap() -> None:
    """Keep the collector off the start-up objects (models, policy, templates, app).

    Otherwise every full collection walks them all again, which shows as latency
    spikes of tens of milliseconds in API answers; a higher first threshold makes
    the young-generation passes rarer while requests allocate thousands of dicts.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def _bind(host: str, port: int) -> socket.socket:
    """The web server's listening socket (uvicorn would exit the process on a bind error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"the web server cannot listen on {_shown(host)}:{port} "
            f"({exc.strerror or type(exc).__name__})"
        ) from None
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def _on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and Ctrl-C set `stop`; signals reach only the main thread's loop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    handled = (signal.SIGTERM, signal.SIGINT)
    for sig in handled:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def _embedded_server(config: uvicorn.Config) -> uvicorn.Server:
    import uvicorn

    class EmbeddedServer(uvicorn.Server):
        """uvicorn without its own signal handling: `serve` stops it with everything else."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:
            return None

    return EmbeddedServer(config)


def _log_to_stderr() -> None:
    """Gateway and writer messages (counters only, never personal data) go to stderr."""
    logger = logging.getLogger("trackguard")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _announce(settings: Settings, host: str, port: int) -> None:
    shown_host = _shown(host)
    typer.echo(f"trackguard listening on http://{shown_host}:{port}")
    typer.echo(f"  privacy statement: http://{shown_host}:{port}/privacy?lang=nl (or lang=en)")
    typer.echo(f"  data dir: {settings.data_dir.resolve()}")
    typer.echo(
        "  database: "
        + make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    )
    key_file = settings.resolved_key_file.resolve()
    typer.echo(f"  key file: {key_file}")
    typer.secho(
        f"WARNING: {key_file} is the only key to the encrypted data. Keep a backup of it "
        "apart from the database: if the key file is lost, the data is lost for good.",
        err=True,
        fg=typer.colors.YELLOW,
        bold=True,
    )
