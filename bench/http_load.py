"""A light HTTP/1.1 load generator for the benchmarks: keep-alive GETs parsed by httptools.

httpx spends about 7 ms of CPU reading one 3.5 MiB answer (its HTTP/1.1 parser and
stream layers handle the body in small pieces, in Python); on a two-core machine
that is a core taken from the server being measured. Here each connection is an
asyncio protocol whose bytes go straight to httptools (llhttp, in C, the parser
uvicorn uses): the body is counted, not kept.
"""

from __future__ import annotations

import asyncio
import time
from typing import cast
from urllib.parse import urlencode

import httptools


class KeepAliveConnection(asyncio.Protocol):
    """One connection, one request at a time: `await connection.get()` -> (status, bytes)."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[tuple[int, int]] | None = None
        self._size = 0

    @classmethod
    async def open(cls, host: str, port: int, request: bytes) -> KeepAliveConnection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: cls(request), host, port)
        return connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unparseable answer: {exc}"))

    def on_body(self, body: bytes) -> None:  # httptools callback
        self._size += len(body)

    def on_message_complete(self) -> None:  # httptools callback
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((self._parser.get_status_code(), self._size))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"connection closed: {exc}"))

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)

    async def get(self) -> tuple[int, int]:
        assert self._transport is not None
        self._size = 0
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(self.request)
        return await self._answer

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def get_request(host: str, path: str, params: dict[str, object], token: str) -> bytes:
    query = f"?{urlencode(params)}" if params else ""
    return (
        f"GET {path}{query} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    ).encode()


async def hammer(
    host: str, port: int, request: bytes, concurrency: int, seconds: float
) -> tuple[list[float], int, float]:
    """`concurrency` connections sending `request` back to back for `seconds`: the latency
    (ms, request written to last body byte read) of every 200 answer, how many answers
    were anything else (or failed), and the seconds taken."""
    connections = [await KeepAliveConnection.open(host, port, request) for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()
    deadline = began + seconds

    async def worker(connection: KeepAliveConnection) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                status, _ = await connection.get()
            except ConnectionError:
                errors += 1
                return  # this connection is gone: the others go on
            if status == 200:
                latencies.append((time.perf_counter() - sent) * 1000)
            else:
                errors += 1

    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return latencies, errors, time.perf_counter() - began
