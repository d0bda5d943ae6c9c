"""The `trackguard` command: one sub-app per noun, errors mapped to one-line messages."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

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
from trackguard.errors import ConfigurationError, TrackguardError
from trackguard.settings import Settings, environment_error

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
    """Entry point: a TrackguardError, or a `TRACKGUARD_*` variable the settings refuse,
    becomes `error: <message>` and exit code 1."""
    try:
        # Outside standalone mode click returns typer.Exit codes instead of exiting.
        code = app(standalone_mode=False)
    except TrackguardError as exc:
        _fail(exc)
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        _fail(environment_error(exc))
    except OperationalError as exc:
        # The database cannot be reached or used: the driver's own first line says why
        # (never the statement or its parameters, which may hold personal data).
        said = str(exc.orig if exc.orig is not None else exc)
        reason = said.splitlines()[0] if said else "no reason given"
        _fail(ConfigurationError(f"cannot use the database (TRACKGUARD_DATABASE_URL): {reason}"))
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


def _fail(error: TrackguardError) -> NoReturn:
    typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
    sys.exit(1)


if __name__ == "__main__":
    main()
