"""The head office at scale: many branches through their leaf nodes into one centre.

    python -m bench.central [--branches 200] [--cut 20] [--minutes 60] [--live-minutes 10]
                            [--generators 2]

Every branch is the real engine (``queue_core.usecases.Branch`` on its own SQLite
store, the demo branch's counters and services) playing the pension-day scenario from opening
(``queue_core.sim``: its arrivals, service times, no-shows) on a clock of its own that runs as
fast as the machine allows, side by side; ``--generators`` processes share the branches. The
``--cut`` branches play ``--minutes`` (an hour), the others ``--live-minutes``: what this
2-core machine, shared, can generate in a few minutes. Its
uplink (``queue_core.central.uplink``, all in this process) reads the store's event log and
sends it through the branch's own ``nats-server`` leaf node to the centre: one NATS server with
JetStream, ``branchq central consume`` into PostgreSQL and ``branchq central console``.

While the branches play: ``--cut`` of them have their WAN link cut for the whole play (an
hour of pension-day traffic piles up in their logs) and are reconnected at the end; the
consumer, one leaf and the centre's NATS server are each killed with SIGKILL and restarted;
a client asks the console for every branch, again and again. Then every branch's events are
counted at the centre (none lost, none twice) and its figures compared with what its own
``GET /stats/daily`` answers (the endpoint function itself, on the branch's store).

Printed: events/s into the centre, catch-up time of the cut-off branches, console answer time,
CPU and memory of the centre's processes per branch, and a projection to 2 000 branches.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import logging
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.scale import pct

API = "/api/central/v1"
SCENARIO = "pension_day"


# ---------------------------------------------------------------------- the branches' play
class BranchClient:
    """The engine client's calls the live player makes, answered by the branch's service in
    this process: what the v1 API's endpoints do, without HTTP."""

    def __init__(self, branch: Any, teller: str | None) -> None:
        self.branch, self.teller = branch, teller

    def _run(self, command: Any) -> Any:
        from queue_core.api.errors import status_of
        from queue_core.client import EngineError
        from queue_core.domain.errors import DomainError

        try:
            return self.branch.execute_sync(command).body
        except DomainError as exc:
            raise EngineError(status_of(exc), exc.code, exc.message) from exc

    def issue(self, service: str, tier: str | None = None, green_channel: bool | None = None,
              card: str | None = None, idempotency_key: str | None = None) -> Any:  # fmt: skip
        from queue_core.usecases.tickets import IssueTicket

        return self._run(IssueTicket("bench", service, tier, bool(green_channel), card,
                                     idempotency_key))  # fmt: skip

    def call_next(self, number: int) -> Any:
        from queue_core.usecases.counters import CallNext

        return self._run(CallNext(number, self.teller))

    def counter_action(self, number: int, action: str, body: dict[str, Any] | None = None) -> Any:
        from queue_core.usecases import counters as uc

        body = body or {}
        if action in ("open", "close", "pause", "resume"):
            return self._run(uc.MoveCounter(number, action, self.teller))  # type: ignore[arg-type]
        if action == "finish":
            return self._run(uc.Finish(number, rating=body.get("rating")))
        moves = {"recall": uc.Recall, "start": uc.Start, "skip": uc.Skip}
        return self._run(moves[action](number))


def branch_text(code: str, nats_url: str = "nats://127.0.0.1:1", verify_key: str = "0" * 64) -> str:
    from tests.support.engine import DEMO_CONFIG

    text = DEMO_CONFIG.read_text("utf-8").replace('code = "0101"', f'code = "{code}"', 1)
    text = text.replace('name = "城东支行"', f'name = "网点{code}"', 1)
    return text + scenario_counters(text) + (
        f'\n[uplink]\nnats_url = "{nats_url}"\nverify_key = "{verify_key}"\n'
        'poll_s = 0.3\nstatus_s = 3.0\nbatch = 500\n')  # fmt: skip


def scenario_counters(text: str) -> str:
    """The scenario's counters the demo branch lacks (the pension day's flexible windows), as
    the branch file's tables: the branch staffs what the scenario plans."""
    import tomllib

    from queue_core.sim.live import counter_tables, missing_counters
    from queue_core.sim.scenario import load

    have = [c["number"] for c in tomllib.loads(text)["counters"]]
    return counter_tables(missing_counters(load(SCENARIO), have)) + "\n"


def advance(player: Any, sim: dict[str, float], until: float) -> None:
    """Play one branch's day up to ``until`` (seconds after opening) on its own clock: the
    live player's events in time order, each at its time (``LivePlayer.run`` without the
    waiting), so that many branches can play side by side."""
    while player.events and player.events[0][0] <= until:
        at, _, kind, data = heapq.heappop(player.events)
        sim["t"] = max(sim["t"], at)
        if kind == "arrival":
            player.arrive(data)
        else:
            player.free(player.counters[data], at)


def play(
    index: int,
    codes: list[str],
    root: str,
    minutes: dict[str, float],
    seed: int,
    ready: Any,
    out: Any,
) -> None:
    """A generator process: its branches play the scenario's first minutes side by side, a
    minute at a time, then serve who is left and close their counters; each branch's own
    daily figures are sent back."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from queue_core.access import Principal
    from queue_core.api.lobby import daily
    from queue_core.config import parse_config
    from queue_core.sim.live import LivePlayer
    from queue_core.sim.model import customers
    from queue_core.sim.scenario import load
    from queue_core.store import Store
    from queue_core.usecases import Branch
    from tests.support.engine import TELLERS

    scenario = load(SCENARIO)
    # Played today (in the branch's time zone), so the console's "today" is the played day.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    opening = datetime.fromisoformat(f"{today}T{scenario.opening}:00+08:00").timestamp()
    players = {}
    for n, code in enumerate(codes):
        store = Store(f"sqlite:///{root}/{code}.db")
        sim = {"t": 0.0}
        branch = Branch(parse_config(branch_text(code)), store, b"k" * 32,
                        clock=lambda s=sim: opening + s["t"])  # fmt: skip
        people = [p for p in customers(scenario, random.Random(seed + n))
                  if p.arrival < minutes[code] * 60]  # fmt: skip
        tellers = {c.number: BranchClient(branch, TELLERS.get(c.number, (f"t{c.number:02d}",))[0])
                   for c in branch.config.counters}  # fmt: skip
        player = LivePlayer(scenario, people, [BranchClient(branch, None)],
                            BranchClient(branch, "lobby"), tellers, speed=1.0, seed=seed + n,
                            max_requests=10**7, clock=lambda s=sim: s["t"])  # fmt: skip
        for counter in player.counters.values():
            player.open(counter)
        for person in people:
            player.push(person.arrival, "arrival", person)
        players[code] = (player, sim, store, branch, tellers)
    ready.put(len(codes))
    minute = 0
    while any(p.events for p, *_ in players.values()):
        minute += 1
        for player, clock, *_ in players.values():
            advance(player, clock, minute * 60.0)
        out.put({"generator": index, "progress": min(1.0, minute / max(minutes.values()))})
    lobby = Principal("staff", "lobby", "lobby")
    for code, (_, _, store, branch, tellers) in players.items():
        for number, client in tellers.items():  # the day ends: serve who is left, close
            while client.call_next(number) is not None:
                client.counter_action(number, "finish")
            client.counter_action(number, "close")
        out.put({"code": code, "last": store.last_seq(), "figures": daily(lobby, branch, None)})
    for _, _, store, branch, _ in players.values():
        branch.stop()
        store.dispose()


# ---------------------------------------------------------------------- measuring
@dataclass
class Probe:
    """A console user asking for every branch, again and again (one request at a time)."""

    url: str
    token: str
    times_ms: list[float] = field(default_factory=list)
    refresh_s: list[float] = field(default_factory=list)
    errors: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30,
                          headers={"Authorization": f"Bearer {self.token}"}) as http:  # fmt: skip
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    answer = http.get(f"{API}/branches")
                    ok = answer.is_success
                    if ok and answer.json().get("refresh_s") is not None:
                        self.refresh_s.append(float(answer.json()["refresh_s"]))
                except httpx.TransportError:
                    ok = False
                self.times_ms.append((time.perf_counter() - started) * 1000)
                self.errors += 0 if ok else 1
                self.stop.wait(0.2)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _proc_pid(process: Any) -> int:
    """The Python process under a test helper (CentralProcess / NatsServer)."""
    return int(process.proc.pid)


class Cables:
    """The cut-off branches' WAN links: TCP relays on one event loop of their own."""

    def __init__(self, port: int, count: int) -> None:
        from tests.reliability.proxy import Cable

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.cables = [Cable("127.0.0.1", port) for _ in range(count)]
        for cable in self.cables:
            asyncio.run_coroutine_threadsafe(cable.start(), self.loop).result(10)

    def cut(self) -> None:
        for cable in self.cables:
            self.loop.call_soon_threadsafe(cable.cut)

    def restore(self) -> None:
        for cable in self.cables:
            self.loop.call_soon_threadsafe(cable.restore)


async def run_uplinks(codes: list[str], root: Path, leaves: dict[str, Any], stop: asyncio.Event,
                      verify_key: str) -> None:  # fmt: skip
    from queue_core.central.uplink import Uplink
    from queue_core.config import parse_config
    from queue_core.store import Store

    uplinks = []
    for code in codes:
        config = parse_config(branch_text(code, leaves[code].url, verify_key))
        store = Store(f"sqlite:///{root}/{code}.db", migrate=False)
        uplinks.append((Uplink(config, store), store))
    for uplink, _ in uplinks:
        await uplink.start()
    await stop.wait()
    for uplink, store in uplinks:
        await uplink.stop()
        store.dispose()


def applied(db_url: str) -> dict[str, int]:
    from tests.support.central import query

    return {str(c): int(a) for c, a in query(db_url, "SELECT code, applied_seq FROM branches")}


# ---------------------------------------------------------------------- the run
class Meter:
    """CPU seconds of the centre's processes, across their kill -9 and restarts."""

    def __init__(self, processes: dict[str, Any]) -> None:
        self.processes = processes
        self.spent = dict.fromkeys(processes, 0.0)
        self.start = {name: cpu_s(_proc_pid(p)) for name, p in processes.items()}

    def before_kill(self, name: str) -> None:
        self.spent[name] += cpu_s(_proc_pid(self.processes[name])) - self.start[name]

    def after_start(self, name: str) -> None:
        self.start[name] = cpu_s(_proc_pid(self.processes[name]))

    def total(self, name: str) -> float:
        return self.spent[name] + cpu_s(_proc_pid(self.processes[name])) - self.start[name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.central", description=__doc__)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--cut", type=int, default=20, help="branches cut off for the play")
    parser.add_argument("--minutes", type=float, default=60, help="played by the cut-off")
    parser.add_argument("--live-minutes", type=float, default=10, help="played by the others")
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from queue_core.central.db import CentralDB
    from queue_core.central.reports import BranchClock, day_figures
    from tests.support.central import CentralProcess, central_toml, query, signing_key
    from tests.support.engine import free_port
    from tests.support.nats import leaf_for, start_centre
    from tests.support.postgres import start_postgres

    logging.getLogger("queue_core").setLevel(logging.ERROR)  # the uplinks' link reports
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}")
    codes = [f"B{i:04d}" for i in range(args.branches)]
    cut = codes[: args.cut]
    root = Path(tempfile.mkdtemp(prefix="branchq-central-bench-"))
    stores = root / "stores"
    stores.mkdir()
    pg = start_postgres()
    processes: list[Any] = []
    try:
        db_url = pg.create_database("central")
        t0 = time.perf_counter()
        centre = start_centre(root / "nats", codes)
        key = signing_key(root)
        config = central_toml(root, db_url, centre.url, key, {})
        consumer = CentralProcess("consume", config, root).start()
        port = free_port()
        console = CentralProcess("console", config, root, ("--port", str(port))).start()
        processes += [consumer, console]
        cables = Cables(centre.leaf_port, len(cut))
        leaves = {}
        for i, code in enumerate(codes):
            via = cables.cables[i].port if i < len(cut) else None
            leaves[code] = leaf_for(root / "nats", centre, code, via).start()
        processes += list(leaves.values())
        print(f"set-up: PostgreSQL, the centre, {len(codes)} leaf nodes in "
              f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        cables.cut()

        plays = {c: args.minutes if c in cut else args.live_minutes for c in codes}
        ctx = multiprocessing.get_context("spawn")
        ready, out = ctx.Queue(), ctx.Queue()
        shares = [codes[i :: args.generators] for i in range(args.generators)]
        generators = [
            ctx.Process(target=play, args=(i, share, str(stores), plays, args.seed, ready, out))
            for i, share in enumerate(shares)
        ]
        for g in generators:
            g.start()
        for _ in generators:
            ready.get(timeout=600)

        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        feeding = run_uplinks(codes, stores, leaves, stop, key.public)
        uplinks = threading.Thread(target=loop.run_until_complete, args=(feeding,), daemon=True)
        uplinks.start()
        meter = Meter({"consumer": consumer, "console": console, "centre NATS": centre.server})
        console_rss0 = rss_mb(_proc_pid(console))
        size0 = query(db_url, "SELECT pg_database_size('central')")[0][0]
        token = httpx.post(
            f"http://127.0.0.1:{port}{API}/login",
            timeout=30,
            json={"login": "hq-viewer", "password": "viewer-password-1"},
        ).json()["token"]
        probe = Probe(f"http://127.0.0.1:{port}", token)
        threading.Thread(target=probe.run, daemon=True).start()

        played_at = time.perf_counter()
        results: dict[str, tuple[int, dict[str, Any]]] = {}
        kills = [(0.25, "consumer"), (0.5, "leaf"), (0.75, "centre NATS")]
        progress = dict.fromkeys(range(args.generators), 0.0)
        done = 0.0
        while len(results) < len(codes):
            with contextlib.suppress(Exception):
                message = out.get(timeout=1)
                if "progress" in message:
                    progress[message["generator"]] = message["progress"]
                    done = min(progress.values())
                else:
                    results[message["code"]] = (message["last"], message["figures"])
            while kills and done >= kills[0][0]:
                _, what = kills.pop(0)
                victim = {"consumer": consumer, "leaf": leaves[codes[-1]],
                          "centre NATS": centre.server}[what]  # fmt: skip
                if what in meter.processes:
                    meter.before_kill(what)
                victim.stop(kill=True)
                time.sleep(2)  # down for a moment: the others notice
                victim.start()
                if what in meter.processes:
                    meter.after_start(what)
                print(f"  kill -9 of the {what} at {done:.0%} of the play, restarted")
        played_s = time.perf_counter() - played_at
        total = sum(last for last, _ in results.values())
        print(f"played: {total} events by {len(codes)} branches in {played_s:.0f} s")

        def live_done() -> bool:
            have = applied(db_url)
            return all(have.get(c, 0) == results[c][0] for c in codes if c not in cut)

        while not live_done():
            time.sleep(0.5)
        live_s = time.perf_counter() - played_at
        cut_events = sum(results[c][0] for c in cut)
        restored = time.perf_counter()
        cables.restore()
        caught: dict[str, float] = {}
        while len(caught) < len(cut):
            have = applied(db_url)
            for c in cut:
                if c not in caught and have.get(c, 0) == results[c][0]:
                    caught[c] = time.perf_counter() - restored
            time.sleep(0.2)
        catch_s = max(caught.values())
        probe.stop.set()
        consumer_cpu = meter.total("consumer")
        console_cpu = meter.total("console")
        nats_cpu = meter.total("centre NATS")

        # Check: every event once, the branch's own figures.
        lost = dup = mismatched = 0
        counts = {str(b): (int(n), int(d), int(m)) for b, n, d, m in query(
            db_url, "SELECT branch, count(*), count(DISTINCT seq), max(seq) FROM branch_events "
            "GROUP BY branch")}  # fmt: skip

        async def compare() -> int:
            db = await CentralDB.connect(db_url)
            bad = 0
            try:
                rows = {r["code"]: r for r in await db.branch_rows()}
                for code, (_, figures) in results.items():
                    theirs = await day_figures(db, BranchClock.of(rows[code]), figures["date"])
                    bad += theirs != figures
            finally:
                await db.close()
            return bad

        for code, (last, _) in results.items():
            n, distinct, _ = counts.get(code, (0, 0, 0))
            lost += last - distinct
            dup += n - distinct
        mismatched = asyncio.run(compare())
        per_event_ms = consumer_cpu / max(1, total) * 1000
        size = query(db_url, "SELECT pg_database_size('central')")[0][0]
        console_rss = rss_mb(_proc_pid(console))
        asked = probe.times_ms
        print(f"\ncentre fed by {len(codes)} branches ({len(cut)} cut off for the play), "
              f"the pension day from opening: {args.minutes:g} minutes the cut-off, "
              f"{args.live_minutes:g} the others")  # fmt: skip
        rows = [
            ("events stored", f"{total}"),
            ("lost / duplicated / branches whose figures differ", f"{lost} / {dup} / {mismatched}"),
            (
                "events/s into the centre while the branches played (all but the cut-off)",
                f"{sum(results[c][0] for c in codes if c not in cut) / live_s:.0f}",
            ),
            (
                f"catch-up of the {len(cut)} cut-off branches ({cut_events} events), all at once",
                f"{catch_s:.1f} s ({cut_events / catch_s:.0f} events/s)",
            ),
            (
                "catch-up of one cut-off branch: median / slowest",
                f"{statistics.median(caught.values()):.1f} s / {catch_s:.1f} s",
            ),
            (
                f"console GET /branches ({len(codes)} branches): requests, p50, p99 ms",
                f"{len(asked)}, {pct(asked, 50):.0f}, {pct(asked, 99):.0f} (errors {probe.errors})",
            ),
            (
                "console's refresh of every branch (each 2 s): median / slowest",
                f"{statistics.median(probe.refresh_s or [0]):.2f} s / "
                f"{max(probe.refresh_s or [0]):.2f} s",
            ),
            ("consumer CPU per event (its status answers included)", f"{per_event_ms:.2f} ms"),
            ("centre NATS CPU per event", f"{nats_cpu / max(1, total) * 1000:.2f} ms"),
            ("console CPU over the run, per branch", f"{console_cpu / len(codes) * 1000:.0f} ms"),
            (
                "console memory per branch (its played tickets), above the idle process",
                f"{(console_rss - console_rss0) / len(codes):.2f} MB ({console_rss:.0f} MB in all)",
            ),
            (
                "centre NATS memory per branch",
                f"{rss_mb(_proc_pid(centre.server)) / len(codes):.2f} MB",
            ),
            (
                "database per branch-hour of play",
                f"{(size - size0) / (sum(plays.values()) / 60) / 1e6:.2f} MB",
            ),
        ]
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        stop_loop = asyncio.run_coroutine_threadsafe(_set(stop), loop)
        stop_loop.result(30)
        uplinks.join(30)
        for g in generators:
            g.join(30)
        return 0 if lost == dup == mismatched == 0 else 1
    finally:
        for process in processes:
            with contextlib.suppress(Exception):
                process.stop()
        with contextlib.suppress(Exception):
            centre.server.stop()
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(pg.root, ignore_errors=True)


async def _set(event: asyncio.Event) -> None:
    event.set()


if __name__ == "__main__":
    raise SystemExit(main())
