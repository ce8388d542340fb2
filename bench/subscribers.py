"""Subscribers against the write path: call-next latency and engine memory with many open
event streams (hall displays, staff pages, phones).

    python -m bench.subscribers [--subscribers 0,2000] [--calls 200] [--counters 8]
                                [--cycle-s 2,0.2] [--allocator malloc|pymalloc]
                                [--backend sqlite|postgres/N]

For each cycle and subscriber count a fresh engine (``branchq serve --no-access-log`` on
SQLite, on the C allocator as the systemd unit runs it: ``PYTHONMALLOC=malloc``) gets that many
``/events`` streams, held by another process with a minimal websocket client (it reads frames
and answers pings, nothing else, so it takes little of the 2 cores from the engine). Then
``--counters`` tellers each press call-next once per cycle and finish half a cycle later, on a
schedule that does not wait for the engine's answers, until ``--calls`` calls are made; every
call-next's latency is timed. A cash transaction takes 2-3 minutes, so a hall of 8 counters
makes a call every 15-20 s at its busiest: a 2 s cycle is that peak 75 times over (4 calls and
4 finishes a second), and 0.2 s (40 calls a second) finds what the machine can fan out at all.
The table gives call-next p50/p99, the engine's CPU per call (from ``/proc``: the call, the
finish and the fan-out of their events to every stream), its resident memory before the
streams, with them, and 5 s after they all left, and how many streams received every event.
With ``--backend postgres/3`` the engine is ``serve --workers 3`` on PostgreSQL: the streams
spread over the workers as the kernel hands out the connections, CPU and memory are those of
every worker together.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import platform
import struct
import tempfile
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.engine import SERVICES
from bench.load import Answer, Connection, paced_counter
from tests.reliability.workers import wait_for_workers
from tests.support.engine import DISPLAY_TOKEN, LOBBY, TELLERS, RunningEngine
from tests.support.postgres import start_postgres

API = "/api/v1"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Stream(asyncio.Protocol):
    """One event stream, read as cheaply as possible: frames are counted, pings answered."""

    def __init__(self, request: bytes, opened: asyncio.Future[None]) -> None:
        self.request = request
        self.opened = opened
        self.buffer = b""
        self.upgraded = False
        self.frames = 0
        self.called = 0
        self.closed_code: int | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                if not self.opened.done():
                    self.opened.set_exception(ConnectionError(head[:80].decode()))
                return
            self.upgraded = True
            self.buffer = rest
        self._frames()

    def _frames(self) -> None:
        buf = self.buffer
        at = 0
        while len(buf) - at >= 2:
            opcode = buf[at] & 0x0F
            length = buf[at + 1] & 0x7F
            head = 2
            if length == 126:
                if len(buf) - at < 4:
                    break
                length = struct.unpack_from("!H", buf, at + 2)[0]
                head = 4
            elif length == 127:
                if len(buf) - at < 10:
                    break
                length = struct.unpack_from("!Q", buf, at + 2)[0]
                head = 10
            if len(buf) - at < head + length:
                break
            payload = buf[at + head : at + head + length]
            at += head + length
            if opcode == 0x1:
                self.frames += 1
                if self.frames == 1 and not self.opened.done():
                    self.opened.set_result(None)  # the snapshot
                elif b'"ticket.called"' in payload[:40]:
                    self.called += 1
            elif opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                self.closed_code = struct.unpack_from("!H", payload)[0] if payload else 1005
        self.buffer = buf[at:]

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert self.transport is not None and len(payload) < 126
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _upgrade_request(url: str) -> bytes:
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {API}/events?token={DISPLAY_TOKEN} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def _hold_streams(url: str, count: int, pipe: Pipe) -> None:
    """In a process of its own: open ``count`` streams, say so, hold them until told, report
    how many ticket.called each saw, then drop them all."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        parts = urlsplit(url)
        streams: list[Stream] = []
        for start in range(0, count, 100):  # in waves, as displays and phones come in
            wave = []
            for _ in range(min(100, count - start)):
                opened: asyncio.Future[None] = loop.create_future()
                stream = Stream(_upgrade_request(url), opened)
                await loop.create_connection(lambda s=stream: s, parts.hostname, parts.port)
                streams.append(stream)
                wave.append(opened)
            await asyncio.wait_for(asyncio.gather(*wave), 60)
        pipe.send("ready")
        calls: int = await asyncio.to_thread(pipe.recv)  # every call has been made
        for _ in range(300):  # this reader may lag behind the engine: let it catch up
            if all(s.called >= calls for s in streams):
                break
            await asyncio.sleep(0.1)
        pipe.send([s.called for s in streams])
        await asyncio.to_thread(pipe.recv)  # "leave"
        for s in streams:
            s.close()
        pipe.send("gone")

    asyncio.run(main())


def _tree(pid: int) -> list[int]:
    """A process and its children (the workers of ``serve --workers N``)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def _tree_figures(pids: list[int]) -> tuple[float, float]:
    """(resident MB, CPU seconds so far) of processes together."""
    figures = [_proc_figures(p) for p in pids]
    return sum(f[0] for f in figures), sum(f[1] for f in figures)


def _proc_figures(pid: int) -> tuple[float, float]:
    """(resident MB, CPU seconds so far) of a process."""
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss_kb / 1024, cpu


async def _login(conn: Connection, login: str, pin: str, counter: int | None) -> str:
    body: dict[str, object] = {"login": login, "pin": pin}
    if counter is not None:
        body["counter"] = counter
    r = await conn.call("POST", f"{API}/auth/login", body=body)
    assert r.status == 200, r.body
    return str(r.json()["token"])


async def _calls(
    url: str, calls: int, counters: int, cycle_s: float, pids: list[int]
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lobby_conn = await Connection.open(host, port)
    lobby = await _login(lobby_conn, *LOBBY, None)
    # Every service of the demo branch, three times the calls: each counter always has one
    # of its own services waiting, however the calls fall between the counters.
    issues = [
        lobby_conn.request_bytes("POST", f"{API}/tickets", lobby, {"service": service})
        for service in SERVICES
    ]
    for i in range(3 * calls):
        r = await lobby_conn.send(issues[i % len(issues)])
        assert r.status == 201, r.body
    await lobby_conn.close()
    numbers = list(range(1, counters + 1))
    conns: dict[int, Connection] = {}
    tokens: dict[int, str] = {}
    setup = await Connection.open(host, port)
    for n in numbers:
        tokens[n] = await _login(setup, *TELLERS[n], n)
        await setup.call("POST", f"{API}/counters/{n}/open", tokens[n])
    await setup.close()
    for n in numbers:  # opened once every login is done: the engine closes one idle for 5 s
        conns[n] = await Connection.open(host, port)
    latencies: list[float] = []
    remaining = [calls]
    cpu0 = _tree_figures(pids)[1]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1

    def answered(r: Answer, latency: float, at: float) -> None:
        latencies.append(latency)

    async def teller(n: int) -> None:
        conn = conns[n]
        await paced_counter(
            conn,
            conn.request_bytes("POST", f"{API}/counters/{n}/call-next", tokens[n]),
            conn.request_bytes("POST", f"{API}/counters/{n}/finish", tokens[n], {}),
            start + cycle_s * (n - 1) / counters,  # the counters out of step, as in a hall
            cycle_s,
            remaining,
            answered,
        )

    await asyncio.gather(*(teller(n) for n in numbers))
    elapsed = loop.time() - start
    cpu = _tree_figures(pids)[1] - cpu0
    for c in conns.values():
        await c.close()
    return {
        "p50": pct(latencies, 50) * 1e3,
        "p99": pct(latencies, 99) * 1e3,
        "max": max(latencies) * 1e3,
        "cpu_ms": cpu / calls * 1e3,
        "rate": calls / elapsed,
    }


def _streams(url: str) -> int:
    """The streams of the worker that answered (a fresh connection: any of them)."""
    r = httpx.get(f"{url}/healthz", timeout=10, headers={"Connection": "close"})
    return int(r.json()["subscribers"])


def _until_streams(url: str, count: int, workers: int, timeout: float = 60.0) -> None:
    """Wait until the engine counts ``count`` streams (its own, such as the phone pages'
    watch, count too), asking often enough to hear from every worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_streams(url) == count for _ in range(5 * workers)):
            return
        time.sleep(0.2)
    raise AssertionError("the engine still counts streams a minute after they all left")


def run(
    count: int, calls: int, counters: int, cycle_s: float, allocator: str, backend: str
) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-subscribers-"))
    name, _, n = backend.partition("/")
    workers = int(n or 1)
    postgres = start_postgres() if name == "postgres" else None
    db_url = postgres.create_database("bench") if postgres is not None else None
    extra = ["--no-access-log", *(["--workers", str(workers)] if workers > 1 else [])]
    engine = RunningEngine(
        workdir=workdir, db_url=db_url, extra_args=extra, env={"PYTHONMALLOC": allocator}
    )
    try:
        engine.start(timeout=120)
        if workers > 1:
            wait_for_workers(engine, workers, timeout=120)
        assert engine.proc is not None
        pids = _tree(engine.proc.pid)
        time.sleep(1.0)
        rss_before = _tree_figures(pids)[0]
        own = _streams(engine.url)
        here, there = multiprocessing.Pipe()
        holder = multiprocessing.Process(target=_hold_streams, args=(engine.url, count, there))
        holder.start()
        assert here.recv() == "ready"
        rss_with = _tree_figures(pids)[0]
        figures = asyncio.run(_calls(engine.url, calls, counters, cycle_s, pids))
        here.send(calls)
        seen: list[int] = here.recv()
        here.send("leave")
        assert here.recv() == "gone"
        holder.join(10)
        _until_streams(engine.url, own, workers)  # every stream has gone (a loaded machine)
        time.sleep(5.0)
        rss_after = _tree_figures(pids)[0]
    finally:
        engine.stop()
        if postgres is not None:
            postgres.stop()
    return {
        **figures,
        "rss_before": rss_before,
        "rss_with": rss_with,
        "rss_after": rss_after,
        "complete": sum(1 for s in seen if s == calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", default="0,2000")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--counters", type=int, default=8)
    parser.add_argument(
        "--cycle-s",
        default="2,0.2",
        help="seconds from one call-next of a counter to its next (finish half-way), a list",
    )
    parser.add_argument("--allocator", choices=("malloc", "pymalloc"), default="malloc")
    parser.add_argument("--backend", default="sqlite", help="sqlite, or postgres/N: N workers")
    args = parser.parse_args()
    counts = [int(n) for n in args.subscribers.split(",")]
    cycles = [float(c) for c in args.cycle_s.split(",")]
    rows = [
        (c, n, run(n, args.calls, args.counters, c, args.allocator, args.backend))
        for c in cycles
        for n in counts
    ]
    print(
        f"\nsubscribers vs call-next — {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()} ({args.allocator}), {args.backend}; {args.calls} calls from "
        f"{args.counters} counters; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'cycle s':>7} {'calls/s':>7} {'streams':>7} {'call p50 ms':>11} {'p99 ms':>7} "
        f"{'max ms':>7} {'CPU/call ms':>11} {'RSS MB before':>13} {'with':>6} {'after':>6} "
        f"{'got every call':>14}"
    )
    for c, n, r in rows:
        print(
            f"{c:>7g} {r['rate']:>7.1f} {n:>7} {r['p50']:>11.1f} {r['p99']:>7.1f} "
            f"{r['max']:>7.1f} {r['cpu_ms']:>11.2f} {r['rss_before']:>13.0f} "
            f"{r['rss_with']:>6.0f} {r['rss_after']:>6.0f} {int(r['complete']):>9}/{n}"
        )


if __name__ == "__main__":
    main()
