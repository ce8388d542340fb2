"""The engine with its head-office uplink: call-next's latency and CPU, link up and down.

    python -m bench.uplink [--issues 1200] [--cycles 1000] [--rounds 2]

For each case a fresh engine (``branchq serve``, SQLite, the demo branch) gets ``--issues``
tickets, then its eight tellers loop call-next + finish (``bench.engine.bench_cycles``) while
the uplink does what the case says:

- ``no uplink``: the branch file has no ``[uplink]`` (the baseline);
- ``centre up``: the uplink sends every event through a leaf node to a live centre;
- ``WAN cut``: the leaf is up but its link to the centre is cut, so every send fails;
- ``no local NATS``: the branch's own NATS server is down.

The cases run in turn, ``--rounds`` times, so the machine's other load falls on all alike.
Printed: cycles/s, the call-next and finish requests' p50 and p99, engine CPU per cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from bench.engine import bench_cycles, bench_issue
from tests.support.central import (
    CentralProcess,
    SigningKey,
    WanLink,
    branch_toml,
    central_toml,
    signing_key,
)
from tests.support.engine import DEMO_CONFIG, RunningEngine
from tests.support.nats import Centre, leaf_for, start_centre
from tests.support.postgres import start_postgres

CASES = ("no uplink", "centre up", "WAN cut", "no local NATS")


def run_case(
    case: str, code: str, root: Path, centre: Centre, key: SigningKey, issues: int, cycles: int
) -> dict[str, float]:
    """One engine run; a branch code of its own, so the centre takes all of its events."""
    work = Path(tempfile.mkdtemp(prefix="branchq-uplink-", dir=root))
    wan = WanLink("127.0.0.1", centre.leaf_port)
    leaf = leaf_for(root / "nats", centre, code, via_port=wan.port)
    if case == "no uplink":
        config = DEMO_CONFIG
    elif case == "no local NATS":
        config = branch_toml(work, code, "nats://127.0.0.1:1", key.public)
    else:
        leaf.start()
        config = branch_toml(work, code, leaf.url, key.public)
        if case == "WAN cut":
            wan.cut()
    quiet = ["--no-access-log", "--log-level", "warning"]
    engine = RunningEngine(workdir=work, config=config, extra_args=quiet).start()
    try:
        assert engine.proc is not None
        asyncio.run(bench_issue(engine.url, engine.proc.pid, issues, 8))
        return asyncio.run(bench_cycles(engine.url, engine.proc.pid, cycles))
    finally:
        engine.stop()
        leaf.stop()
        wan.close()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.uplink", description=__doc__)
    parser.add_argument("--issues", type=int, default=1200)
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}")
    root = Path(tempfile.mkdtemp(prefix="branchq-uplink-bench-"))
    pg = start_postgres()
    codes = [f"R{r}C{c}" for r in range(args.rounds) for c in range(len(CASES))]
    centre = start_centre(root / "nats", codes)
    key = signing_key(root)
    config = central_toml(root, pg.create_database("central"), centre.url, key)
    consumer = CentralProcess("consume", config, root).start()
    results: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
    try:
        for r in range(args.rounds):
            for c, case in enumerate(CASES):
                row = run_case(case, f"R{r}C{c}", root, centre, key, args.issues, args.cycles)
                results[case].append(row)
    finally:
        consumer.stop()
        centre.server.stop()
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(pg.root, ignore_errors=True)
    print(f"\ncall-next + finish by 8 tellers on SQLite, {args.cycles} cycles after {args.issues} "
          f"tickets, {args.rounds} rounds (each request's p50/p99: the worst round's)")  # fmt: skip
    print(
        f"{'case':<15} {'cycles/s':>9} {'req p50 ms':>11} {'req p99 ms':>11} {'CPU ms/cycle':>13}"
    )
    for case, rows in results.items():
        rps = sum(r["rps"] for r in rows) / len(rows)
        p50 = max(r["req_p50"] for r in rows)
        p99 = max(r["req_p99"] for r in rows)
        cpu = sum(r["cpu_ms"] for r in rows) / len(rows)
        print(f"{case:<15} {rps:>9.0f} {p50:>11.1f} {p99:>11.1f} {cpu:>13.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
