"""A lean HTTP/1.1 load generator for the engine benchmark.

A general client (httpx) spends about a millisecond of CPU on each request; on a 2-core machine
that is CPU the engine under test no longer has, so the benchmark would measure the client.
This one keeps one keep-alive connection per simulated client, sends pre-built request bytes
and reads only the status line, the ``Content-Length`` and the body, much as ``wrk`` does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to ``host:port``; requests on it go one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    def request_bytes(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """The bytes of one request, to build once and send many times."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._host}"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        head.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        if body is not None:
            head.append("Content-Type: application/json")
        head.append(f"Content-Length: {len(payload)}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + payload

    async def send(self, raw: bytes) -> Answer:
        self._writer.write(raw)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("the engine closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        body = await self._reader.readexactly(length) if length else b""
        return Answer(status, body)

    async def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> Answer:
        return await self.send(self.request_bytes(method, path, token, body))

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


async def paced_counter(
    conn: Connection,
    call_next: bytes,
    finish: bytes,
    first_due: float,
    cycle_s: float,
    remaining: list[int],
    answered: Callable[[Answer, float, float], None],
) -> None:
    """One teller on a schedule: call-next at ``first_due`` and once per ``cycle_s`` after
    (times of the running loop's clock), finish half a cycle after each call, while
    ``remaining[0]`` calls are left to make (shared by the tellers of a hall). The schedule
    does not wait for the answers (a teller presses when the customer leaves, not when the
    engine is ready), so a slow answer is measured, not hidden by calling less often.
    ``answered`` gets each call-next's answer, its latency in seconds and when it came
    (``time.perf_counter()``)."""
    loop = asyncio.get_running_loop()
    due = first_due
    while remaining[0] > 0:
        remaining[0] -= 1
        await asyncio.sleep(max(0.0, due - loop.time()))
        t0 = time.perf_counter()
        r = await conn.send(call_next)
        t1 = time.perf_counter()
        assert r.status == 200, r.body
        answered(r, t1 - t0, t1)
        await asyncio.sleep(max(0.0, due + cycle_s / 2 - loop.time()))
        r = await conn.send(finish)
        assert r.status == 200, r.body
        due += cycle_s
