"""One writer among the workers of ``serve --workers N`` (PostgreSQL).

Every write takes the branch's advisory transaction lock (``queue_core.store.db``), and each
worker group-commits only the requests it received; so N workers made N small batches that
took turns on the lock, and more workers were slower (writes/s 227, 100, 76 for 1, 2, 4;
20 counters racing: 89 calls/s on one worker, 16 on three). Now:

- the workers **elect one writer** with a session advisory lock (``pg_try_advisory_lock``),
  held for as long as the writer's connection lives, and asked for again every second by the
  others;
- **a connection whose next request is a write moves to the writer whole**: the worker that
  read its first bytes (the request line says a method but GET, HEAD or OPTIONS under
  ``/api/v1``) parses nothing of it, and hands the socket itself and those bytes to the
  writer (``SCM_RIGHTS`` over a unix socket, ``BRANCHQ_WRITER_SOCKET`` + ``.conn``, in a
  folder only the engine's user may open); the writer serves it from then on as if it had
  accepted it, and says so (the worker then closes its copy). A teller's page keeps its
  connection, so its writes cost no second hop at all: with a forwarded request each
  write took two processes' turns on the CPU and the writer's answer back, and three
  workers stayed slower than one on 2 cores;
- what is not handed over (the writer said no, or a request line split over two reads) is
  **passed on** as a typed frame (the scope's fields and the body, ``pack``) on one
  connection per worker to the writer's ``BRANCHQ_WRITER_SOCKET``, many at once, answer back
  unchanged. All the branch's writes then meet in one process, one group commit, one holder
  of the lock;
- reads, the event streams and ``/metrics`` stay on the worker that took the connection
  (reads on a connection handed over are the writer's).

When the writer dies, its lock goes with its connection and the next worker to ask becomes
the writer, within a second; the connections it held close, as any killed process's do. A
write that finds no writer listening runs where it arrived, serialized by the transaction
lock as before, so a changeover refuses nothing; a write that reached a writer which then
died (passed on, or offered and not yet answered) is answered ``503 writer_unavailable`` (it
may or may not have committed: clients retry, kiosks with their ``Idempotency-Key``), never
run twice. Every answer names the process that made it (``X-BranchQ-Worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import socket
import struct
from collections import deque
from functools import partial
from typing import Any, cast

import psycopg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_core.api.server import WRITER_LOST, GuardedHttpProtocol, send_error
from queue_core.events.pgnotify import libpq_url

log = logging.getLogger(__name__)

#: Where the writer listens (set by ``serve --workers N`` for its worker processes).
SOCKET_ENV = "BRANCHQ_WRITER_SOCKET"
#: The session advisory lock the writer holds (distinct from the write lock's key).
WRITER_LOCK_KEY = 0x42514E5752  # "BQNWR"
ELECT_EVERY_S = 1.0
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WORKER_HEADER = b"x-branchq-worker"
FORWARDED_HEADER = b"x-branchq-forwarded"
#: How long a forwarded write may take before the worker gives up on it (a 503).
FORWARD_TIMEOUT_S = 30.0
#: Headers that do not cross the hop (RFC 9110 §7.6.1): each side frames its own body.
HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"content-length"})

_LEN = struct.Struct("!I")
#: Offered connections waiting for the writer: the bytes read, the descriptor.
Offers = asyncio.Queue[tuple[bytes, list[int]]]
#: The most bytes of a request handed over with its connection (a body is 64 KB at most).
HANDOFF_MAX = 128 * 1024


class WriterGone(Exception):
    """The writer's connection closed with this write on it: it may or may not have run."""


def pack(fields: list[bytes]) -> bytes:
    """One frame: its length, the number of fields, then each field's length and bytes."""
    parts = [_LEN.pack(len(fields))]
    for f in fields:
        parts.append(_LEN.pack(len(f)))
        parts.append(f)
    payload = b"".join(parts)
    return _LEN.pack(len(payload)) + payload


def unpack(payload: bytes) -> list[bytes]:
    (count,) = _LEN.unpack_from(payload, 0)
    at = 4
    fields = []
    for _ in range(count):
        (n,) = _LEN.unpack_from(payload, at)
        at += 4
        fields.append(payload[at : at + n])
        at += n
    return fields


async def read_frame(reader: asyncio.StreamReader) -> list[bytes]:
    (n,) = _LEN.unpack(await reader.readexactly(4))
    return unpack(await reader.readexactly(n))


def request_fields(ident: int, scope: Scope, body: bytes) -> list[bytes]:
    """A write as the writer needs it: what the app reads of the scope, and the body."""
    client = scope.get("client") or ("", 0)
    fields = [
        str(ident).encode(),
        scope["method"].encode(),
        scope.get("raw_path") or scope["path"].encode(),
        scope["path"].encode(),
        scope.get("query_string", b""),
        str(client[0]).encode(),
        str(client[1]).encode(),
        scope.get("scheme", "http").encode(),
        scope.get("http_version", "1.1").encode(),
        body,
    ]
    for k, v in scope["headers"]:
        if k not in HOP:
            fields += (k, v)
    fields += (FORWARDED_HEADER, b"1")
    return fields


def scope_of(fields: list[bytes], server: tuple[str, int] | None) -> tuple[Scope, bytes]:
    _, method, raw_path, path, query, host, port, scheme, version, body, *head = fields
    headers = [(head[i], head[i + 1]) for i in range(0, len(head), 2)]
    headers.append((b"content-length", str(len(body)).encode()))
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": version.decode(),
        "method": method.decode(),
        "scheme": scheme.decode(),
        "path": path.decode(),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": (host.decode(), int(port)) if host else None,
        "server": server,
        "state": {},
    }
    return scope, body


class _Link:
    """A worker's one connection to the writer: every write it passes goes on it, each with a
    number the answer comes back with, so many are on their way at once (the writer's group
    commit takes them together) and none waits for another's answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.waiting: dict[int, asyncio.Future[list[bytes]]] = {}
        self.numbers = 0
        self.closed = False
        self._task = asyncio.create_task(self._answers(), name="writer answers")

    def usable(self) -> bool:
        """Open, as far as this worker can tell: with no write on its way, anything to read
        can only be the writer's end closing (it died), found before a write is sent on it."""
        if self.closed or self.writer.is_closing():
            return False
        if not self.waiting:
            sock = self.writer.get_extra_info("socket")
            if sock is not None and select.select([sock], [], [], 0)[0]:
                self.close()
                return False
        return True

    async def _answers(self) -> None:
        try:
            while True:
                fields = await read_frame(self.reader)
                future = self.waiting.pop(int(fields[0]), None)
                if future is not None and not future.done():
                    future.set_result(fields)
        except (OSError, asyncio.IncompleteReadError, struct.error, ValueError):
            pass
        finally:
            self.close()

    def close(self) -> None:
        self.closed = True
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(WriterGone())
        self.waiting.clear()
        self.writer.close()

    async def send(self, scope: Scope, body: bytes) -> list[bytes]:
        self.numbers += 1
        ident = self.numbers
        future: asyncio.Future[list[bytes]] = asyncio.get_running_loop().create_future()
        self.waiting[ident] = future
        self.writer.write(pack(request_fields(ident, scope, body)))
        try:
            return await asyncio.wait_for(future, FORWARD_TIMEOUT_S)
        finally:
            self.waiting.pop(ident, None)


class Writer:
    """This worker's part in the election: the writer, or a worker passing writes to it."""

    def __init__(self, db_url: str, socket_path: str, app: ASGIApp) -> None:
        self.dsn = libpq_url(db_url)
        self.socket_path = socket_path
        self.app = app
        self.elected = False
        self._task: asyncio.Task[None] | None = None
        self._server: asyncio.Server | None = None
        self._peers: set[asyncio.StreamWriter] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._link: _Link | None = None
        self._linking = asyncio.Lock()
        #: Where whole connections are handed to the writer (their descriptors).
        self.handoff_path = socket_path + ".conn"
        self._listener: socket.socket | None = None
        self._handed: dict[socket.socket, asyncio.Task[None]] = {}
        self._to_writer: socket.socket | None = None
        self._acks: deque[asyncio.Future[bool | None]] = deque()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._elect(), name="writer election")
        GuardedHttpProtocol.handoff = self

    async def stop(self) -> None:
        await self._stand_down()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._link is not None:
            self._link.close()
        self._drop_to_writer()
        if GuardedHttpProtocol.handoff is self:
            GuardedHttpProtocol.handoff = None

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
        self._server = await asyncio.start_unix_server(self._peer, path=self.socket_path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.handoff_path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        listener.bind(self.handoff_path)
        listener.listen(64)
        listener.setblocking(False)
        asyncio.get_running_loop().add_reader(listener, self._accept_handoff, listener)
        self._listener = listener
        if self._link is not None:  # passing writes to itself would wait for ever
            self._link.close()
            self._link = None
        self._drop_to_writer()
        self.elected = True
        log.info("worker %d is the writer (%s)", os.getpid(), self.socket_path)

    async def _stand_down(self) -> None:
        self.elected = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for peer in list(self._peers):  # the workers reconnect, to the next writer
            peer.close()
        if self._listener is not None:
            asyncio.get_running_loop().remove_reader(self._listener)
            self._listener.close()
            self._listener = None
        for offers, task in list(self._handed.items()):  # the workers see the way closed
            asyncio.get_running_loop().remove_reader(offers)
            task.cancel()
        if self._running:
            await asyncio.wait(list(self._running), timeout=5.0)

    async def _peer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A worker's link: run each write it passes, as it comes, and send back the answer."""
        self._peers.add(writer)
        try:
            while True:
                fields = await read_frame(reader)
                task = asyncio.create_task(self._run(fields, writer))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        except (OSError, asyncio.IncompleteReadError, struct.error, ValueError):
            pass
        finally:
            self._peers.discard(writer)
            writer.close()

    async def _run(self, fields: list[bytes], peer: asyncio.StreamWriter) -> None:
        scope, body = scope_of(fields, None)
        status = 500
        head: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        started = False

        async def send(message: Message) -> None:
            nonlocal status, head, started
            if message["type"] == "http.response.start":
                status = message["status"]
                head = list(message.get("headers", []))
                started = True
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, _once(body), send)
        except Exception:  # as uvicorn does: logged, and a 500 if nothing was answered yet
            log.exception("writer: a forwarded %s %s failed", scope["method"], scope["path"])
            if not started:
                chunks.clear()
                await send_error(send, 500, "internal_error", "the engine failed: retry")
        answer = [fields[0], str(status).encode(), b"".join(chunks)]
        for k, v in head:
            if k not in HOP:
                answer += (k, v)
        if not peer.is_closing():
            peer.write(pack(answer))

    # --------------------------------------------- whole connections, to the writer
    def _accept_handoff(self, listener: socket.socket) -> None:
        try:
            peer, _ = listener.accept()
        except OSError:
            return
        peer.setblocking(False)
        queue: Offers = asyncio.Queue()
        loop = asyncio.get_running_loop()
        loop.add_reader(peer, self._handed_in, peer, queue)
        self._handed[peer] = loop.create_task(self._adopt_all(peer, queue), name="adoptions")

    def _handed_in(self, peer: socket.socket, queue: Offers) -> None:
        """A worker's offers: each the first bytes of a write and its connection."""
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(peer, HANDOFF_MAX, 1)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            if not data and not fds:  # the worker is gone
                asyncio.get_running_loop().remove_reader(peer)
                queue.put_nowait((b"", []))
                return
            queue.put_nowait((data, fds))

    async def _adopt_all(self, peer: socket.socket, queue: Offers) -> None:
        """Serve each offered connection as if this process had accepted it, in order, and
        say so to the worker (b"1"; b"0": not taken, it carries on with it)."""
        try:
            while True:
                data, fds = await queue.get()
                if not data and not fds:
                    return
                await self._adopt(peer, data, fds)
        finally:
            self._handed.pop(peer, None)
            peer.close()
            while not queue.empty():  # offers never served: their connections close
                for fd in queue.get_nowait()[1]:
                    os.close(fd)

    async def _adopt(self, peer: socket.socket, data: bytes, fds: list[int]) -> None:
        loop = asyncio.get_running_loop()
        taken = False
        if fds and self.elected and GuardedHttpProtocol.made_of is not None:
            made = partial(_protocol, *GuardedHttpProtocol.made_of, data)
            conn = socket.socket(fileno=fds.pop(0))
            try:
                await loop.connect_accepted_socket(made, conn)
                taken = True
            except OSError:
                conn.close()
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            peer.send(b"1" if taken else b"0")

    def wants(self, data: bytes) -> bool:
        """A write under the API, read in its first bytes, on a worker that is not the writer."""
        if self.elected:
            return False
        line, end, _ = data.partition(b"\r\n")
        if not end:
            return False
        method, _, rest = line.partition(b" ")
        return method.decode("latin-1") not in READS and rest.startswith(b"/api/v1/")

    async def hand(self, fd: int, data: bytes) -> bool | None:
        """Offer the writer a connection whose next request is a write, with what was read of
        it: True taken, False not (nothing was sent, or the writer said no), None lost with
        the writer (it died holding the offer; the request may have run)."""
        if len(data) > HANDOFF_MAX:
            return False
        to_writer = self._to_writer or self._open_to_writer()
        if to_writer is None:
            return False
        try:
            socket.send_fds(to_writer, [data], [fd])
        except OSError:  # full, or the writer's end is closed: nothing was delivered
            self._drop_to_writer()
            return False
        ack: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._acks.append(ack)
        return await ack

    def _open_to_writer(self) -> socket.socket | None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.setblocking(False)
        try:
            sock.connect(self.handoff_path)
        except OSError:  # no writer, or it is changing
            sock.close()
            return None
        asyncio.get_running_loop().add_reader(sock, self._acked, sock)
        self._to_writer = sock
        return sock

    def _acked(self, sock: socket.socket) -> None:
        while True:
            try:
                answer = sock.recv(16)
            except BlockingIOError:
                return
            except OSError:
                answer = b""
            if not answer:
                self._drop_to_writer()
                return
            for byte in answer:
                if self._acks:
                    ack = self._acks.popleft()
                    if not ack.done():
                        ack.set_result(byte == ord("1"))

    def _drop_to_writer(self) -> None:
        """Close the way to the writer; offers it has not answered went away with it."""
        sock, self._to_writer = self._to_writer, None
        if sock is not None:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().remove_reader(sock)
            sock.close()
        while self._acks:
            ack = self._acks.popleft()
            if not ack.done():
                ack.set_result(None)

    async def _connect(self) -> _Link | None:
        link = self._link
        if link is not None and link.usable():
            return link
        async with self._linking:
            link = self._link
            if link is not None and link.usable():
                return link
            try:
                reader, writer = await asyncio.open_unix_connection(self.socket_path)
            except OSError:  # no writer, or it is changing: nothing was sent
                self._link = None
                return None
            self._link = _Link(reader, writer)
            return self._link

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
        link = await self._connect()
        if link is None:
            await here(scope, _once(body), _named(send))
            return
        try:
            fields = await link.send(scope, body)
        except (WriterGone, TimeoutError) as exc:
            log.warning("writer did not answer a forwarded %s: %r", scope["method"], exc)
            text = "the engine changed its writer during this request: retry it"
            await send_error(send, 503, "writer_unavailable", text, {b"retry-after": b"1"})
            return
        _, status, content, *head = fields
        out = [(head[i], head[i + 1]) for i in range(0, len(head), 2)]
        out.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": int(status), "headers": out})
        await send({"type": "http.response.body", "body": content})


def _protocol(config: Any, state: Any, app_state: Any, data: bytes) -> asyncio.Protocol:
    """A protocol of this process's server, for a connection another worker accepted, that
    reads ``data`` (what that worker read of it) before anything else from the connection:
    the rest of a request may be waiting on the socket already."""
    protocol = cast(
        asyncio.Protocol,
        config.http_protocol_class(config=config, server_state=state, app_state=app_state),
    )
    made = protocol.connection_made

    def connection_made(transport: asyncio.BaseTransport) -> None:
        made(transport)
        protocol.data_received(data)  # the transport starts reading after this returns

    protocol.connection_made = connection_made  # type: ignore[method-assign]
    return protocol


def _once(body: bytes) -> Receive:
    """``receive`` for a request read whole already: its body, then as a client that stays
    (the answer is on its way)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


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
            and not any(k == FORWARDED_HEADER for k, _ in scope["headers"])
        ):
            if scope.get(WRITER_LOST):
                text = "the engine changed its writer during this request: retry it"
                await send_error(send, 503, "writer_unavailable", text, {b"retry-after": b"1"})
                return
            await writer.forward(scope, receive, send, self.app)
            return
        await self.app(scope, receive, _named(send))
