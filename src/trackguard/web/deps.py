"""FastAPI dependencies, defined once as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, Request

from trackguard.runtime import Runtime
from trackguard.web.statements import StatementCache


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# The dependencies are async on purpose: FastAPI sends every sync dependency through
# the threadpool, a hop per request for a mere attribute read.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_statements(request: Request) -> StatementCache:
    statements: StatementCache = request.app.state.statements
    return statements


async def get_api_reads(request: Request) -> CapacityLimiter:
    """The threads Traccar API reads run on (`Settings.api_read_threads` of them)."""
    reads: CapacityLimiter = request.app.state.api_reads
    return reads


CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
ApiReads = Annotated[CapacityLimiter, Depends(get_api_reads)]
Statements = Annotated[StatementCache, Depends(get_statements)]
