"""A branch at its peak, for the fault tests and ``bench/reliability.py``: kiosks issuing,
tellers calling, a display following, each doing what the real program does when the engine
goes away (a kiosk retries the same press with its Idempotency-Key, a teller presses again, a
display reconnects with its last ``seq``), and recording what it was told."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from queue_core.client import EngineClient, EngineError, EngineUnavailable, EventStream
from queue_core.wire import News, Snapshot, TicketNews
from tests.support.engine import DEMO_CONFIG, LOBBY, RunningEngine

SERVICES = ("A", "B", "C", "D", "V")


def branch_file(folder: Path, counters: int = 8, kiosk_per_minute: int = 30) -> Path:
    """The demo branch with ``counters`` counters (9 and up serve every service) and the
    kiosks' rate limit set; written to ``folder/branch.toml``."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"rate_per_minute = \d+", f"rate_per_minute = {kiosk_per_minute}", text)
    text = text.replace("[kiosk]\n", f"[kiosk]\nburst = {max(5, kiosk_per_minute // 10)}\n", 1)
    extra = "".join(
        f'\n[[counters]]\nnumber = {n}\nname = "{n}号窗口"\nservices = ["A", "B", "C", "D", "V"]\n'
        for n in range(9, counters + 1)
    )
    head, sep, tail = text.partition("\n[[staff]]")
    out = folder / "branch.toml"
    out.write_text(head + extra + sep + tail, encoding="utf-8")
    return out


@dataclass
class Record:
    """What the clients were told, shared between the load threads."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # ticket id -> number
    issue_errors: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # ticket ids from call-next answers
    call_errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, table: dict[str, int], key: str) -> None:
        with self.lock:
            table[key] = table.get(key, 0) + 1


def _lobby(url: str) -> EngineClient:
    """A lobby session (it may issue without the kiosk's rate limit and act on any counter)."""
    while True:
        try:
            client = EngineClient(url, timeout=5)
            client.login(*LOBBY)
            return client
        except EngineUnavailable:
            time.sleep(0.2)


def kiosk_loop(url: str, token: str | None, record: Record, stop: threading.Event) -> None:
    """Issue tickets back to back; a press is retried with the same key until acknowledged."""
    client = EngineClient(url, token, timeout=5) if token else _lobby(url)
    services = itertools.cycle(SERVICES)
    while not stop.is_set():
        key, service = uuid.uuid4().hex, next(services)
        while True:
            try:
                ticket = client.issue(service, idempotency_key=key)
            except EngineError as exc:
                record.count(record.issue_errors, exc.code)
                if stop.is_set() and isinstance(exc, EngineUnavailable):
                    return
                time.sleep(0.05)
                continue
            with record.lock:
                record.acknowledged[ticket["id"]] = ticket["number"]
            break
    client.close()


def teller_loop(url: str, counter: int, record: Record, stop: threading.Event) -> None:
    """Open the counter, then call-next and finish back to back, pressing again after errors."""
    client = _lobby(url)
    while not stop.is_set():
        try:
            state = client.request("GET", f"/counters/{counter}")
            if state["state"] != "open":
                client.counter_action(counter, "open")
            if state["current"] and state["current"]["status"] in ("called", "serving"):
                client.counter_action(counter, "finish")
            called = client.call_next(counter)
            if called is None:
                time.sleep(0.02)
                continue
            with record.lock:
                record.calls.append(called["id"])
            client.counter_action(counter, "finish")
        except EngineError as exc:
            record.count(record.call_errors, exc.code)
            time.sleep(0.05)
    client.close()


@dataclass
class Follower:
    """A display's event stream: every event it was handed, in order."""

    url: str
    token: str
    events: list[News] = field(default_factory=list)
    reconnects: int = 0
    stream: EventStream | None = None

    async def run(self) -> None:
        def state(up: bool) -> None:
            if up:
                self.reconnects += 1

        self.stream = EventStream(
            self.url, self.token, min_backoff=0.05, max_backoff=0.5, on_state=state
        )
        async for event in self.stream:
            self.events.append(event)

    def gaps(self) -> list[tuple[int, int]]:
        """Pairs of consecutive seqs (after the first event) that are not ``n, n + 1``."""
        seqs = [e.seq for e in self.events]
        return [(a, b) for a, b in itertools.pairwise(seqs) if b != a + 1]

    def snapshots(self) -> int:
        return sum(1 for e in self.events if isinstance(e, Snapshot))

    def called_ids(self) -> list[str]:
        return [
            e.ticket["id"] for e in self.events if isinstance(e, TicketNews) and e.kind == "called"
        ]


class FollowerThread:
    """A ``Follower`` on its own event loop in a thread, for load tests run from sync code."""

    def __init__(self, url: str, token: str) -> None:
        self.follower = Follower(url, token)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self._task: asyncio.Task[None] | None = None

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._task = self.loop.create_task(self.follower.run())
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self._task)

    def start(self) -> FollowerThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self._task is not None:
            self.loop.call_soon_threadsafe(self._task.cancel)
        self.thread.join(10)

    def wait_for_seq(self, seq: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.follower.events
            if events and events[-1].seq >= seq:
                return True
            time.sleep(0.05)
        return False


@dataclass
class Peak:
    """Kiosks and tellers running against one engine until ``stop``."""

    engine: RunningEngine
    kiosks: list[str | None]
    counters: list[int]
    record: Record = field(default_factory=Record)
    stop_flag: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Peak:
        url = self.engine.url
        for token in self.kiosks:
            self.threads.append(
                threading.Thread(
                    target=kiosk_loop, args=(url, token, self.record, self.stop_flag), daemon=True
                )
            )
        for n in self.counters:
            self.threads.append(
                threading.Thread(
                    target=teller_loop, args=(url, n, self.record, self.stop_flag), daemon=True
                )
            )
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)

    def progress(self) -> tuple[int, int]:
        """Tickets acknowledged and calls answered so far."""
        with self.record.lock:
            return len(self.record.acknowledged), len(self.record.calls)

    def run_for(self, busy_s: float, issues: int, calls: int, limit_s: float = 180.0) -> None:
        """Let the peak run for ``busy_s`` and until ``issues`` more tickets were acknowledged
        and ``calls`` more calls answered: a phase is measured in work done, not in seconds, so
        a loaded machine only makes it longer (``limit_s`` bounds a stuck run; the caller's
        checks then say what is missing)."""
        start = time.monotonic()
        issued0, called0 = self.progress()
        while time.monotonic() - start < limit_s:
            issued, called = self.progress()
            enough = issued - issued0 >= issues and called - called0 >= calls
            if enough and time.monotonic() - start >= busy_s:
                return
            time.sleep(0.05)


def last_seq(engine: RunningEngine) -> int:
    """The engine's last event seq, as a fresh subscriber's snapshot says."""
    import json

    import websockets

    from queue_core.client import events_url
    from tests.support.engine import DISPLAY_TOKEN

    async def read() -> int:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
            return int(json.loads(await ws.recv())["seq"])

    return asyncio.run(read())


def day_tickets(engine: RunningEngine) -> list[dict[str, str]]:
    """Every visit of today's business day, from the engine's CSV export."""
    import csv
    import io

    client = _lobby(engine.url)
    text = client.request("GET", "/stats/daily.csv")
    client.close()
    return list(csv.DictReader(io.StringIO(text)))


@dataclass
class CrashReport:
    """What a run of kill -9 rounds under load left behind."""

    rounds: int
    acknowledged: int
    lost: list[str]
    repeated_numbers: list[str]
    seq_gaps: list[tuple[int, int]]
    snapshots_after_start: int
    called_twice: list[str]
    follower_last_seq: int
    engine_last_seq: int
    issued_after_last_restart: int
    calls_after_last_restart: int
    restart_s: list[float]
    reconnects: int


def crash_under_load(
    engine: RunningEngine,
    rounds: int,
    busy_s: float,
    kiosks: list[str | None],
    counters: list[int],
    display_token: str,
    issues_per_phase: int = 12,
    calls_per_phase: int = 4,
) -> CrashReport:
    """Run the peak; ``rounds`` times, kill -9 the engine once it has run for ``busy_s`` and
    acknowledged ``issues_per_phase`` tickets and ``calls_per_phase`` calls since it started,
    and start it again; then one more such phase."""
    follower = FollowerThread(engine.url, display_token).start()
    peak = Peak(engine, kiosks, counters).start()
    restart_s: list[float] = []
    before_last = (0, 0)
    try:
        for _ in range(rounds):
            peak.run_for(busy_s, issues_per_phase, calls_per_phase)
            engine.stop(kill=True)
            t0 = time.monotonic()
            engine.start()
            restart_s.append(time.monotonic() - t0)
            with peak.record.lock:
                before_last = (len(peak.record.acknowledged), len(peak.record.calls))
        peak.run_for(busy_s, issues_per_phase, calls_per_phase)
    finally:
        peak.stop()
    head = last_seq(engine)
    follower.wait_for_seq(head)
    follower.stop()
    rows = day_tickets(engine)
    known = {r["id"] for r in rows}
    firsts = [r["number"] for r in rows if r["visit"] == "1"]
    f = follower.follower
    called = f.called_ids()
    return CrashReport(
        rounds=rounds,
        acknowledged=len(peak.record.acknowledged),
        lost=[i for i in peak.record.acknowledged if i not in known],
        repeated_numbers=sorted({n for n in firsts if firsts.count(n) > 1}),
        seq_gaps=f.gaps(),
        snapshots_after_start=max(0, f.snapshots() - 1),
        called_twice=sorted({i for i in called if called.count(i) > 1}),
        follower_last_seq=f.events[-1].seq if f.events else -1,
        engine_last_seq=head,
        issued_after_last_restart=len(peak.record.acknowledged) - before_last[0],
        calls_after_last_restart=len(peak.record.calls) - before_last[1],
        restart_s=restart_s,
        reconnects=f.reconnects,
    )
