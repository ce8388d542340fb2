"""Phone page benchmark: what a customer's phone sees, and what 500 of them cost the engine.

    python -m bench.phone [--runs 20] [--pages 500] [--calls 200] [--cycle-s 2,0.2]

- page load at a phone's size (360×740, 2× pixels) in Debian's Chromium, fresh context each
  run: navigation → load event, and → "usable" (the number, the people ahead and a live link).
- call → page update: a teller calls the ticket a page follows; from the teller's client
  receiving the engine's answer to the page's headline changing (MutationObserver; one clock).
- 500 pages open: ``--pages`` server-sent event streams (each following its own waiting
  ticket from the front of the queue, held by another process like phones would be) while
  the four tellers of the counters serving that queue each press call-next once per cycle and
  finish half a cycle later, on a schedule that does not wait for the answers. A cash
  transaction takes 2-3 minutes, so these four counters call every 40 s or so at their
  busiest: a 2 s cycle is that peak 75 times over, 0.2 s what the machine can carry at all.
  Call-next latency with and without the streams (p50, p99; the target is a p99 under
  25 ms), from each call's answer to the called customer's page getting "called", and the
  engine's CPU per call (from /proc).
Each part starts its own engine (``branchq serve --no-access-log``) on SQLite in a temp folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect, sync_playwright

from bench.engine import API, _address, _login, pct
from bench.load import Answer, Connection, paced_counter
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.engine import LOBBY, TELLERS, RunningEngine

PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
#: The demo branch's counters that serve personal cash (A): every call there moves every A
#: ticket up by one, so each call changes the state of every page that follows one.
COUNTERS = [1, 2, 3, 7]
WATCH = """() => {
  window.changed = [];
  new MutationObserver(() => {
    window.changed.push({text: document.querySelector('#headline').textContent,
                         at: performance.timeOrigin + performance.now()});
  }).observe(document.querySelector('#headline'), {childList: true, characterData: true,
                                                   subtree: true});
}"""


def engine_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (and its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _lobby(engine: RunningEngine) -> httpx.Client:
    token = engine.login(*LOBBY)
    return httpx.Client(
        base_url=f"{engine.url}{API}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


# ---------------------------------------------------------------- in the browser
def browser_part(runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = RunningEngine(workdir=Path(tmp), extra_args=["--no-access-log"]).start()
        try:
            with _lobby(engine) as lobby:
                lobby.post("/counters/3/open")
                ids = [
                    lobby.post("/tickets", json={"service": "A"}).json()["id"]
                    for _ in range(2 * runs + 2)
                ]
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                    )
                    load, usable = [], []
                    for i in range(runs):
                        ctx = browser.new_context(**PHONE)
                        page = ctx.new_page()
                        start = time.perf_counter()
                        page.goto(f"{engine.url}/t/{ids[-1 - i]}", wait_until="load")
                        expect(page.locator("#headline")).to_contain_text("您前面还有")
                        expect(page.locator("#link")).to_have_class("link up")
                        usable.append((time.perf_counter() - start) * 1000)
                        load.append(
                            float(
                                page.evaluate(
                                    "performance.getEntriesByType('navigation')[0].loadEventEnd"
                                )
                            )
                        )
                        ctx.close()
                    update = []
                    ctx = browser.new_context(**PHONE)
                    for i in range(runs):
                        page = ctx.new_page()
                        page.goto(f"{engine.url}/t/{ids[i]}")
                        expect(page.locator("#number")).not_to_be_empty()
                        expect(page.locator("#link")).to_have_class("link up")
                        page.evaluate(WATCH)
                        answer = lobby.post("/counters/3/call-next")
                        answered = time.time() * 1000
                        assert answer.json()["id"] == ids[i], "the page's ticket was called"
                        expect(page.locator("#headline")).to_have_text("请到 3号窗口")
                        shown = page.evaluate(
                            "() => window.changed.find(c => c.text.startsWith('请到')).at"
                        )
                        update.append(shown - answered)
                        lobby.post("/counters/3/finish", json={})
                        page.close()
                    browser.close()
        finally:
            engine.stop()
    return {"load": load, "usable": usable, "update": update}


# ---------------------------------------------------------------- 500 phones
def _streams_process(url: str, ids: list[str], conn: Pipe) -> None:
    """Hold one event stream per ticket id; note when each stream got each state change."""

    async def main() -> None:
        got: dict[str, list[tuple[float, int | None, str]]] = {i: [] for i in ids}
        opened = [0]
        ready = asyncio.Event()
        limits = httpx.Limits(max_connections=len(ids) + 10)
        async with httpx.AsyncClient(timeout=None, limits=limits) as http:

            async def follow(ident: str) -> None:
                async with http.stream("GET", f"{url}{API}/tickets/{ident}/public/events") as r:
                    assert r.status_code == 200, r.status_code
                    async for line in r.aiter_lines():
                        if line.startswith("data:"):
                            state = json.loads(line[5:])
                            got[ident].append(
                                (time.perf_counter(), state["ahead"], state["status"])
                            )
                            if len(got[ident]) == 1:
                                opened[0] += 1
                                if opened[0] == len(ids):
                                    ready.set()

            tasks = [asyncio.create_task(follow(i)) for i in ids]
            await asyncio.wait_for(ready.wait(), 120)
            conn.send("ready")
            await asyncio.to_thread(conn.recv)  # "done"
            await asyncio.sleep(1.0)
            conn.send(got)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


async def _tellers(
    url: str, calls: int, cycle_s: float
) -> tuple[list[float], list[tuple[float, str]]]:
    """Each teller presses call-next once per ``cycle_s`` and finish half a cycle later, on a
    schedule that does not wait for the engine's answers, until ``calls`` calls are made;
    returns each call-next's latency, and when each call's answer came and whom it called."""
    host, port = _address(url)
    conns = {n: await Connection.open(host, port) for n in COUNTERS}
    tokens = {n: await _login(conns[n], *TELLERS[n], n) for n in COUNTERS}
    for n in COUNTERS:
        await conns[n].call("POST", f"{API}/counters/{n}/open", tokens[n])
    latencies: list[float] = []
    answered: list[tuple[float, str]] = []
    remaining = [calls]
    start = asyncio.get_running_loop().time() + 0.1

    def on_answer(r: Answer, latency: float, at: float) -> None:
        latencies.append(latency)
        answered.append((at, str(r.json()["id"])))

    async def teller(i: int, n: int) -> None:
        conn = conns[n]
        await paced_counter(
            conn,
            conn.request_bytes("POST", f"{API}/counters/{n}/call-next", tokens[n]),
            conn.request_bytes("POST", f"{API}/counters/{n}/finish", tokens[n], {}),
            start + cycle_s * i / len(COUNTERS),  # the counters out of step, as in a hall
            cycle_s,
            remaining,
            on_answer,
        )

    await asyncio.gather(*(teller(i, n) for i, n in enumerate(COUNTERS)))
    for n in COUNTERS:
        await conns[n].call("POST", f"{API}/counters/{n}/close", tokens[n])
        await conns[n].close()
    return latencies, answered


def streams_part(pages: int, calls: int, cycle_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, with_pages in (("without pages", False), (f"with {pages} pages", True)):
        with tempfile.TemporaryDirectory() as tmp:
            engine = RunningEngine(workdir=Path(tmp), extra_args=["--no-access-log"]).start()
            assert engine.proc is not None
            try:
                with _lobby(engine) as lobby:
                    # Enough customers for every call; the pages follow the front of the
                    # queue, so the customers called are among those whose phones watch.
                    ids = [
                        lobby.post("/tickets", json={"service": "A"}).json()["id"]
                        for _ in range(max(calls, pages) + 10)
                    ]
                proc = None
                if with_pages:
                    here, there = multiprocessing.Pipe()
                    proc = multiprocessing.Process(
                        target=_streams_process, args=(engine.url, ids[:pages], there)
                    )
                    proc.start()
                    assert here.recv() == "ready"
                cpu0 = engine_cpu(engine.proc.pid)
                t0 = time.perf_counter()
                latencies, answered = asyncio.run(_tellers(engine.url, calls, cycle_s))
                elapsed = time.perf_counter() - t0
                cpu = engine_cpu(engine.proc.pid) - cpu0
                result: dict[str, Any] = {
                    "n": len(latencies),
                    "rate": len(latencies) / elapsed,
                    "p50": pct(latencies, 50) * 1e3,
                    "p99": pct(latencies, 99) * 1e3,
                    "cpu_ms_per_call": cpu / max(1, len(latencies)) * 1e3,
                }
                if proc is not None:
                    here.send("done")
                    got = here.recv()
                    proc.join(10)
                    result["updates"] = sum(len(v) - 1 for v in got.values())
                    # For each call of a ticket a page follows: from the teller's answer to
                    # that page's first state saying "called" (both clocks are the
                    # machine's monotonic one).
                    lags = [
                        min(g[0] for g in got[ident] if g[2] == "called") - t
                        for t, ident in answered
                        if ident in got and any(g[2] == "called" for g in got[ident])
                    ]
                    result["called_p50"] = pct(lags, 50) * 1e3 if lags else float("nan")
                    result["called_p99"] = pct(lags, 99) * 1e3 if lags else float("nan")
                    result["called_n"] = len(lags)
                out[label] = result
            finally:
                engine.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--cycle-s",
        default="2,0.2",
        help="seconds from one call-next of a counter to its next (finish half-way), a list",
    )
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"BranchQ phone page benchmark — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    if not args.skip_browser:
        b = browser_part(args.runs)
        print(f"\n| {'phone page (360×740)':<38} | {'n':>4} | {'p50 ms':>8} | {'max ms':>8} |")
        print(f"|{'-' * 40}|{'-' * 6}|{'-' * 10}|{'-' * 10}|")
        for label, key in (
            ("load event", "load"),
            ("usable (number, ahead, live link)", "usable"),
            ("call → page update", "update"),
        ):
            v = b[key]
            print(f"| {label:<38} | {len(v):>4} | {statistics.median(v):>8.1f} | {max(v):>8.1f} |")
    print(
        f"\n| {'4 tellers, call-next':<22} | {'cycle s':>7} | {'calls/s':>7} | {'n':>4} "
        f"| {'p50 ms':>7} | {'p99 ms':>7} | {'CPU ms/call':>11} | {'called page p50':>15} "
        f"| {'p99':>6} |"
    )
    print(
        f"|{'-' * 24}|{'-' * 9}|{'-' * 9}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 13}|{'-' * 17}"
        f"|{'-' * 8}|"
    )
    for cycle in (float(c) for c in args.cycle_s.split(",")):
        for label, r in streams_part(args.pages, args.calls, cycle).items():
            fan50 = f"{r['called_p50']:.1f}" if "called_p50" in r else "-"
            fan99 = f"{r['called_p99']:.1f}" if "called_p99" in r else "-"
            print(
                f"| {label:<22} | {cycle:>7g} | {r['rate']:>7.1f} | {r['n']:>4} "
                f"| {r['p50']:>7.1f} | {r['p99']:>7.1f} | {r['cpu_ms_per_call']:>11.1f} "
                f"| {fan50:>15} | {fan99:>6} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
