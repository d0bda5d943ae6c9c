"""FastAPI dependencies, defined once as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from trackguard.runtime import Runtime
from trackguard.web.statements import StatementCache


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_statements(request: Request) -> StatementCache:
    statements: StatementCache = request.app.state.statements
    return statements


CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
Statements = Annotated[StatementCache, Depends(get_statements)]
