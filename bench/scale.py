"""Scale: engine workers on PostgreSQL, and a head-office database fed by many branches.

    python -m bench.scale workers [--workers 1,2,4] [--seconds 10] [--subscribers 24]
    python -m bench.scale central [--branches 200] [--seconds 10] [--batches 1,50,500]

``workers``: for each worker count, a fresh ``branchq serve --workers N`` on a fresh PostgreSQL
database; requests/s for reads (GET /services) and writes (POST /tickets) from 32 concurrent
clients on new connections, then call-to-display latency: one call at a time, timed from the
call-next request to the moment the last of the subscribers (spread over the workers) has it.

``central``: the replication path of docs/scale.md. Simulated branches push their event log to
one central table (``INSERT … ON CONFLICT DO NOTHING`` on ``(branch, seq)``, so a resent batch
is harmless), one connection per uplink, in batches; prints the events/s the database takes.
The event body is a real ``ticket.called`` event taken from an engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets

from queue_core.client import EngineClient, events_url
from tests.reliability.load import last_seq
from tests.reliability.workers import fan_out, wait_for_workers
from tests.support.engine import DISPLAY_TOKEN, LOBBY, RunningEngine
from tests.support.postgres import PostgresServer, start_postgres

API = "/api/v1"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _throughput(url: str, seconds: float, write: bool, concurrency: int = 32) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        login = {"login": LOBBY[0], "pin": LOBBY[1]}
        token = (await http.post(f"{API}/auth/login", json=login)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_keepalive_connections=0)  # new connections: spread over workers

    async def client() -> None:
        nonlocal done
        async with httpx.AsyncClient(
            base_url=url, timeout=30, headers=headers, limits=limits
        ) as http:
            while time.perf_counter() < deadline:
                if write:
                    r = await http.post(f"{API}/tickets", json={"service": "ABCDV"[done % 5]})
                    ok = r.status_code == 201
                else:
                    r = await http.get(f"{API}/services")
                    ok = r.status_code == 200
                if ok:
                    done += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (time.perf_counter() - t0)


def workers(args: argparse.Namespace) -> None:
    server = start_postgres()
    rows = []
    try:
        for n in [int(w) for w in args.workers.split(",")]:
            folder = Path(tempfile.mkdtemp(prefix="branchq-scale-"))
            url = server.create_database(f"scale_{n}")
            extra = ["--workers", str(n), "--log-level", "warning"]
            engine = RunningEngine(workdir=folder, db_url=url, extra_args=extra)
            engine.start(timeout=90)
            try:
                ids = wait_for_workers(engine, n)  # every worker up, not just the first
                reads = asyncio.run(_throughput(engine.url, args.seconds, write=False))
                writes = asyncio.run(_throughput(engine.url, args.seconds, write=True))
                result = asyncio.run(fan_out(engine, ids, args.subscribers, args.calls))
            finally:
                engine.stop()
            ok = all(r == result.sent for r in result.received)
            spread = len([w for w, c in result.workers.items() if c > 0])
            lat = result.latency_ms
            rows.append((n, reads, writes, pct(lat, 50), pct(lat, 95), max(lat), spread, ok))
    finally:
        server.stop("immediate")
    print(
        f"\nserve --workers N on PostgreSQL: 32 clients for {args.seconds:g} s; "
        f"{args.subscribers} subscribers, {args.calls} calls"
    )
    print(
        f"{'workers':>7} {'reads/s':>8} {'writes/s':>9} {'call→all p50 ms':>16} "
        f"{'p95 ms':>7} {'max ms':>7} {'workers w/ subs':>15} {'all in order':>12}"
    )
    for n, reads, writes, p50, p95, mx, spread, ok in rows:
        print(
            f"{n:>7} {reads:>8.0f} {writes:>9.0f} {p50:>16.1f} {p95:>7.1f} {mx:>7.1f} "
            f"{spread:>15} {ok!s:>12}"
        )


CENTRAL_TABLE = """
CREATE TABLE IF NOT EXISTS branch_events (
    branch  text    NOT NULL,
    seq     bigint  NOT NULL,
    type    text    NOT NULL,
    at      double precision NOT NULL,
    data    jsonb   NOT NULL,
    PRIMARY KEY (branch, seq)
)
"""


def _sample_event() -> dict[str, Any]:
    """A real ticket.called event from an engine, as the branches would send it."""
    folder = Path(tempfile.mkdtemp(prefix="branchq-scale-"))
    engine = RunningEngine(workdir=folder).start()
    try:
        lobby = EngineClient(engine.url)
        lobby.login(*LOBBY)
        for service in "AAB":
            lobby.issue(service)
        lobby.counter_action(1, "open")
        lobby.call_next(1)
        head = last_seq(engine)

        async def read() -> dict[str, Any]:
            async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, head - 3)) as ws:
                while True:
                    event: dict[str, Any] = json.loads(await ws.recv())
                    if event["type"] == "ticket.called":
                        return event

        return asyncio.run(read())
    finally:
        engine.stop()


def _uplink(
    server: PostgresServer,
    branches: list[str],
    batch: int,
    deadline: float,
    body: str,
    counts: list[int],
    slot: int,
) -> None:
    seqs = dict.fromkeys(branches, 0)
    with psycopg.connect(
        host="127.0.0.1", port=server.port, user=server.user, dbname="central"
    ) as conn:
        while time.perf_counter() < deadline:
            for branch in branches:
                start = seqs[branch]
                rows = [
                    (branch, start + i + 1, "ticket.called", time.time(), body)
                    for i in range(batch)
                ]
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO branch_events (branch, seq, type, at, data) "
                        "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
                        rows,
                    )
                conn.commit()
                seqs[branch] = start + batch
                counts[slot] += batch
                if time.perf_counter() >= deadline:
                    break


def central(args: argparse.Namespace) -> None:
    event = _sample_event()
    body = json.dumps(event["data"], ensure_ascii=False)
    server = start_postgres()
    rows = []
    try:
        for batch in [int(b) for b in args.batches.split(",")]:
            with psycopg.connect(
                host="127.0.0.1",
                port=server.port,
                user=server.user,
                dbname="postgres",
                autocommit=True,
            ) as admin:
                admin.execute("DROP DATABASE IF EXISTS central")
                admin.execute("CREATE DATABASE central")
            with psycopg.connect(
                host="127.0.0.1", port=server.port, user=server.user, dbname="central"
            ) as conn:
                conn.execute(CENTRAL_TABLE)
                conn.commit()
            names = [f"{i:04d}" for i in range(args.branches)]
            uplinks = args.uplinks
            counts = [0] * uplinks
            deadline = time.perf_counter() + args.seconds
            threads = [
                threading.Thread(
                    target=_uplink,
                    args=(server, names[i::uplinks], batch, deadline, body, counts, i),
                )
                for i in range(uplinks)
            ]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rate = sum(counts) / (time.perf_counter() - t0)
            rows.append((batch, sum(counts), rate))
    finally:
        server.stop("immediate")
    print(
        f"\ncentral PostgreSQL fed by {args.branches} simulated branches over {args.uplinks} "
        f"connections, {args.seconds:g} s each; event body {len(body)} bytes (a real call)"
    )
    print(f"{'batch':>6} {'events':>9} {'events/s':>9}")
    for batch, total, rate in rows:
        print(f"{batch:>6} {total:>9} {rate:>9.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("check", choices=["workers", "central", "all"])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--subscribers", type=int, default=24)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--uplinks", type=int, default=8)
    parser.add_argument("--batches", default="1,50,500")
    args = parser.parse_args(argv)
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}")
    if args.check in ("workers", "all"):
        workers(args)
    if args.check in ("central", "all"):
        central(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
