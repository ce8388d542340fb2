"""The branch's side of the head-office link: a task in the engine process.

It reads the *committed* event log (``Store.events_after``, a read in its own thread: SQLite
WAL readers never wait for the writer, nor the writer for them) and sends it in ``seq`` order,
in batches, to the centre's stream through the branch's own NATS server, a leaf node of the
centre's cluster. Nothing here sits on the engine's write path: while the WAN is cut the engine
serves as before and the log simply grows; the uplink catches up when the link is back.

Where to send from is decided again after every failure, from what the centre has: the last
seq its database applied (the status exchange) and the last batch its stream holds. So a batch
lost in any crash — of this process, of the leaf, of the centre's NATS or consumer — is sent
again, and a batch sent twice is stored once (JetStream's de-duplication, then the centre's
(branch, seq) key). The centre can also ask for a resend from a seq (after a hole).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from queue_core.central.files import MARQUEE, BranchFiles, RefusedFile
from queue_core.central.protocol import (
    STREAM_UP,
    Batch,
    StatusReply,
    StatusRequest,
    UpEvent,
    deliver_subject,
    describe,
    encode_batch,
    inbox_prefix,
    status_subject,
    up_subject,
)
from queue_core.config import BranchConfig, UplinkSettings
from queue_core.retry import Backoff
from queue_core.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long a batch may wait for the stream's acknowledgement.
ACK_TIMEOUT_S = 5.0
#: A status exchange not answered in this time counts as "the centre does not answer".
STATUS_TIMEOUT_S = 3.0
#: The centre flags a branch whose clock is off by more than this.
CLOCK_TOLERANCE_S = 30.0
#: Status replies in a row with the centre stuck below what its stream acknowledged before
#: the uplink sends again from the centre's position (its stream lost what it had acked).
STALLED_REPLIES = 12
#: ``branchq serve`` exits with this code when it stopped to restart on a new branch file.
RESTART_EXIT = 75
#: The PostgreSQL advisory lock that elects one uplink among ``serve --workers N``.
UPLINK_LOCK = 0x42_51_55  # "BQU"

_restart_requested = False
#: Set by ``branchq serve``: ends serving (the process then exits with ``RESTART_EXIT``).
stop_serving: Callable[[], None] | None = None


def restart_requested() -> bool:
    return _restart_requested


def request_restart() -> None:
    """Stop the engine so that it starts again on the applied branch file: a worker pool's
    parent restarts its workers on SIGHUP; a single engine exits with ``RESTART_EXIT``, which
    the systemd unit restarts (``RestartForceExitStatus``)."""
    global _restart_requested
    _restart_requested = True
    if os.environ.get("BRANCHQ_WORKER_POOL"):
        os.kill(os.getppid(), signal.SIGHUP)
    elif stop_serving is not None:
        stop_serving()
    else:
        os.kill(os.getpid(), signal.SIGTERM)


@dataclass
class LinkState:
    """What the branch knows of its link, for ``GET /central/status`` and the logs."""

    #: ``connected`` (the centre answers), ``centre_unreachable`` (the local NATS answers,
    #: the centre not), ``local_nats_down``, or ``standby`` (another worker holds the link).
    link: str = "starting"
    head: int = 0
    acked: int = 0
    centre_applied: int | None = None
    clock_offset_s: float | None = None
    rtt_s: float | None = None
    last_exchange_at: float | None = None
    last_sent_at: float | None = None
    last_error: str | None = None
    sent_events: int = 0
    sent_batches: int = 0

    @property
    def lag(self) -> int:
        return max(0, self.head - self.acked)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["lag"] = self.lag
        clock_off = self.clock_offset_s is not None and abs(self.clock_offset_s) > CLOCK_TOLERANCE_S
        out["clock_ok"] = None if self.clock_offset_s is None else not clock_off
        return out


class Uplink:
    """Sends the branch's event log up and takes branch files and marquee texts down."""

    def __init__(
        self,
        config: BranchConfig,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        announce: Callable[[str, float | None], Awaitable[Any]] | None = None,
        quiet: Callable[[], bool] | None = None,
        restart: Callable[[], None] = request_restart,
    ) -> None:
        assert config.uplink is not None
        self.settings: UplinkSettings = config.uplink
        self.code = config.branch.code
        self.tz = config.zone
        self.store = store
        self.clock = clock
        self.described = describe(config)
        self.files = BranchFiles(self.settings.files_dir, self.settings.verify_key, self.code)
        self.announce = announce
        self.quiet = quiet
        self.restart = restart
        self.state = LinkState()
        self._next: int | None = None
        self._rewind_to: int | None = None
        self._describe = True
        self._stalled = 0
        self._link_back = asyncio.Event()
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="branchq-uplink")
        self._task: asyncio.Task[None] | None = None
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="branchq-uplink")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._reader.shutdown(wait=False, cancel_futures=True)

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader, partial(fn, *args))

    async def _run(self) -> None:
        backoff = Backoff(1.0, 30.0)
        lock = _Election(self.store)
        try:
            while True:
                if not await self._in_thread(lock.hold):
                    self.state.link = "standby"
                    await asyncio.sleep(15)
                    continue
                try:
                    nc = await nats.connect(
                        self.settings.nats_url,
                        name=f"branchq-uplink-{self.code}",
                        inbox_prefix=inbox_prefix(self.code),
                        connect_timeout=3,
                        reconnect_time_wait=2,
                        max_reconnect_attempts=-1,
                        error_cb=self._nats_error,
                        disconnected_cb=self._disconnected,
                    )
                except (TimeoutError, OSError, nats.errors.Error) as exc:
                    self._down("local_nats_down", exc)
                    await asyncio.sleep(backoff.next_delay())
                    continue
                backoff.reset()
                self._nc, self._js = nc, nc.jetstream(domain=self.settings.domain)
                self._next, self._describe = None, True
                try:
                    await nc.subscribe(deliver_subject(self.code), cb=self._on_down)
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._send_loop())
                        group.create_task(self._status_loop())
                        group.create_task(self._night_loop())
                except* Exception as group_error:
                    log.warning("uplink restarts after: %s", group_error.exceptions[0])
                finally:
                    with contextlib.suppress(Exception):
                        await nc.close()
                    self._nc = self._js = None
                await asyncio.sleep(backoff.next_delay())
        finally:
            await self._in_thread(lock.release)

    async def _nats_error(self, exc: Exception) -> None:
        log.debug("uplink NATS: %s", exc)

    async def _disconnected(self) -> None:
        self._down("local_nats_down", None)

    def _down(self, link: str, exc: BaseException | None) -> None:
        if self.state.link != link:
            log.warning("uplink: %s%s", link.replace("_", " "), f" ({exc})" if exc else "")
        self.state.link = link
        if exc is not None:
            self.state.last_error = f"{type(exc).__name__}: {exc}"

    # ------------------------------------------------------------------ sending
    async def _send_loop(self) -> None:
        backoff = Backoff(0.5, 30.0)
        while True:
            if self._rewind_to is not None:
                log.info("uplink: sending again from seq %d", self._rewind_to)
                self._next, self._rewind_to, self._describe = self._rewind_to, None, True
            if self._next is None and not await self._resume():
                await self._pause(backoff.next_delay())
                continue
            assert self._next is not None
            rows = await self._in_thread(
                self.store.events_after, self._next - 1, self.settings.batch
            )
            if not rows:
                await asyncio.sleep(self.settings.poll_s)
                continue
            batch = Batch(
                branch=self.code,
                events=[UpEvent(e.seq, e.type, e.at, e.data) for e in rows],
                sent_at=self.clock(),
                described=self.described if self._describe else None,
            )
            payload, headers = await self._in_thread(encode_batch, batch)
            try:
                await self._publish(payload, headers)
            except (TimeoutError, nats.errors.Error, nats.js.errors.Error) as exc:
                self._down("centre_unreachable", exc)
                self._next = None  # where to go on is asked again when the link is back
                await self._pause(backoff.next_delay())
                continue
            backoff.reset()
            self._next = batch.last + 1
            self._describe = False
            self.state.acked = max(self.state.acked, batch.last)
            self.state.head = max(self.state.head, batch.last)
            self.state.last_sent_at = self.clock()
            self.state.sent_events += len(batch.events)
            self.state.sent_batches += 1

    async def _pause(self, seconds: float) -> None:
        """Wait out a backoff, or less if the status exchange finds the centre back."""
        self._link_back.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._link_back.wait(), seconds)

    async def _publish(self, payload: bytes, headers: dict[str, str]) -> None:
        assert self._js is not None
        await self._js.publish(
            up_subject(self.code), payload, headers=headers, timeout=ACK_TIMEOUT_S
        )

    async def _resume(self) -> bool:
        """Where to send from: after what the centre applied and what its stream holds."""
        applied = await self._exchange()
        in_stream = await self._stream_last()
        if in_stream is None or (applied is None and in_stream == 0):
            return False  # no stream, or an empty one and nobody to say what was applied
        start = max(applied or 0, in_stream)
        self._next = start + 1
        self.state.acked = start
        log.info("uplink: sending from seq %d (centre applied %s, stream %d)", start + 1,
                 applied, in_stream)  # fmt: skip
        return True

    async def _stream_last(self) -> int | None:
        """The last seq the centre's stream holds for this branch (0: none); None: no answer."""
        assert self._js is not None
        try:
            msg = await self._js.get_last_msg(STREAM_UP, up_subject(self.code), direct=True)
        except nats.js.errors.NotFoundError:
            return 0
        except (TimeoutError, nats.errors.Error, nats.js.errors.Error) as exc:
            self._down("centre_unreachable", exc)
            return None
        return int((msg.headers or {}).get("Bq-Last-Seq", "0"))

    # ------------------------------------------------------------------ status exchange
    async def _status_loop(self) -> None:
        while True:
            # While the centre does not answer, ask every second: its return is noticed soon
            # (a refused request to the local leaf costs nothing).
            down = self.state.link != "connected"
            await asyncio.sleep(
                min(1.0, self.settings.status_s) if down else self.settings.status_s
            )
            applied = await self._exchange()
            in_stream = await self._stream_last() if self._next is not None else None
            if in_stream is not None and in_stream < self.state.acked:
                # The stream lost what it had acknowledged (a crash before its disk write).
                self._rewind_to = max(in_stream, applied or 0) + 1

    async def _exchange(self) -> int | None:
        """One status exchange; the centre's applied seq, or None when it does not answer."""
        assert self._nc is not None
        self.state.head = await self._in_thread(self.store.last_seq)
        request = StatusRequest(
            branch=self.code,
            sent_at=self.clock(),
            rtt=self.state.rtt_s,
            head=self.state.head,
            acked=self.state.acked,
            described=self.described,
            files=await self._in_thread(self.files.versions),
        )
        started = time.monotonic()
        try:
            msg = await self._nc.request(
                status_subject(self.code), request.encode(), timeout=STATUS_TIMEOUT_S
            )
            reply = StatusReply.decode(msg.data)
        except (TimeoutError, nats.errors.Error, ValueError) as exc:
            self._down("centre_unreachable", exc)
            return None
        if self.state.link != "connected":
            log.info("uplink: the centre answers")
            self._link_back.set()  # the sender need not sit out its backoff
        self.state.link = "connected"
        self.state.rtt_s = time.monotonic() - started
        self.state.last_exchange_at = self.clock()
        before, self.state.centre_applied = self.state.centre_applied, reply.applied
        self._check_clock(reply.clock_offset)
        if reply.resend_from is not None and reply.resend_from <= self.state.acked:
            self._rewind_to = reply.resend_from
        self._watch_stall(before, reply.applied)
        return reply.applied

    def _check_clock(self, offset: float | None) -> None:
        was = self.state.clock_offset_s
        self.state.clock_offset_s = offset
        newly_off = offset is not None and abs(offset) > CLOCK_TOLERANCE_S
        if newly_off and (was is None or abs(was) <= CLOCK_TOLERANCE_S):
            log.warning("the branch clock is %.0f s off the centre's: check its time sync", offset)

    def _watch_stall(self, before: int | None, applied: int) -> None:
        """The centre's database stuck below what its stream acknowledged (a consumer that
        skipped what its stream lost): after a minute of that, send again from there. A
        centre that is merely slow moves, and is left alone."""
        if applied >= self.state.acked or applied != before:
            self._stalled = 0
            return
        self._stalled += 1
        if self._stalled >= STALLED_REPLIES:
            self._stalled = 0
            self._rewind_to = applied + 1

    # ------------------------------------------------------------------ down the link
    async def _on_down(self, msg: Msg) -> None:
        try:
            received = await self._in_thread(self.files.receive, msg.data)
        except RefusedFile as exc:
            log.warning("refused a message from the centre: %s (%s)", exc, exc.code)
            await msg.ack()
            return
        except OSError as exc:  # the disk: not acknowledged, so it comes again
            log.error("cannot keep a message from the centre: %s", exc)
            return
        if received.kind == MARQUEE and self.announce is not None:
            body = received.body
            try:
                await self.announce(str(body["text"]), body.get("until"))
                await self._in_thread(self.files.shown_marquee, received)
            except Exception:
                log.exception("marquee text %d not shown; it comes again", received.version)
                return
        else:
            log.info("branch file version %d received; applied at night or on the admin's "
                     "command", received.version)  # fmt: skip
        await msg.ack()

    async def _night_loop(self) -> None:
        while True:
            await asyncio.sleep(60)
            await self.apply_if_quiet()

    async def apply_if_quiet(self) -> int | None:
        """Apply a received branch file if it is night and the hall is empty."""
        if self.quiet is None or await self._in_thread(self.files.pending) is None:
            return None
        if not await self._in_thread(self.quiet):
            return None
        return await self.apply_now("at night, the hall empty")

    async def apply_now(self, why: str) -> int | None:
        """Make the staged branch file the running one: the engine restarts on it."""
        version = await self._in_thread(self.files.promote)
        if version is not None:
            log.warning("applying branch file version %d (%s): the engine restarts", version, why)
            self.restart()
        return version

    async def status(self) -> dict[str, Any]:
        self.state.head = max(self.state.head, await self._in_thread(self.store.last_seq))
        out = self.state.as_json()
        out["files"] = await self._in_thread(self.files.versions)
        out["branch"] = self.code
        return out


def outside_hours(now: float, tz: Any, opening: str, closing: str, margin_s: float = 3600) -> bool:
    """True at night: more than ``margin_s`` before opening or after closing (branch time)."""
    local = datetime.fromtimestamp(now, tz)
    minutes = local.hour * 60 + local.minute
    open_m = int(opening[:2]) * 60 + int(opening[3:])
    close_m = int(closing[:2]) * 60 + int(closing[3:])
    margin = margin_s / 60
    return minutes < open_m - margin or minutes > close_m + margin


class _Election:
    """One uplink per branch among engine workers on PostgreSQL (a session advisory lock);
    on SQLite there is only one engine process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn: Any = None

    def hold(self) -> bool:
        if self.store.is_sqlite:
            return True
        from sqlalchemy import text

        if self.conn is None:
            self.conn = self.store.read_engine.connect()
        try:
            held = self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": UPLINK_LOCK})
            ok = bool(held.scalar())
            self.conn.commit()
            return ok
        except Exception:
            self.release()
            return False

    def release(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
