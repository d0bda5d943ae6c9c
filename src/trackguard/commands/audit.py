"""`trackguard audit`: the hash-chained audit log."""

from __future__ import annotations

import typer

app = typer.Typer(help="The audit log.", no_args_is_help=True)
