"""Benchmark of the staff pages in headless Chromium against a real engine; prints a table.

    python -m tests.caller.bench_pages [--runs N]

- page load: navigation start → load event (HTML, CSS, every module), fresh browser context;
  and → "usable" (a teller with the day's session sees the desk with a live link).
- call → page, button: the caller page's own marks, from the engine's answer to the next
  frame drawn with the number (``requestAnimationFrame`` after the render).
- call → page, event: another client (keypad, lobby) calls; from that client receiving the
  engine's answer to the number appearing in the caller page's DOM (MutationObserver), same
  machine clock on both sides.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from queue_core.client import EngineClient
from tests.caller.flows import open_caller, open_lobby
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.engine import RATING_TOKEN, RunningEngine

WATCH = """() => {
  window.shown = [];
  new MutationObserver(() => {
    window.shown.push({text: document.querySelector('#ticket-number').textContent,
                       at: performance.timeOrigin + performance.now()});
  }).observe(document.querySelector('#ticket-number'), {childList: true, characterData: true,
                                                         subtree: true});
}"""


def row(name: str, values: Sequence[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    return (
        f"| {name:<34} | {len(values):>4} | {statistics.median(values):>8.1f} | {p90:>8.1f} "
        f"| {max(values):>8.1f} |"
    )


def load_times(browser: Browser, engine: RunningEngine, path: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(engine.url + path, wait_until="load")
        nav = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        out.append(float(nav))
        ctx.close()
    return out


def usable_times(page: Page, engine: RunningEngine, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        page.goto(f"{engine.url}/healthz")
        start = time.perf_counter()
        page.goto(f"{engine.url}/caller?counter=3", wait_until="commit")
        expect(page.locator("#desk")).to_be_visible()
        expect(page.locator("#link")).to_have_class("link up")
        expect(page.locator("#counter-state")).to_have_text("开放")
        out.append((time.perf_counter() - start) * 1000)
    return out


def button_latency(page: Page, runs: int) -> list[float]:
    page.evaluate("window.branchqMarks = []")
    for _ in range(runs):
        # A key pressed while the previous request is in flight is dropped (one press, one
        # action), so wait for the button the key stands for.
        expect(page.locator('#actions button[data-action="call_next"]')).to_be_enabled()
        page.keyboard.press("F1")
        expect(page.locator('#actions button[data-action="finish"]')).to_be_enabled()
        page.keyboard.press("F6")
    marks = page.evaluate("window.branchqMarks.filter(m => m.action === 'call_next')")
    return [m["shownAt"] - m["responseAt"] for m in marks]


def event_latency(page: Page, engine: RunningEngine, runs: int) -> list[float]:
    out = []
    page.evaluate(WATCH)
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        for _ in range(runs):
            ticket = lobby.call_next(3)
            answered = time.time() * 1000
            assert ticket is not None
            expect(page.locator("#ticket-number")).to_have_text(str(ticket["number"]))
            shown = page.evaluate(
                "(n) => window.shown.find(s => s.text === n).at", str(ticket["number"])
            )
            out.append(shown - answered)
            lobby.counter_action(3, "finish")
            expect(page.locator("#ticket-number")).to_have_text("—")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = RunningEngine(workdir=Path(tmp)).start()
        try:
            # The lobby issues on behalf: a kiosk is rate-limited to a human's pace.
            with EngineClient(engine.url, engine.lobby_token()) as lobby:
                for _ in range(3 * args.runs):
                    lobby.issue("A")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                lines = [
                    row("load /caller (ms)", load_times(browser, engine, "/caller", args.runs)),
                    row("load /lobby (ms)", load_times(browser, engine, "/lobby", args.runs)),
                    row(
                        "load /rating (ms)",
                        load_times(browser, engine, f"/rating?token={RATING_TOKEN}", args.runs),
                    ),
                ]
                ctx = browser.new_context()
                lobby_page = ctx.new_page()
                start = time.perf_counter()
                open_lobby(lobby_page, engine)
                lobby_login = (time.perf_counter() - start) * 1000
                page = ctx.new_page()
                open_caller(page, engine, 3)
                page.keyboard.press("F10")
                expect(page.locator("#counter-state")).to_have_text("开放")
                lines.append(
                    row("caller usable, saved session (ms)", usable_times(page, engine, args.runs))
                )
                lines.append(row("lobby login → live hall (ms)", [lobby_login]))
                lines.append(row("call → page, button (ms)", button_latency(page, args.runs)))
                lines.append(row("call → page, event (ms)", event_latency(page, engine, args.runs)))
                browser.close()
        finally:
            engine.stop()
    print(
        f"staff pages, headless Chromium, {platform.machine()} {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print("| measure                            |    n |   median |      p90 |      max |")
    print("|------------------------------------|------|----------|----------|----------|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
