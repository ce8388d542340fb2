"""Engine benchmark: issue and call-next+finish throughput and latency, and call-to-subscriber
latency with 200 websocket subscribers, on SQLite and on PostgreSQL.

    python -m bench.engine [--issues 3000] [--cycles 2000] [--subscribers 200] [--calls 200]
                           [--backends sqlite,postgres]

Each backend gets a fresh engine process (``branchq serve --no-access-log``, as deployed behind
nginx) on loopback. The HTTP load comes from ``bench.load``, a client cheap enough not to take
the engine's CPU on a small machine. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import platform
import tempfile
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websockets

from bench.load import Connection
from queue_core.client import events_url
from tests.support.engine import DISPLAY_TOKEN, LOBBY, TELLERS, RunningEngine
from tests.support.postgres import start_postgres

API = "/api/v1"
COUNTERS = [1, 2, 3, 4, 5, 6, 7, 8]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _login(conn: Connection, login: str, pin: str, counter: int | None) -> str:
    body: dict[str, Any] = {"login": login, "pin": pin}
    if counter is not None:
        body["counter"] = counter
    r = await conn.call("POST", f"{API}/auth/login", body=body)
    assert r.status == 200, r.body
    return str(r.json()["token"])


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def bench_issue(url: str, total: int, concurrency: int) -> dict[str, float]:
    host, port = _address(url)
    conns = [await Connection.open(host, port) for _ in range(concurrency)]
    token = await _login(conns[0], *LOBBY, None)
    services = ["A", "B", "C", "D", "V"]
    requests = [
        conns[0].request_bytes("POST", f"{API}/tickets", token, {"service": s}) for s in services
    ]
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker(conn: Connection) -> None:
        for i in counter:
            t0 = time.perf_counter()
            r = await conn.send(requests[i % len(requests)])
            latencies.append(time.perf_counter() - t0)
            assert r.status == 201, r.body

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        await c.close()
    return {
        "rps": total / elapsed,
        "p50": pct(latencies, 50) * 1e3,
        "p99": pct(latencies, 99) * 1e3,
        "n": total,
    }


async def bench_cycles(url: str, total: int) -> dict[str, float]:
    """Each counter's teller loops call-next then finish; one cycle is both requests."""
    host, port = _address(url)
    conns = {n: await Connection.open(host, port) for n in COUNTERS}
    tokens = {n: await _login(conns[n], *TELLERS[n], n) for n in COUNTERS}
    for n in COUNTERS:
        await conns[n].call("POST", f"{API}/counters/{n}/open", tokens[n])
    latencies: list[float] = []
    requests: list[float] = []  # each call-next and each finish alone
    remaining = [total]

    async def teller(n: int) -> None:
        conn = conns[n]
        call_next = conn.request_bytes("POST", f"{API}/counters/{n}/call-next", tokens[n])
        finish = conn.request_bytes("POST", f"{API}/counters/{n}/finish", tokens[n], {})
        while remaining[0] > 0:
            remaining[0] -= 1
            t0 = time.perf_counter()
            r = await conn.send(call_next)
            if r.status == 204:
                return
            assert r.status == 200, r.body
            t1 = time.perf_counter()
            r = await conn.send(finish)
            assert r.status == 200, r.body
            t2 = time.perf_counter()
            latencies.append(t2 - t0)
            requests.extend((t1 - t0, t2 - t1))

    start = time.perf_counter()
    await asyncio.gather(*(teller(n) for n in COUNTERS))
    elapsed = time.perf_counter() - start
    for c in conns.values():
        await c.close()
    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(latencies, 50) * 1e3,
        "p99": pct(latencies, 99) * 1e3,
        "n": len(latencies),
        "req_rps": len(requests) / elapsed,
        "req_p50": pct(requests, 50) * 1e3,
        "req_p99": pct(requests, 99) * 1e3,
    }


def _subscribers_process(url: str, subscribers: int, conn: Pipe) -> None:
    """In a process of its own, like the real displays: hold ``subscribers`` event streams and
    note when the last of them received each ``ticket.called`` (CLOCK_MONOTONIC, which
    ``time.perf_counter`` reads, is shared by every process on Linux)."""

    async def main() -> None:
        last: dict[str, float] = {}
        seen: dict[str, int] = {}
        opened = [0]
        ready = asyncio.Event()

        async def subscribe() -> None:
            async with websockets.connect(events_url(url, DISPLAY_TOKEN, None)) as ws:
                await ws.recv()  # snapshot
                opened[0] += 1
                if opened[0] == subscribers:
                    ready.set()
                async for raw in ws:
                    if '"ticket.called"' in raw:
                        ident = json.loads(raw)["data"]["ticket"]["id"]
                        seen[ident] = seen.get(ident, 0) + 1
                        last[ident] = time.perf_counter()

        tasks = [asyncio.create_task(subscribe()) for _ in range(subscribers)]
        await asyncio.wait_for(ready.wait(), 60)
        conn.send("ready")
        await asyncio.to_thread(conn.recv)  # "done"
        await asyncio.sleep(0.5)
        conn.send({i: t for i, t in last.items() if seen[i] == subscribers})
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


async def bench_fanout(url: str, subscribers: int, calls: int) -> dict[str, float]:
    """Time from a call-next's request and answer to its ticket.called reaching the last of
    ``subscribers`` event streams held by another process."""
    here, there = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_subscribers_process, args=(url, subscribers, there))
    proc.start()
    assert await asyncio.to_thread(here.recv) == "ready"
    times: dict[str, tuple[float, float]] = {}
    conn = await Connection.open(*_address(url))
    lobby = await _login(conn, *LOBBY, None)
    token = await _login(conn, *TELLERS[2], 2)
    await conn.call("POST", f"{API}/counters/2/open", token)
    for _ in range(calls):
        await conn.call("POST", f"{API}/tickets", lobby, {"service": "A"})
    for _ in range(calls):
        sent = time.perf_counter()
        r = await conn.call("POST", f"{API}/counters/2/call-next", token)
        times[r.json()["id"]] = (sent, time.perf_counter())
        # A teller's pace, far quicker than a real one (a customer takes minutes), yet
        # enough for the previous events to have reached the hall before the next call.
        await asyncio.sleep(0.05)
        await conn.call("POST", f"{API}/counters/2/finish", token, {})
        await asyncio.sleep(0.05)
    await conn.close()
    here.send("done")
    last: dict[str, float] = await asyncio.to_thread(here.recv)
    proc.join(10)
    assert set(last) == set(times), f"{len(last)} of {len(times)} calls reached every stream"
    from_request = [last[i] - sent for i, (sent, _) in times.items()]
    from_answer = [last[i] - answered for i, (_, answered) in times.items()]
    return {
        "p50": pct(from_answer, 50) * 1e3,
        "p99": pct(from_answer, 99) * 1e3,
        "req_p50": pct(from_request, 50) * 1e3,
        "req_p99": pct(from_request, 99) * 1e3,
        "n": calls,
    }


def run_backend(
    name: str, db_url: str | None, workdir: Path, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    engine = RunningEngine(workdir=workdir, db_url=db_url, extra_args=["--no-access-log"]).start()
    try:
        issue = asyncio.run(bench_issue(engine.url, args.issues, args.concurrency))
        cycles = asyncio.run(bench_cycles(engine.url, args.cycles))
        fanout = asyncio.run(bench_fanout(engine.url, args.subscribers, args.calls))
    finally:
        engine.stop()
    return {"issue": issue, "cycle": cycles, "fanout": fanout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=3000)
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for backend in args.backends.split(","):
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
        if backend == "sqlite":
            results[backend] = run_backend(backend, None, workdir, args)
        else:
            server = start_postgres()
            try:
                url = server.create_database("bench")
                results[backend] = run_backend(backend, url, workdir, args)
            finally:
                server.stop("immediate")
    print(
        f"\nBranchQ engine benchmark — {platform.node() and 'this machine'}: "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"{'backend':<9} {'measure':<34} {'n':>6} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for backend, r in results.items():
        rows = [
            ("issue (POST /tickets, 8 clients)", r["issue"]),
            ("call-next + finish cycle (8 ctrs)", r["cycle"]),
            (
                "  each request of those cycles",
                {
                    "n": 2 * r["cycle"]["n"],
                    "rps": r["cycle"]["req_rps"],
                    "p50": r["cycle"]["req_p50"],
                    "p99": r["cycle"]["req_p99"],
                },
            ),
            (f"answer → last of {args.subscribers} subscr.", r["fanout"]),
            (
                f"request → last of {args.subscribers} subscr.",
                {**r["fanout"], "p50": r["fanout"]["req_p50"], "p99": r["fanout"]["req_p99"]},
            ),
        ]
        for label, m in rows:
            rate = f"{m['rps']:.0f}" if "rps" in m else "-"
            print(
                f"{backend:<9} {label:<34} {int(m['n']):>6} {rate:>8} "
                f"{m['p50']:>8.1f} {m['p99']:>8.1f}"
            )


if __name__ == "__main__":
    main()
