"""The engine's HTTP and websocket protocols: uvicorn's, with what a public hall needs.

- ``GuardedHttpProtocol``: a request must arrive whole (headers and body) within
  ``REQUEST_READ_TIMEOUT_S`` of its first byte, or of the connection's opening. uvicorn only
  times out idle keep-alive connections, so a client sending a header byte now and then
  ("slowloris") could hold a connection, a file descriptor, for ever; 1 500 of them made
  ``/healthz`` fail.
- ``EventStreamProtocol``: offers the event hub a direct way to write ready-made frames to an
  accepted websocket (the ASGI extension ``FRAMES_EXTENSION``), so one event encoded once goes
  to 2 000 streams in a few microseconds each (see ``queue_core.events.hub``).

``queue_core.cli`` runs uvicorn with both (``uvicorn_protocols``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

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


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for reading each request."""

    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:
            self._arm()

    def on_message_complete(self) -> None:
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
