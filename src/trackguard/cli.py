"""The `trackguard` command: one sub-app per noun, errors mapped to one-line messages."""

from __future__ import annotations

import sys

import typer

from trackguard.commands import audit, db, demo, keys, policy, serve, simulate
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
    except Exception as exc:  # click usage errors carry their own exit code and message
        from click import ClickException

        if isinstance(exc, ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
