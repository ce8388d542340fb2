"""A loopback TCP proxy in front of the engine that can lose the answer to a ticket request.

The request reaches the engine (which commits the ticket); the answer never reaches the
kiosk, whose connection is closed instead: the network hiccup that idempotency exists for.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

ISSUE = b"POST /api/v1/tickets "


@dataclass
class LosingProxy:
    upstream_port: int
    lose_issue_answers: int = 0  # how many answers to POST /tickets to lose
    issue_requests: int = 0
    port: int = 0
    _server: asyncio.Server | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> LosingProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        lose = asyncio.Event()
        tasks = [
            asyncio.create_task(self._upward(reader, up_writer, lose)),
            asyncio.create_task(self._downward(up_reader, writer, lose)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            for task in tasks:
                task.cancel()
            for w in (writer, up_writer):
                w.close()

    async def _upward(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lose: asyncio.Event
    ) -> None:
        while data := await reader.read(65536):
            if ISSUE in data:
                self.issue_requests += 1
                if self.lose_issue_answers > 0:
                    self.lose_issue_answers -= 1
                    lose.set()
            writer.write(data)
            await writer.drain()

    async def _downward(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lose: asyncio.Event
    ) -> None:
        while data := await reader.read(65536):
            if lose.is_set():
                return  # the engine answered; the kiosk never hears it
            writer.write(data)
            await writer.drain()
