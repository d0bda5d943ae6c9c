"""`trackguard serve`: the web server."""

from __future__ import annotations


def serve() -> None:
    """Start the web server."""
    raise NotImplementedError
