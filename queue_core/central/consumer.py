"""``branchq central consume``: the branches' event batches from JetStream into PostgreSQL.

A durable pull consumer (``central`` on ``BQ_UP``) hands out batches; each fetch is stored
and applied in one database transaction (``CentralDB.ingest``) and acknowledged only after the
commit. Killed between the commit and the acknowledgement, the batches come again and are
skipped by seq: stored exactly once. Several consumer processes may share the durable
consumer; the database's row lock per branch keeps their work apart.

The same process answers the branches' status exchange (``bq.status.<b>``, a queue group, so
any consumer answers): from memory, with the seq it applied and its clock; the statuses are
written to the database every two seconds in one statement, not one write per branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
import psycopg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from psycopg.types.json import Jsonb

from queue_core.central.db import CentralDB, Ingested
from queue_core.central.protocol import (
    CENTRAL_CONSUMER,
    STATUS_GROUP,
    STREAM_DOWN,
    STREAM_UP,
    Batch,
    ProtocolError,
    StatusReply,
    StatusRequest,
    decode_batch,
    deliver_subject,
    down_consumer,
    up_subject,
)
from queue_core.retry import Backoff

log = logging.getLogger(__name__)

#: Batches taken per fetch (each up to ``[uplink] batch`` events).
FETCH = 64
#: How long the stream keeps a batch the consumer has not taken (a long consumer outage).
UP_MAX_AGE_S = 30 * 86400
STATUS_FLUSH_S = 2.0


def up_stream(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=STREAM_UP,
        subjects=["bq.up.*"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=UP_MAX_AGE_S,
        duplicate_window=120,
        allow_direct=True,
        num_replicas=replicas,
    )


def down_stream(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=STREAM_DOWN,
        subjects=["bq.down.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_msgs_per_subject=10,
        allow_direct=True,
        num_replicas=replicas,
    )


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the two streams if they are missing (leaves existing ones as they are)."""
    for config in (up_stream(replicas), down_stream(replicas)):
        try:
            await js.stream_info(str(config.name))
        except nats.js.errors.NotFoundError:
            await js.add_stream(config)


async def ensure_down_consumer(js: JetStreamContext, branch: str) -> None:
    """The durable consumer that pushes a branch's files to it whenever it is connected; a new
    one starts from the newest file and marquee text."""
    await js.add_consumer(
        STREAM_DOWN,
        ConsumerConfig(
            durable_name=down_consumer(branch),
            filter_subject=f"bq.down.{branch}.>",
            deliver_subject=deliver_subject(branch),
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            max_ack_pending=20,
        ),
    )


@dataclass
class Seen:
    """A branch's last status, waiting to be written."""

    at: float
    request: StatusRequest
    offset: float


class Consumer:
    """The stream into the database, and the status exchange."""

    def __init__(
        self,
        nats_servers: Sequence[str],
        db_url: str,
        *,
        clock: Callable[[], float] = time.time,
        replicas: int = 1,
        nats_options: dict[str, Any] | None = None,
        health_port: int | None = None,
    ) -> None:
        self.servers = list(nats_servers)
        self.db_url = db_url
        self.clock = clock
        self.replicas = replicas
        self.nats_options = nats_options or {}
        self.applied: dict[str, tuple[int, int]] = {}  # branch -> (applied, stored)
        self.seen: dict[str, Seen] = {}
        self.known_down: set[str] = set()
        self.ingested_events = 0
        self.ingested_batches = 0
        self._js: JetStreamContext | None = None
        self.health_port = health_port
        self.alive_at = 0.0  # monotonic time of the last turn of the fetch loop
        self._nc: Any = None

    async def run(self) -> None:
        """Until cancelled."""
        nc = await nats.connect(
            servers=self.servers,
            name="branchq-central-consumer",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            error_cb=_nats_error,
            disconnected_cb=_nats_disconnected,
            reconnected_cb=_nats_reconnected,
            **self.nats_options,
        )
        self._nc = nc
        health = await self._serve_health()
        ingest_db = await _connect_db(self.db_url)
        status_db = await _connect_db(self.db_url)
        await ingest_db.migrate()
        try:
            js = nc.jetstream()
            self._js = js
            await _retry(lambda: ensure_streams(js, self.replicas))
            await self._load_applied(status_db)
            await nc.subscribe("bq.status.*", queue=STATUS_GROUP, cb=self._on_status)
            sub = await _retry(
                lambda: js.pull_subscribe(
                    "bq.up.*",
                    durable=CENTRAL_CONSUMER,
                    stream=STREAM_UP,
                    config=ConsumerConfig(
                        ack_policy=AckPolicy.EXPLICIT,
                        ack_wait=60,
                        max_ack_pending=20_000,
                        deliver_policy=DeliverPolicy.ALL,
                    ),
                )
            )
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump(sub, ingest_db))
                group.create_task(self._flush_statuses(status_db, js))
        finally:
            if health is not None:
                health.close()
            with contextlib.suppress(Exception):
                await nc.close()
            await ingest_db.close()
            await status_db.close()

    # ------------------------------------------------------------------ ingestion
    async def _pump(self, sub: Any, db: CentralDB) -> None:
        while True:
            self.alive_at = time.monotonic()
            try:
                msgs: list[Msg] = await sub.fetch(FETCH, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            except (nats.errors.Error, nats.js.errors.Error) as exc:
                log.warning("fetch from the stream failed: %s", exc)
                await asyncio.sleep(1)
                continue
            batches: list[tuple[Msg, Batch]] = []
            for msg in msgs:
                try:
                    batch = decode_batch(msg.data, msg.headers)
                    if msg.subject != up_subject(batch.branch):
                        # NATS lets a branch publish on its own subject only: the subject,
                        # not the body, says whose events these are.
                        raise ProtocolError(f"a batch of branch {batch.branch} on {msg.subject}")
                    batches.append((msg, batch))
                except ProtocolError as exc:
                    log.error("dropped a message on %s: %s", msg.subject, exc)
                    await msg.term()
            if batches:
                db = await self._ingest(db, batches)

    async def _ingest(self, db: CentralDB, batches: list[tuple[Msg, Batch]]) -> CentralDB:
        """Store and apply, then acknowledge; the database down means wait and try again."""
        delays = Backoff(0.5, 15.0)
        while True:
            try:
                result = await db.ingest([b for _, b in batches])
                break
            except psycopg.OperationalError as exc:
                log.warning("central database unavailable (%s); retrying", exc)
                await delays.wait()
                with contextlib.suppress(Exception):
                    await db.close()
                with contextlib.suppress(Exception):
                    db = await _connect_db(self.db_url)
            except psycopg.Error:
                if len(batches) == 1:
                    log.exception(
                        "batch %s could not be stored; retried later", batches[0][1].msg_id
                    )
                    await batches[0][0].nak(delay=30)
                    return db
                for one in batches:  # find the one that fails; the others go through
                    db = await self._ingest(db, [one])
                return db
        self._note(result)
        for msg, _ in batches:
            await msg.ack()
        return db

    def _note(self, result: Ingested) -> None:
        self.ingested_events += result.events
        self.ingested_batches += 1
        for code, applied in result.applied.items():
            gap = code in result.gaps
            self.applied[code] = (applied, applied + 1 if gap else applied)
            if gap:
                log.warning("branch %s: events after seq %d are missing", code, applied)

    # ------------------------------------------------------------------ health
    def healthy(self) -> bool:
        """Connected to NATS and fetching (a fetch waits at most a second, a database outage
        holds the loop: both make the consumer unhealthy after 30 s)."""
        connected = self._nc is not None and self._nc.is_connected
        return bool(connected and time.monotonic() - self.alive_at < 30)

    async def _serve_health(self) -> asyncio.Server | None:
        """``GET /healthz`` on loopback, for the watchdog (deploy/bin/branchq-watchdog)."""
        if self.health_port is None:
            return None

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reader.readline(), 5)
                ok = self.healthy()
                body = json.dumps({"status": "ok" if ok else "unhealthy",
                                   "events": self.ingested_events}).encode()  # fmt: skip
                head = "200 OK" if ok else "503 Service Unavailable"
                writer.write(
                    f"HTTP/1.1 {head}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
            writer.close()

        return await asyncio.start_server(answer, "127.0.0.1", self.health_port)

    # ------------------------------------------------------------------ status exchange
    async def _load_applied(self, db: CentralDB) -> None:
        for row in await db.branch_rows():
            self.applied[row["code"]] = (int(row["applied_seq"]), int(row["stored_seq"]))

    async def _on_status(self, msg: Msg) -> None:
        now = self.clock()
        try:
            request = StatusRequest.decode(msg.data)
        except ProtocolError as exc:
            log.warning("bad status request on %s: %s", msg.subject, exc)
            return
        if msg.subject != f"bq.status.{request.branch}":
            return  # the centre's NATS lets no branch speak for another; do not either
        offset = request.sent_at + (request.rtt or 0.0) / 2 - now
        self.seen[request.branch] = Seen(now, request, offset)
        applied, stored = self.applied.get(request.branch, (0, 0))
        reply = StatusReply(
            applied=applied,
            time=now,
            resend_from=applied + 1 if stored > applied else None,
            clock_offset=round(offset, 3),
        )
        with contextlib.suppress(nats.errors.Error):
            await msg.respond(reply.encode())

    async def _flush_statuses(self, db: CentralDB, js: JetStreamContext) -> None:
        while True:
            await asyncio.sleep(STATUS_FLUSH_S)
            seen, self.seen = self.seen, {}
            try:
                for code in sorted(set(seen) - self.known_down):
                    await ensure_down_consumer(js, code)
                    self.known_down.add(code)
                rows = [
                    (code, s.at, s.request.head, s.request.acked, s.offset,
                     Jsonb(s.request.described), Jsonb(s.request.files))
                    for code, s in seen.items()
                ]  # fmt: skip
                if rows:
                    await db.record_statuses(rows)
                await self._load_applied(db)
            except (psycopg.Error, nats.errors.Error, nats.js.errors.Error) as exc:
                log.warning("status flush failed (%s); next time", exc)
                for code, s in seen.items():
                    self.seen.setdefault(code, s)
                if isinstance(exc, psycopg.OperationalError):
                    with contextlib.suppress(Exception):
                        await db.close()
                    with contextlib.suppress(Exception):
                        db = await _connect_db(self.db_url)


async def _nats_error(exc: Exception) -> None:
    log.debug("NATS: %s", exc)


async def _nats_disconnected() -> None:
    log.warning("disconnected from the centre's NATS; reconnecting")


async def _nats_reconnected() -> None:
    log.info("reconnected to the centre's NATS")


async def _connect_db(url: str) -> CentralDB:
    delays = Backoff(0.5, 15.0)
    while True:
        try:
            return await CentralDB.connect(url)
        except psycopg.OperationalError as exc:
            log.warning("central database not reachable (%s); retrying", exc)
            await delays.wait()


async def _retry(step: Callable[[], Any]) -> Any:
    """JetStream answers only once its cluster has a leader: wait for it."""
    delays = Backoff(0.5, 10.0)
    while True:
        try:
            return await step()
        except (nats.errors.Error, nats.js.errors.Error, TimeoutError) as exc:
            log.warning("JetStream not ready (%s); retrying", exc)
            await delays.wait()
