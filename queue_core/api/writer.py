"""One writer among the workers of ``serve --workers N`` (PostgreSQL).

Every write takes the branch's advisory transaction lock (``queue_core.store.db``), and each
worker group-commits only the requests it received; so N workers made N small batches that
took turns on the lock, and more workers were slower (writes/s 227, 100, 76 for 1, 2, 4;
20 counters racing: 89 calls/s on one worker, 16 on three). Now:

- the workers **elect one writer** with a session advisory lock (``pg_try_advisory_lock``),
  held for as long as the writer's connection lives, and asked for again every second by the
  others;
- the writer also serves the app on a unix socket (``BRANCHQ_WRITER_SOCKET``, in a folder
  only the engine's user may open), and every other worker **passes each write** to it there
  (any method but GET, HEAD and OPTIONS under ``/api/v1``), answer back unchanged. All the
  branch's writes then meet in one process, one group commit, one holder of the lock;
- reads, the event streams and ``/metrics`` stay on the worker that took the connection.

When the writer dies, its lock goes with its connection and the next worker to ask becomes
the writer, within a second. A write that finds no writer listening runs where it arrived,
serialized by the transaction lock as before, so a changeover refuses nothing; a write that
reached a writer which then died is answered ``503 writer_unavailable`` (it may or may not
have committed: clients retry, kiosks with their ``Idempotency-Key``), never run twice.
Every answer names the process that made it (``X-BranchQ-Worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import httpx
import psycopg
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_core.api.server import send_error
from queue_core.events.pgnotify import libpq_url

log = logging.getLogger(__name__)

#: Where the writer listens (set by ``serve --workers N`` for its worker processes).
SOCKET_ENV = "BRANCHQ_WRITER_SOCKET"
#: The session advisory lock the writer holds (distinct from the write lock's key).
WRITER_LOCK_KEY = 0x42514E5752  # "BQNWR"
ELECT_EVERY_S = 1.0
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WORKER_HEADER = b"x-branchq-worker"
FORWARDED_HEADER = "x-branchq-forwarded"
#: Hop-by-hop headers that do not cross the forwarding (RFC 9110 §7.6.1).
HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"})


class Writer:
    """This worker's part in the election: the writer, or a worker passing writes to it."""

    def __init__(self, db_url: str, socket_path: str, app: ASGIApp) -> None:
        self.dsn = libpq_url(db_url)
        self.socket_path = socket_path
        self.app = app
        self.elected = False
        self._task: asyncio.Task[None] | None = None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=socket_path),
            base_url="http://writer",
            timeout=httpx.Timeout(30.0, connect=2.0),
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._elect(), name="writer election")

    async def stop(self) -> None:
        await self._stand_down()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _elect(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
                    while not self.elected:
                        cur = await conn.execute(
                            "SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,)
                        )
                        row = await cur.fetchone()
                        if row is not None and row[0]:
                            await self._serve()
                        else:
                            await asyncio.sleep(ELECT_EVERY_S)
                    while True:  # hold the lock: the connection is the writer's mandate
                        await asyncio.sleep(ELECT_EVERY_S)
                        await conn.execute("SELECT 1")
            except (psycopg.Error, OSError) as exc:
                if self.elected:
                    # The lock may be someone else's by now: stop taking forwarded writes.
                    log.warning("writer: lost the database connection (%s); standing down", exc)
                    await self._stand_down()
                await asyncio.sleep(ELECT_EVERY_S)

    async def _serve(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)  # a dead writer's
        config = uvicorn.Config(
            self.app,
            uds=self.socket_path,
            lifespan="off",
            log_config=None,  # the engine's logging (and its redaction) as it is
            access_log=False,
            log_level="warning",
            ws="none",
        )
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve(), name="writer socket")
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.elected = True
        log.info("worker %d is the writer (%s)", os.getpid(), self.socket_path)

    async def _stand_down(self) -> None:
        self.elected = False
        if self._server is not None:
            self._server.should_exit = True
            self._server = None
        if self._serving is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._serving, 5.0)
            self._serving = None

    async def forward(self, scope: Scope, receive: Receive, send: Send, here: ASGIApp) -> None:
        """Pass a write to the writer and its answer back; when no writer listens, run it
        ``here`` (this worker's app)."""
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in HOP
        ]
        headers.append((FORWARDED_HEADER, "1"))
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
        try:
            response = await self._client.request(
                scope["method"], url, headers=headers, content=body
            )
        except httpx.ConnectError:  # nothing was sent: no writer, or it is changing
            await _run_here(here, scope, body, send)
            return
        except httpx.HTTPError as exc:
            log.warning("writer did not answer a forwarded %s: %s", scope["method"], exc)
            text = "the engine changed its writer during this request: retry it"
            await send_error(send, 503, "writer_unavailable", text, {b"retry-after": b"1"})
            return
        out = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in HOP
        ]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})


async def _run_here(app: ASGIApp, scope: Scope, body: bytes, send: Send) -> None:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # as a client that stays: the answer is on its way
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    await app(scope, replay, _named(send))


def _named(send: Send) -> Send:
    """``send`` that names this process on the answer."""
    pid = str(os.getpid()).encode()

    async def named(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (WORKER_HEADER, pid)]}
        await send(message)

    return named


class ForwardWrites:
    """The ASGI layer that sends writes to the writer when this worker is not it, and names
    the answering process on every answer."""

    def __init__(self, app: ASGIApp, writer: Writer | None) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        writer = self.writer
        if (
            writer is not None
            and not writer.elected
            and scope["method"] not in READS
            and scope["path"].startswith("/api/v1/")
            and not any(k == FORWARDED_HEADER.encode() for k, _ in scope["headers"])
        ):
            await writer.forward(scope, receive, send, self.app)
            return
        await self.app(scope, receive, _named(send))
