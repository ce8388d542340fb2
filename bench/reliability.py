"""Faults and load against real engines; prints one table per check (docs/reliability.md).

    python -m bench.reliability kill9   [--rounds 20] [--busy 3]
    python -m bench.reliability calls   [--calls 10000] [--counters 20] [--backends sqlite,postgres]
                                        [--allocator malloc|pymalloc]
    python -m bench.reliability streams [--outage 60] [--events 4000]
    python -m bench.reliability fuzz    [--examples 50]
    python -m bench.reliability all

Each check starts its own engine (``branchq serve``) on loopback, and PostgreSQL on a temp
folder when it needs one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.reliability.concurrency import issue_many, race
from tests.reliability.fuzz import fuzz
from tests.reliability.load import branch_file, crash_under_load
from tests.reliability.streams import display_outage, stalled_subscriber
from tests.reliability.workers import wait_for_workers
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN, LOBBY, RunningEngine
from tests.support.postgres import PostgresServer, start_postgres


def tree_cpu_s(pid: int) -> float:
    """User and system CPU seconds of a process and all its descendants so far (the workers
    of ``serve --workers N``; PostgreSQL's backends under its postmaster)."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        todo.extend(map(int, children))
    return total


def postmaster_pid(server: PostgresServer | None) -> int | None:
    if server is None:
        return None
    return int((server.data / "postmaster.pid").read_text().split()[0])


def table(title: str, rows: list[tuple[str, object]]) -> None:
    print(f"\n{title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


@contextmanager
def engine_on(backend: str, counters: int = 8, kiosk_rate: int = 30) -> Iterator[RunningEngine]:
    """An engine on ``sqlite``, ``postgres`` or ``postgres/N`` (``serve --workers N``)."""
    with engine_and_db(backend, counters, kiosk_rate) as (engine, _):
        yield engine


@contextmanager
def engine_and_db(
    backend: str, counters: int = 8, kiosk_rate: int = 30, allocator: str | None = None
) -> Iterator[tuple[RunningEngine, int | None]]:
    """``engine_on``'s engine, and the process id of its PostgreSQL (None on SQLite)."""
    folder = Path(tempfile.mkdtemp(prefix="branchq-bench-"))
    config = branch_file(folder, counters=counters, kiosk_per_minute=kiosk_rate)
    server: PostgresServer | None = None
    url = None
    name, _, workers = backend.partition("/")
    extra = ["--workers", workers] if workers else []
    if name == "postgres":
        server = start_postgres()
        url = server.create_database("bench")
    env = {"PYTHONMALLOC": allocator} if allocator else {}
    engine = RunningEngine(workdir=folder, config=config, db_url=url, extra_args=extra, env=env)
    engine.start(timeout=90)
    if workers:
        wait_for_workers(engine, int(workers))
    try:
        yield engine, postmaster_pid(server)
    finally:
        engine.stop()
        if server is not None:
            server.stop("immediate")


def kill9(args: argparse.Namespace) -> None:
    for backend in args.backends.split(","):
        with engine_on(backend, kiosk_rate=6000) as engine:
            r = crash_under_load(
                engine,
                rounds=args.rounds,
                busy_s=args.busy,
                kiosks=[KIOSK_TOKEN, "demo-kiosk-2", None],
                counters=[1, 2, 3, 4, 5, 6],
                display_token=DISPLAY_TOKEN,
            )
        caught_up = f"{r.follower_last_seq} / {r.engine_last_seq}"
        resumed = f"{r.issued_after_last_restart} / {r.calls_after_last_restart}"
        restart = f"{statistics.median(r.restart_s):.2f} / {max(r.restart_s):.2f}"
        table(
            f"kill -9 under load, {backend}: {r.rounds} rounds, {args.busy:g} s of load between",
            [
                ("tickets acknowledged", r.acknowledged),
                ("acknowledged but lost", len(r.lost)),
                ("numbers repeated", len(r.repeated_numbers)),
                ("seq gaps seen by the display", len(r.seq_gaps)),
                ("snapshots after the first", r.snapshots_after_start),
                ("tickets called twice", len(r.called_twice)),
                ("display caught up (its seq / engine's)", caught_up),
                ("display reconnections", r.reconnects),
                ("issued / called after last restart", resumed),
                ("restart to healthy, median / max s", restart),
            ],
        )


def calls(args: argparse.Namespace) -> None:
    for backend in args.backends.split(","):
        # Each engine on the allocator the systemd unit gives it (serve --workers N gives its
        # workers the same): comparing 1 worker on CPython's with 3 on the C library's was
        # comparing allocators too.
        with engine_and_db(backend, args.counters, allocator=args.allocator) as (engine, pg):
            t0 = time.perf_counter()
            issued = issue_many(engine, args.calls, threads=8)
            issue_s = time.perf_counter() - t0
            assert engine.proc is not None
            cpu0 = tree_cpu_s(engine.proc.pid), tree_cpu_s(pg) if pg else 0.0
            result = race(engine, list(range(1, args.counters + 1)), issued)
            cpu1 = tree_cpu_s(engine.proc.pid), tree_cpu_s(pg) if pg else 0.0
        cycles = max(result.calls, 1)
        engine_ms = (cpu1[0] - cpu0[0]) / cycles * 1e3
        db_ms = (cpu1[1] - cpu0[1]) / cycles * 1e3
        table(
            f"{args.counters} counters racing on call-next, {backend}",
            [
                ("tickets issued", f"{len(issued)} in {issue_s:.1f} s"),
                ("calls answered", result.calls),
                ("same ticket called twice", len(result.duplicates)),
                ("issued but never called", result.uncalled),
                ("call-next + finish cycles / s", f"{result.per_s:.0f}"),
                ("engine CPU per cycle, all workers (ms)", f"{engine_ms:.2f}"),
                ("PostgreSQL CPU per cycle (ms)", f"{db_ms:.2f}" if pg else "-"),
                ("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"),
                ("refusals", result.errors or "none"),
            ],
        )


def streams(args: argparse.Namespace) -> None:
    with engine_on("sqlite") as engine:
        outage = asyncio.run(display_outage(engine, seconds=args.outage, calls=30))
    seen = f"{len(outage.calls_made)} / {len(outage.calls_seen)}"
    table(
        f"a display's link down for {args.outage:g} s while 30 tickets are called",
        [
            ("display noticed it was offline", outage.offline_seen),
            ("calls made / seen by the display", seen),
            ("in the same order", outage.calls_seen == outage.calls_made),
            ("seq gaps", len(outage.seq_gaps)),
            ("snapshots (first connection only)", outage.snapshots),
            ("link back to all calls shown, s", f"{outage.catch_up_s:.2f}"),
        ],
    )
    with engine_on("sqlite") as engine:
        slow = asyncio.run(stalled_subscriber(engine, events=args.events, fast=5))
    lat = sorted(slow.fast_latency_ms)
    spread = f"{lat[len(lat) // 2]:.1f} / {lat[int(len(lat) * 0.99)]:.1f} / {lat[-1]:.1f}"
    table(
        f"one subscriber stops reading, 5 keep up, {args.events} announcements",
        [
            ("stalled stream ended by the engine", "yes" if slow.ended else "no"),
            ("close code it received (none: dropped)", slow.cut_code or "none"),
            ("frames it had received before", slow.stalled_received),
            ("events the others missed", slow.fast_missed),
            ("others' latency p50 / p99 / max ms", spread),
        ],
    )


def fuzz_api(args: argparse.Namespace) -> None:
    with engine_on("sqlite") as engine:
        tokens = {
            "lobby": engine.login(*LOBBY),
            "teller": engine.teller_token(3),
            "kiosk": KIOSK_TOKEN,
            "display": DISPLAY_TOKEN,
        }
        t0 = time.perf_counter()
        report = fuzz(engine.url, tokens, max_examples=args.examples)
        seconds = time.perf_counter() - t0
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(report.by_status.items()))
    table(
        f"schemathesis from /openapi.json, {args.examples} examples per operation and role",
        [
            ("operations", report.operations),
            ("requests", f"{report.requests} in {seconds:.0f} s"),
            ("by status", statuses),
            ("5xx answers", len(report.server_errors)),
            ("errors not in the error shape", len(report.bad_shapes)),
            ("answers not as the document says", len(report.nonconforming)),
        ],
    )
    for line in report.server_errors[:10] + report.bad_shapes[:10] + report.nonconforming[:10]:
        print(f"    {line}")


CHECKS: dict[str, Callable[[argparse.Namespace], None]] = {
    "kill9": kill9,
    "calls": calls,
    "streams": streams,
    "fuzz": fuzz_api,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__)
    parser.add_argument("check", choices=[*CHECKS, "all"])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--busy", type=float, default=3.0)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--allocator", choices=("malloc", "pymalloc"), default="malloc")
    parser.add_argument(
        "--backends", default="sqlite,postgres", help="sqlite, postgres, postgres/N (N workers)"
    )
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args(argv)
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}")
    for name, check in CHECKS.items():
        if args.check in (name, "all"):
            check(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
