"""The websocket event stream: replay or snapshot on connect, then live events in order."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import struct
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from queue_core.access import Access, Principal
from queue_core.api.errors import error_response
from queue_core.api.server import FRAMES_EXTENSION
from queue_core.domain.errors import DomainError
from queue_core.events.hub import (
    QUEUE_LIMIT,
    SLOW_BYTES,
    TOO_SLOW,
    EventHub,
    Outgoing,
    Sink,
    encode,
)
from queue_core.security import hash_token
from queue_core.usecases import Branch

T = TypeVar("T")
router = APIRouter(tags=["events"])
log = logging.getLogger(__name__)

#: Threads the streams' openings (token check, replay, snapshot) may use at once. 2 000
#: displays and phones reconnecting together (after an engine restart) otherwise took all
#: 40 of the shared pool's threads, each with its stack and C heap kept after they left; the
#: work is CPU under one GIL, so more threads only held more snapshots in memory at once.
OPENING_THREADS = 4


class Openings:
    """Runs the blocking part of opening a stream in a worker thread, at most
    ``OPENING_THREADS`` at once (one per app: the limiter belongs to its event loop)."""

    def __init__(self) -> None:
        self.limiter = anyio.CapacityLimiter(OPENING_THREADS)

    @classmethod
    def of(cls, app: Any) -> Openings:
        found: Openings | None = getattr(app.state, "stream_openings", None)
        if found is None:
            found = app.state.stream_openings = cls()
        return found

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(functools.partial(func, *args), limiter=self.limiter)


#: Beyond this many missed events a reconnecting client gets a snapshot instead.
REPLAY_LIMIT = 5000
#: Seconds a stream the hub let go of is given to take its close frame.
CLOSE_WAIT_S = 2.0


class DenialIsNotAnError(logging.Filter):
    """Drop uvicorn's "ASGI callable returned without completing handshake" ERROR: its
    websockets-sansio protocol logs it after every denial response (a refused token, a bad
    ``since``), though the client got the 401/422 (uvicorn PR #3138, open). Every route here
    accepts or denies, so the line is never a real fault of ours."""

    NOISE = "ASGI callable returned without completing handshake."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.NOISE


def quiet_denials() -> None:
    """Install ``DenialIsNotAnError`` on uvicorn's error log (once)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DenialIsNotAnError) for f in logger.filters):
        logger.addFilter(DenialIsNotAnError())


async def _deny(ws: WebSocket, status: int, code: str, message: str) -> None:
    body = error_response(status, code, message)
    try:
        await ws.send_denial_response(body)
    except RuntimeError:  # server without the denial-response extension
        await ws.close(code=4000 + status)


@router.websocket("/events")
async def events(ws: WebSocket, token: str | None = None, since: str | None = None) -> None:
    app = ws.app
    access: Access = app.state.access
    hub: EventHub = app.state.hub
    branch: Branch = app.state.branch
    try:
        openings = Openings.of(app)
        who: Principal = await openings.run(access.authenticate, token)
    except DomainError as exc:
        await _deny(ws, 401, exc.code, exc.message)
        return
    after: int | None = None
    if since not in (None, ""):
        try:
            after = int(since)
        except ValueError:
            after = -1
        if not 0 <= after < 2**63:
            await _deny(ws, 422, "validation_error", "since: expected a seq, 0 or more")
            return
    session = hash_token(token) if who.kind == "staff" and token else None
    sub = hub.subscribe(who.name, who.role, session)
    queued: QueuedSink | None = None
    try:
        await ws.accept()
        last = await _catch_up(ws, branch, hub, after, openings)
        frames = ws.scope.get("extensions", {}).get(FRAMES_EXTENSION)
        sink: Sink = DirectSink(frames) if frames else (queued := QueuedSink(ws))
        hub.go_live(sub, sink, last)
        # Whichever ends first ends the stream: the client leaving, the hub letting go of it
        # (cut as too slow, session ended), or the queued sender failing.
        waits = [asyncio.create_task(_drain(ws)), asyncio.create_task(sub.ended.wait())]
        if queued is not None:
            waits.append(asyncio.create_task(queued.run()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
        if sub.end_code and not isinstance(sub.sink, DirectSink):  # not closed by the hub
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=sub.end_code), CLOSE_WAIT_S)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        hub.unsubscribe(sub)


class DirectSink:
    """Frames written straight to the connection (``queue_core.api.server``)."""

    def __init__(self, extension: dict[str, Any]) -> None:
        self._write: Callable[[bytes], int] = extension["write"]
        self._abort: Callable[[], None] = extension["abort"]

    def take(self, messages: Sequence[Outgoing]) -> bool:
        data = messages[0].frame if len(messages) == 1 else b"".join(m.frame for m in messages)
        try:
            return self._write(data) <= SLOW_BYTES
        except ConnectionError:
            return True  # already closing: the handler is about to end the stream

    def drop(self, code: int, reason: str) -> None:
        if code == TOO_SLOW:  # nothing more reaches a reader that stopped: free it now
            self._abort()
            return
        close = struct.pack("!H", code) + reason.encode()
        with contextlib.suppress(ConnectionError):
            self._write(bytes([0x88, len(close)]) + close)
        self._abort_later()

    def _abort_later(self) -> None:
        asyncio.get_running_loop().call_later(CLOSE_WAIT_S, self._abort)


class QueuedSink:
    """Where the server offers no direct frames: a bounded queue that a task sends from."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    def take(self, messages: Sequence[Outgoing]) -> bool:
        for m in messages:
            self.queue.put_nowait(m.text)
        return self.queue.qsize() <= QUEUE_LIMIT

    def drop(self, code: int, reason: str) -> None:
        pass  # the handler closes the websocket once woken

    async def run(self) -> None:
        while True:
            await self.ws.send_text(await self.queue.get())


async def _catch_up(
    ws: WebSocket, branch: Branch, hub: EventHub, after: int | None, openings: Openings
) -> int:
    """Send the missed events after ``after`` or a snapshot; return the last seq sent."""
    if after is not None:
        missed = await openings.run(branch.store.events_after, after, REPLAY_LIMIT + 1)
        head = await openings.run(branch.store.last_seq)
        if after <= head and len(missed) <= REPLAY_LIMIT:
            last = after
            for event in missed:
                await ws.send_text(encode(event, hub.render_time))
                last = event.seq
            return last
    snap = await openings.run(branch.reads.snapshot)
    await ws.send_text(encode(snap, hub.render_time))
    return snap.seq


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
