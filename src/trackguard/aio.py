"""Running the event loop: uvloop where it is installed (Linux, macOS), asyncio elsewhere.

uvloop's transports cost a fraction of asyncio's per socket read and write, which is
most of a gateway's work when thousands of trackers send small frames.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # Windows: uvloop does not exist there
        return asyncio.run(main)
    return uvloop.run(main)
