"""FastAPI dependencies, defined once as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

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


CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
Statements = Annotated[StatementCache, Depends(get_statements)]
