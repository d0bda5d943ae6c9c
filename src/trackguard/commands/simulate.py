"""`trackguard simulate`: drive simulated trackers over a real protocol against a server."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from trackguard import aio
from trackguard.commands.context import load_settings
from trackguard.errors import ConfigurationError
from trackguard.settings import Settings
from trackguard.simulator.drivers import DriveStats, Target
from trackguard.simulator.run import SimulationPlan, SimulationResult, run_simulation

PROTOCOLS = ("gt06", "teltonika", "h02", "watch", "osmand", "mqtt")


def _default_port(settings: Settings, protocol: str) -> int:
    if protocol == "mqtt":
        from urllib.parse import urlsplit

        return urlsplit(settings.mqtt_url).port or 1883
    port: int = getattr(settings, f"{protocol}_port")
    return port


def _default_host(settings: Settings, protocol: str) -> str:
    if protocol == "mqtt":
        from urllib.parse import urlsplit

        return urlsplit(settings.mqtt_url).hostname or "127.0.0.1"
    return settings.host


def simulate(
    protocol: str = typer.Option(..., "--protocol", help=f"One of: {', '.join(PROTOCOLS)}."),
    devices: int = typer.Option(1, "--devices", min=1, max=100_000, help="Simulated trackers."),
    rate: float = typer.Option(
        1.0, "--rate", min=0.0, help="Reports per second per device (0: as fast as acks allow)."
    ),
    count: int | None = typer.Option(
        None, "--count", min=1, help="Reports per device, then stop (default: until Ctrl-C)."
    ),
    host: str | None = typer.Option(None, "--host", help="Server (default: settings host)."),
    port: int | None = typer.Option(None, "--port", help="Default: the protocol's port."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same IMEIs and tracks."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Drive realistic bike and car tracks around Bunschoten-Spakenburg and Amersfoort
    over the real protocol, waiting for each ack where the protocol has one.

    Example: trackguard simulate --protocol gt06 --devices 10 --rate 1 --count 60
    """
    if protocol not in PROTOCOLS:
        raise ConfigurationError(
            f"unknown protocol '{protocol}': use one of {', '.join(PROTOCOLS)}"
        )
    settings = load_settings()
    plan = SimulationPlan(
        protocol=protocol,
        target=Target(
            host or _default_host(settings, protocol), port or _default_port(settings, protocol)
        ),
        devices=devices,
        rate=rate,
        count=count,
        seed=seed,
    )
    result = _run_with_progress(plan, show=not as_json)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_summary(result)
    if result.stats.failed_devices:
        raise typer.Exit(1)


def _run_with_progress(plan: SimulationPlan, *, show: bool) -> SimulationResult:
    total = plan.devices * plan.count if plan.count else None
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} acked"),
        TimeElapsedColumn(),
        disable=not show,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{plan.protocol} x{plan.devices}", total=total)

        def update(stats: DriveStats) -> None:
            progress.update(task, completed=stats.acked or stats.sent)

        try:
            return aio.run(run_simulation(plan, on_progress=update))
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def _print_summary(result: SimulationResult) -> None:
    summary = result.to_dict()
    typer.echo(
        f"{summary['protocol']}: {summary['devices']} devices, {summary['sent']} sent, "
        f"{summary['acked']} acked in {summary['seconds']} s "
        f"({summary['acked_per_second']}/s)"
    )
    if summary["ack_latency_ms_p50"] is not None:
        typer.echo(
            f"ack latency p50 {summary['ack_latency_ms_p50']:.1f} ms, "
            f"p99 {summary['ack_latency_ms_p99']:.1f} ms"
        )
    if summary["errors"]:
        typer.echo(f"failed devices: {summary['failed_devices']} {summary['errors']}", err=True)
