"""Engine benchmark: issue and call-next+finish throughput and latency, call-to-subscriber
latency with 200 websocket subscribers, and the realistic morning (kiosks issuing while the
counters are open and 50 to 300 wait), on SQLite and on PostgreSQL.

    python -m bench.engine [--issues 3000] [--cycles 2000] [--subscribers 200] [--calls 200]
                           [--rounds 3] [--backends sqlite,postgres]

Each backend gets a fresh engine process (``branchq serve --no-access-log``, as deployed behind
nginx) on loopback. The HTTP load comes from ``bench.load``, a client cheap enough not to take
the engine's CPU on a small machine. Prints a table; the last column is the CPU the engine
process spent per operation (user and system, all its threads, from ``/proc``), which moves
less than the rates on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websockets

from bench.load import Connection
from queue_core.client import events_url
from tests.reliability.load import branch_file
from tests.support.engine import DISPLAY_TOKEN, LOBBY, TELLERS, RunningEngine
from tests.support.postgres import start_postgres

API = "/api/v1"
COUNTERS = [1, 2, 3, 4, 5, 6, 7, 8]
SERVICES = ["A", "B", "C", "D", "V"]
KIOSK_TOKENS = ["demo-kiosk-1", "demo-kiosk-2"]
#: The realistic hall: it grows from LOW to HIGH waiting while the kiosks issue.
LOW, HIGH = 50, 300
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has spent so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


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


async def bench_issue(url: str, pid: int, total: int, concurrency: int) -> dict[str, float]:
    host, port = _address(url)
    conns = [await Connection.open(host, port) for _ in range(concurrency)]
    token = await _login(conns[0], *LOBBY, None)
    requests = [
        conns[0].request_bytes("POST", f"{API}/tickets", token, {"service": s}) for s in SERVICES
    ]
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker(conn: Connection) -> None:
        for i in counter:
            t0 = time.perf_counter()
            r = await conn.send(requests[i % len(requests)])
            latencies.append(time.perf_counter() - t0)
            assert r.status == 201, r.body

    cpu, start = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed, cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu
    for c in conns:
        await c.close()
    return {
        "rps": total / elapsed,
        "p50": pct(latencies, 50) * 1e3,
        "p99": pct(latencies, 99) * 1e3,
        "n": total,
        "cpu_ms": cpu / total * 1e3,
    }


async def bench_cycles(url: str, pid: int, total: int) -> dict[str, float]:
    """Each counter's teller loops call-next then finish; one cycle is both requests."""
    host, port = _address(url)
    tokens: dict[int, str] = {}
    for n in COUNTERS:  # log in on a connection of its own: the engine closes one idle for 5 s
        conn = await Connection.open(host, port)
        tokens[n] = await _login(conn, *TELLERS[n], n)
        await conn.call("POST", f"{API}/counters/{n}/open", tokens[n])
        await conn.close()
    conns = {n: await Connection.open(host, port) for n in COUNTERS}
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

    cpu, start = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(teller(n) for n in COUNTERS))
    elapsed, cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu
    for c in conns.values():
        await c.close()
    return {
        "cpu_ms": cpu / len(latencies) * 1e3,
        "req_cpu_ms": cpu / len(requests) * 1e3,
        "rps": len(latencies) / elapsed,
        "p50": pct(latencies, 50) * 1e3,
        "p99": pct(latencies, 99) * 1e3,
        "n": len(latencies),
        "req_rps": len(requests) / elapsed,
        "req_p50": pct(requests, 50) * 1e3,
        "req_p99": pct(requests, 99) * 1e3,
    }


async def bench_realistic(url: str, pid: int, rounds: int, concurrency: int) -> dict[str, float]:
    """A busy morning as a branch sees it: every counter open and serving someone, kiosks
    issuing with an Idempotency-Key per press (so each ticket passes the kiosk's rate limit,
    stores its key and gets a routing forecast) while
    the hall grows from LOW to HIGH waiting. Between rounds the lobby cancels what was issued,
    unmeasured, so each round starts again from LOW."""
    host, port = _address(url)
    lobby_conn = await Connection.open(host, port)
    lobby = await _login(lobby_conn, *LOBBY, None)
    for n in COUNTERS:
        token = await _login(lobby_conn, *TELLERS[n], n)
        await lobby_conn.call("POST", f"{API}/counters/{n}/open", token)
    for i in range(LOW + 3 * len(COUNTERS)):
        body = {"service": SERVICES[i % len(SERVICES)]}
        assert (await lobby_conn.call("POST", f"{API}/tickets", lobby, body)).status == 201
    for n in COUNTERS:  # each counter has a customer at the desk
        assert (await lobby_conn.call("POST", f"{API}/counters/{n}/call-next", lobby)).status == 200
    waiting = (await lobby_conn.call("GET", f"{API}/queue", lobby)).json()["services"]
    extra = sum(len(s["waiting"]) for s in waiting) - LOW
    for s in waiting:  # back to exactly LOW waiting
        for t in s["waiting"][: max(0, min(extra, len(s["waiting"])))]:
            await lobby_conn.call("POST", f"{API}/tickets/{t['id']}/cancel", lobby)
            extra -= 1
    await lobby_conn.close()
    latencies: list[float] = []
    cpu = elapsed = 0.0

    async def kiosk(i: int, conn: Connection, todo: Iterator[int], issued: list[str]) -> None:
        token = KIOSK_TOKENS[i % len(KIOSK_TOKENS)]
        for k in todo:
            # As the kiosk does: every press carries its own Idempotency-Key.
            key = {"Idempotency-Key": f"bench-{time.monotonic_ns()}-{i}-{k}"}
            body = {"service": SERVICES[k % len(SERVICES)]}
            request = conn.request_bytes("POST", f"{API}/tickets", token, body, key)
            t0 = time.perf_counter()
            r = await conn.send(request)
            latencies.append(time.perf_counter() - t0)
            assert r.status == 201, r.body
            issued.append(r.json()["id"])

    for _ in range(rounds):
        # Fresh connections each round: the engine closes one left idle for 5 s (keep-alive).
        conns = [await Connection.open(host, port) for _ in range(concurrency)]
        issued: list[str] = []
        todo = iter(range(HIGH - LOW))
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(kiosk(i, c, todo, issued) for i, c in enumerate(conns)))
        elapsed += time.perf_counter() - t0
        cpu += cpu_seconds(pid) - cpu0
        for c in conns:
            await c.close()
        drain = await Connection.open(host, port)
        for ident in issued:
            await drain.call("POST", f"{API}/tickets/{ident}/cancel", lobby)
        await drain.close()
    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(latencies, 50) * 1e3,
        "p99": pct(latencies, 99) * 1e3,
        "n": len(latencies),
        "cpu_ms": cpu / len(latencies) * 1e3,
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
    db_urls: tuple[str | None, str | None], workdir: Path, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """The three measures on one engine, then the realistic case on a second one (each on its
    own database: the default SQLite file of its folder when the URL is None)."""
    db_url, real_db = db_urls
    engine = RunningEngine(workdir=workdir, db_url=db_url, extra_args=["--no-access-log"]).start()
    assert engine.proc is not None
    pid = engine.proc.pid
    try:
        issue = asyncio.run(bench_issue(engine.url, pid, args.issues, args.concurrency))
        cycles = asyncio.run(bench_cycles(engine.url, pid, args.cycles))
        fanout = asyncio.run(bench_fanout(engine.url, args.subscribers, args.calls))
    finally:
        engine.stop()
    # The realistic case on an engine of its own: the kiosks' rate limit raised so that eight
    # clients on two kiosk tokens are not refused, and a database without the hall above.
    real_dir = workdir / "realistic"
    real_dir.mkdir()
    engine = RunningEngine(
        workdir=real_dir,
        config=branch_file(real_dir, kiosk_per_minute=6_000_000),
        db_url=real_db,
        extra_args=["--no-access-log"],
    ).start()
    assert engine.proc is not None
    try:
        realistic = asyncio.run(
            bench_realistic(engine.url, engine.proc.pid, args.rounds, args.concurrency)
        )
    finally:
        engine.stop()
    return {"issue": issue, "cycle": cycles, "fanout": fanout, "realistic": realistic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=3000)
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="realistic case: hall refills")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for backend in args.backends.split(","):
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
        if backend == "sqlite":
            results[backend] = run_backend((None, None), workdir, args)
        else:
            server = start_postgres()
            try:
                urls = (server.create_database("bench"), server.create_database("realistic"))
                results[backend] = run_backend(urls, workdir, args)
            finally:
                server.stop("immediate")
    print(
        f"\nBranchQ engine benchmark — {platform.node() and 'this machine'}: "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"{'backend':<9} {'measure':<36} {'n':>6} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/op':>9}"
    )
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
                    "cpu_ms": r["cycle"]["req_cpu_ms"],
                },
            ),
            (f"realistic issue (kiosks, {LOW}–{HIGH} wait)", r["realistic"]),
            (f"answer → last of {args.subscribers} subscr.", r["fanout"]),
            (
                f"request → last of {args.subscribers} subscr.",
                {**r["fanout"], "p50": r["fanout"]["req_p50"], "p99": r["fanout"]["req_p99"]},
            ),
        ]
        for label, m in rows:
            rate = f"{m['rps']:.0f}" if "rps" in m else "-"
            cpu = f"{m['cpu_ms']:.2f}" if "cpu_ms" in m else "-"
            print(
                f"{backend:<9} {label:<36} {int(m['n']):>6} {rate:>8} "
                f"{m['p50']:>8.1f} {m['p99']:>8.1f} {cpu:>9}"
            )


if __name__ == "__main__":
    main()
