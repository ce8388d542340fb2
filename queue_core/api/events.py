"""The websocket event stream: replay or snapshot on connect, then live events in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from queue_core.access import Access, Principal
from queue_core.domain.errors import DomainError
from queue_core.events.hub import TOO_SLOW, EventHub, Subscriber, encode
from queue_core.service import Branch

router = APIRouter(tags=["events"])
log = logging.getLogger(__name__)

#: Beyond this many missed events a reconnecting client gets a snapshot instead.
REPLAY_LIMIT = 5000


async def _deny(ws: WebSocket, status: int, code: str, message: str) -> None:
    body = JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
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
        who: Principal = await run_in_threadpool(access.authenticate, token)
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
    sub = hub.subscribe(who.name, who.role)
    try:
        await ws.accept()
        last = await _catch_up(ws, branch, hub, after)
        sender = asyncio.create_task(_send_live(ws, sub, last))
        # Whichever ends first ends the stream: the client leaving, or the sender (cut).
        receiver = asyncio.create_task(_drain(ws))
        try:
            await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sender.cancel()
            receiver.cancel()
            await asyncio.gather(sender, receiver, return_exceptions=True)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        hub.unsubscribe(sub)


async def _send_live(ws: WebSocket, sub: Subscriber, last: int) -> None:
    """Send the live events in order, skipping those the catch-up already sent; close with
    4008 when the hub cut this subscriber for falling behind."""
    while True:
        item = await sub.queue.get()
        if item is None:
            await ws.close(code=TOO_SLOW, reason="too slow: reconnect with since")
            return
        seq, message = item
        if seq > last:
            await ws.send_text(message)
            last = seq


async def _catch_up(ws: WebSocket, branch: Branch, hub: EventHub, after: int | None) -> int:
    """Send the missed events after ``after`` or a snapshot; return the last seq sent."""
    if after is not None:
        missed = await run_in_threadpool(branch.store.events_after, after, REPLAY_LIMIT + 1)
        head = await run_in_threadpool(branch.store.last_seq)
        if after <= head and len(missed) <= REPLAY_LIMIT:
            last = after
            for event in missed:
                await ws.send_text(encode(event, hub.render_time))
                last = event.seq
            return last
    snap = await run_in_threadpool(branch.snapshot)
    await ws.send_text(encode(snap, hub.render_time))
    return snap.seq


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
