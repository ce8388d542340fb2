"""A closed event stream is freed at once: nothing of it waits for the garbage collector.

With 2 000 streams leaving, each left some 60 objects (its protocol, transport, parser, scope,
request and response, ~40 KB) in reference cycles that only the collector's rare full pass
frees; the engine's memory stayed up after the displays and phones had gone."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
import websockets
from fastapi import FastAPI

from queue_core.api.app import create_app
from queue_core.api.server import EventStreamProtocol, uvicorn_protocols
from queue_core.client import events_url
from queue_core.config import load_config
from tests.support.engine import DISPLAY_TOKEN
from tests.support.in_process import serve_in_thread


@dataclass
class InProcessEngine:
    url: str
    app: FastAPI
    server: uvicorn.Server

    def streams(self) -> list[EventStreamProtocol]:
        while True:
            try:
                conns = list(self.server.server_state.connections)
            except RuntimeError:  # changed while copied, on the server's thread
                continue
            return [c for c in conns if isinstance(c, EventStreamProtocol)]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[InProcessEngine]:
    app = create_app(load_config(None), f"sqlite:///{tmp_path / 'branchq.db'}", b"k" * 32)
    with serve_in_thread(app, **uvicorn_protocols()) as (url, server):
        yield InProcessEngine(url, app, server)


def _until(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_streams_that_leave_are_freed_without_the_garbage_collector(
    engine: InProcessEngine,
) -> None:
    url = events_url(engine.url, DISPLAY_TOKEN, None)
    hub = engine.app.state.hub
    own = len(hub.subscribers)  # the engine's own (the phone pages' watch)

    async def run() -> list[weakref.ref[EventStreamProtocol]]:
        clients = [await websockets.connect(url) for _ in range(6)]
        for ws in clients:
            assert '"snapshot"' in str(await ws.recv())
        refs = [weakref.ref(p) for p in engine.streams()]
        assert len(refs) == 6
        gc.disable()  # from here on, only reference counting frees anything
        for ws in clients[:3]:
            await ws.close()  # a display shut down cleanly
        for ws in clients[3:]:
            ws.transport.abort()  # a phone that walked out of the Wi-Fi
        return refs

    try:
        refs = asyncio.run(run())
        _until(lambda: len(hub.subscribers) == own and not engine.streams(), "streams still open")
        _until(lambda: all(r() is None for r in refs), "a closed stream is still in memory")
    finally:
        gc.enable()
