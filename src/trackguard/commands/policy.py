"""`trackguard policy`: check, render, ropa, datamap."""

from __future__ import annotations

import typer

app = typer.Typer(help="The privacy policy: check it against the code, render it.",
                  no_args_is_help=True)
