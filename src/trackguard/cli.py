"""The `trackguard` command: one sub-app per noun, errors mapped to one-line messages."""

from __future__ import annotations

import sys

import typer

from trackguard.commands import (
    antitheft,
    audit,
    customers,
    db,
    demo,
    devices,
    holds,
    keys,
    policy,
    positions,
    requests,
    retention,
    serve,
    simulate,
    staff,
)
from trackguard.errors import TrackguardError

app = typer.Typer(
    name="trackguard",
    help="GPS-tracker platform whose privacy statement is executable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(policy.app, name="policy")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(demo.app, name="demo")
app.add_typer(devices.app, name="devices")
app.add_typer(antitheft.app, name="antitheft")
app.add_typer(customers.app, name="customers")
app.add_typer(requests.app, name="requests")
app.add_typer(retention.app, name="retention")
app.add_typer(holds.app, name="holds")
app.add_typer(staff.app, name="staff")
app.command("positions")(positions.positions)
app.command("serve")(serve.serve)
app.command("simulate")(simulate.simulate)


def main() -> None:
    """Entry point: a TrackguardError becomes `error: <message>` and exit code 1."""
    try:
        # Outside standalone mode click returns typer.Exit codes instead of exiting.
        code = app(standalone_mode=False)
    except TrackguardError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:
        # Usage errors (unknown option, bad value) come from the click that typer bundles;
        # they know how to show themselves and which exit code they carry.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
