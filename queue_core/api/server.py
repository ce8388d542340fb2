"""The engine's HTTP and websocket protocols: uvicorn's, with what a public hall needs.

- ``GuardedHttpProtocol``: a request must arrive whole (headers and body) within
  ``REQUEST_READ_TIMEOUT_S`` of its first byte, or of the connection's opening. uvicorn only
  times out idle keep-alive connections, so a client sending a header byte now and then
  ("slowloris") could hold a connection, a file descriptor, for ever; 1 500 of them made
  ``/healthz`` fail.
- ``BodyLimit``: a request body over 64 KB is refused before it is read whole (a kiosk token,
  and kiosks stand in the hall, posted a 5 MB health report in 0.17 s).
- ``EventStreamProtocol``: offers the event hub a direct way to write ready-made frames to an
  accepted websocket (the ASGI extension ``FRAMES_EXTENSION``), so one event encoded once goes
  to 2 000 streams in a few microseconds each (see ``queue_core.events.hub``).

``queue_core.cli`` runs uvicorn with both (``uvicorn_protocols``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

from queue_core.wire import error_body

log = logging.getLogger(__name__)

#: Seconds from a connection's opening (or a keep-alive request's first byte) to the end of
#: the request's headers and body. Real clients send a request in one go, in milliseconds.
REQUEST_READ_TIMEOUT_S = 10.0
#: Overrides it (``branchq serve --request-timeout`` sets it, for every worker process).
REQUEST_TIMEOUT_ENV = "BRANCHQ_REQUEST_TIMEOUT"


def request_read_timeout() -> float:
    try:
        return float(os.environ.get(REQUEST_TIMEOUT_ENV, REQUEST_READ_TIMEOUT_S))
    except ValueError:
        return REQUEST_READ_TIMEOUT_S


#: The ASGI scope extension through which the hub writes frames to an accepted stream.
FRAMES_EXTENSION = "branchq.frames"
#: The largest message a client may send on the event stream (they send nothing of note).
WS_MAX_MESSAGE = 64 * 1024


class Handoff(Protocol):
    """Where a connection whose next request is a write goes whole (``serve --workers N``:
    to the elected writer, ``queue_core.api.writer``)."""

    def wants(self, data: bytes) -> bool:
        """Whether ``data``, a request's first bytes, is a write this process hands over."""
        ...

    async def hand(self, fd: int, data: bytes) -> bool | None:
        """Offer the connection (its descriptor) and the bytes read from it: True when the
        writer took it, False when it did not (nothing happened), None when the writer went
        away with it (the request may have run)."""
        ...


#: The ASGI scope key of a request whose connection the writer went away with: answered
#: ``503 writer_unavailable``, never run again here.
WRITER_LOST = "branchq.writer_lost"


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for reading each request; and, with
    several workers, a connection whose next request is a write is handed to the writer
    before anything of it is parsed here (``handoff``)."""

    _read_timer: asyncio.TimerHandle | None = None
    #: This process's handoff (set by its ``Writer``), None with one worker.
    handoff: Handoff | None = None
    #: What a protocol of this process's server is made of (its config, state and app's
    #: lifespan state), for the connections the writer adopts.
    made_of: tuple[Any, Any, Any] | None = None
    _mid = False  # a request has begun and not been read whole
    _lost = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        GuardedHttpProtocol.made_of = (self.config, self.server_state, self.app_state)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        handoff = self.handoff
        if (
            handoff is not None
            and not self._mid
            and not self.pipeline
            and (self.cycle is None or self.cycle.response_complete)
            and handoff.wants(data)
        ):
            self._unset_keepalive_if_required()
            self._disarm()
            self.transport.pause_reading()
            task = self.loop.create_task(self._hand(handoff, data))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            return
        super().data_received(data)

    async def _hand(self, handoff: Handoff, data: bytes) -> None:
        sock = self.transport.get_extra_info("socket")
        taken = False if sock is None else await handoff.hand(sock.fileno(), data)
        if self.transport.is_closing():
            return  # the client left meanwhile
        if taken:
            self.transport.close()  # this process's copy: the writer serves the connection
            return
        self._lost = taken is None
        self._arm()
        self.transport.resume_reading()
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._mid = True
        if self._lost:
            self._lost = False
            self.scope[WRITER_LOST] = True  # type: ignore[literal-required]
        if self._read_timer is None:
            self._arm()

    def on_message_complete(self) -> None:
        self._mid = False
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._read_timer = self.loop.call_later(request_read_timeout(), self._too_slow)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _too_slow(self) -> None:
        self._read_timer = None
        if self.transport is not None and not self.transport.is_closing():
            log.debug("request not read in time: connection closed")
            self.transport.close()


class EventStreamProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, plus the frame-writing extension for the hub."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:
            # The app's task is created but has not run yet: it sees the extension.
            self.scope["extensions"][FRAMES_EXTENSION] = {
                "write": self._write_frames,
                "abort": self._abort,
            }

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._release()

    def _release(self) -> None:
        """Break the reference cycles a closed connection would otherwise sit in until the
        garbage collector's rare full pass: with 2 000 streams leaving, some 60 objects each
        (the protocol, its transport, parser, scope, request and response) stayed, ~40 KB a
        stream. websockets' parser is a generator suspended on its own protocol, even after
        a clean close; the scope held this protocol through the frames extension."""
        self.conn.parser.close()
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope.get("extensions", {}).pop(FRAMES_EXTENSION, None)

    def _write_frames(self, data: bytes) -> int:
        """Write whole frames now; return the bytes still waiting to be sent."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.transport.is_closing()
        ):
            raise ConnectionError("the event stream is closed")
        self.transport.write(data)
        return self.transport.get_write_buffer_size()

    def _abort(self) -> None:
        """Drop the connection at once, releasing what waits to be sent."""
        self.close_sent = True
        if not self.disconnected:
            self.transport.abort()


#: The largest request body the engine reads (nginx's ``client_max_body_size`` is the same):
#: the API's bodies are a few hundred bytes of JSON.
MAX_BODY_BYTES = 64 * 1024


class BodyLimit:
    """Refuse a request body over ``MAX_BODY_BYTES`` with ``413 payload_too_large`` before
    the app sees it: by its ``Content-Length`` at once, or, sent in chunks, as soon as it
    passes the limit (the body is read first, then handed to the app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > MAX_BODY_BYTES:
            await _refuse(send)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES:
                await _refuse(send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send) -> None:
    await send_error(
        send, 413, "payload_too_large", "the request body is over 64 KB", {b"connection": b"close"}
    )


async def send_error(
    send: Send, status: int, code: str, message: str, headers: dict[bytes, bytes] | None = None
) -> None:
    """An error in the API's shape, sent below the app (where its error handlers are not)."""
    body = json.dumps(error_body(code, message)).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    head += list((headers or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def uvicorn_protocols() -> dict[str, Any]:
    """The protocol options ``uvicorn.run`` takes for the engine."""
    return {
        "http": GuardedHttpProtocol,
        "ws": EventStreamProtocol,
        # Events are small JSON on a LAN: compression cost CPU per stream and ~40 KB of zlib
        # state per connection (80 MB for 2 000 streams).
        "ws_per_message_deflate": False,
        "ws_max_size": WS_MAX_MESSAGE,
    }
