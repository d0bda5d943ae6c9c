"""`trackguard serve`: the web server."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import typer
from sqlalchemy.engine import make_url

from trackguard.commands.context import load_settings
from trackguard.settings import Settings


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
) -> None:
    """Start the web server: privacy statement (nl/en) and health check.

    Opens the database (migrating it), loads the policy and unlocks the vault,
    creating the master key file on first start.

    Example: trackguard serve --host 0.0.0.0 --port 8082
    """
    # Imported here so the other commands do not pay for the web stack at start-up.
    import uvicorn

    from trackguard.runtime import Runtime
    from trackguard.web.app import create_app

    settings = load_settings()
    bind_host = host if host is not None else settings.host
    bind_port = port if port is not None else settings.web_port
    runtime = Runtime.open(settings)
    try:
        _announce(runtime.settings, bind_host, bind_port)
        config = uvicorn.Config(
            create_app(runtime),
            host=bind_host,
            port=bind_port,
            # Access logs would record every visitor's IP address: personal data the
            # policy does not list, so the server does not write them.
            access_log=False,
            server_header=False,
            log_level="info",
        )
        with _stop_on_signal():
            uvicorn.Server(config).run()
    finally:
        runtime.close()
    typer.echo("trackguard stopped")


class _Stopped(Exception):
    """SIGTERM arrived; uvicorn has already shut down gracefully."""


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


@contextmanager
def _stop_on_signal() -> Iterator[None]:
    """Make SIGTERM and Ctrl-C end `serve` normally, so the runtime is closed.

    uvicorn shuts down gracefully on the signal, then raises it again for the
    handler that was there before. Without this, SIGTERM's default handler would
    kill the process before the runtime closes, and SIGINT would end in a traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals only reach the main thread; someone else handles them
        return
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        yield
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _announce(settings: Settings, host: str, port: int) -> None:
    shown_host = f"[{host}]" if ":" in host else host
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
