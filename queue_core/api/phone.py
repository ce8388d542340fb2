"""What a customer's phone reaches without a login: the live state of one ticket.

The ticket's opaque id (from the QR code) is the only key; nothing answered identifies the
customer (``wire.public_ticket``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from queue_core.domain.errors import NotFound, TooMany
from queue_core.events.watch import TicketWatch, TooManyWatchers, Watcher

router = APIRouter(tags=["phone"])

#: How long a browser waits before it reconnects a dropped stream (ms): quick enough that a
#: call is not missed, slow enough that a restarting engine is not flooded.
RECONNECT_MS = 3000
#: What a closed ticket's stream tells the browser: a day, i.e. do not come back.
CLOSED_MS = 86_400_000

TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _watch(request: Request) -> TicketWatch:
    watch: TicketWatch = request.app.state.watch
    return watch


async def _follow(
    ticket_id: TicketId, watch: Annotated[TicketWatch, Depends(_watch)]
) -> tuple[Watcher, str]:
    """Open the page's watcher before the stream starts, so refusals are plain JSON errors."""
    try:
        watcher, state = await watch.open(ticket_id)
    except TooManyWatchers as exc:
        code = "too_many_pages_for_ticket" if exc.per_ticket else "too_many_pages"
        raise TooMany("too many pages follow this ticket: close one and reload", code) from exc
    if state is None:
        raise NotFound("no such ticket", "ticket_not_found")
    return watcher, state


def _final(state: str) -> bool:
    return bool(json.loads(state).get("final"))


@router.get("/tickets/{ticket_id}/public/events", response_class=EventSourceResponse)
async def public_events(
    followed: Annotated[tuple[Watcher, str], Depends(_follow)],
    watch: Annotated[TicketWatch, Depends(_watch)],
) -> AsyncIterator[ServerSentEvent]:
    """The ticket's public state as server-sent events: ``event: ticket`` with the state of
    ``GET /tickets/{id}/public`` now, then again each time it changes. Once the ticket is
    closed (``final``) the stream sends that state and ends, telling the browser not to
    reconnect for a day (``retry``), so a finished ticket costs the engine nothing more."""
    watcher, state = followed
    try:
        retry: int | None = RECONNECT_MS
        while True:
            final = bool(json.loads(state).get("final"))
            yield ServerSentEvent(
                raw_data=state, event="ticket", retry=CLOSED_MS if final else retry
            )
            if final:
                return
            retry = None
            state = await watcher.next()
    finally:
        watch.close(watcher)
