"""Live mode against a real engine, and the day's figures and report from its stored history."""

from __future__ import annotations

import random
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from queue_core.client import EngineClient
from queue_core.report import main as report_main
from queue_core.sim.cli import main as simulate_main
from queue_core.sim.live import LivePlayer
from queue_core.sim.model import customers
from queue_core.sim.scenario import load
from tests.support.engine import KIOSK_TOKEN, LOBBY, RunningEngine


class Kpis(HTMLParser):
    """Reads the report's key figures: ``data-kpi`` boxes and their bold value."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self._kpi: str | None = None
        self._bold = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if named.get("data-kpi"):
            self._kpi = named["data-kpi"]
        self._bold = tag == "b" and self._kpi is not None

    def handle_data(self, data: str) -> None:
        if self._bold and self._kpi:
            self.found[self._kpi] = data
            self._kpi, self._bold = None, False


def test_a_played_morning_shows_in_the_figures_and_survives_a_restart(
    engine: RunningEngine, tmp_path: Path
) -> None:
    scenario = load("weekday")
    people = [p for p in customers(scenario, random.Random(1)) if p.arrival < 10 * 60]
    lobby = EngineClient(engine.url)
    lobby.login(*LOBBY)
    kiosks = [EngineClient(engine.url, KIOSK_TOKEN), EngineClient(engine.url, "demo-kiosk-2")]
    player = LivePlayer(scenario, people, kiosks, lobby, {}, speed=600.0, seed=1, max_requests=2000)
    tally = player.run()
    assert tally.errors == 0, tally.error_codes
    assert tally.issued == len(people) > 5
    assert tally.served + tally.skipped == tally.called == tally.issued

    stats = lobby.request("GET", "/stats/daily")
    assert stats["issued"] == tally.issued
    assert stats["served"] == tally.served
    assert stats["skipped"] == tally.skipped
    assert stats["waiting"] == 0
    # Tier and green-channel customers were issued on their behalf by the lobby manager.
    assert stats["vip"]["issued"] == sum(1 for p in people if p.tier != "normal") > 0
    assert stats["green_channel"]["issued"] == sum(1 for p in people if p.green) > 0
    csv_text = lobby.request("GET", "/stats/daily.csv")
    assert csv_text.count("\n") == tally.issued + 1

    engine.stop()
    engine.start()
    again = EngineClient(engine.url)
    again.login(*LOBBY)
    # Counters still open keep accruing open and idle time; everything else is history.
    assert _without_clock(again.request("GET", "/stats/daily")) == _without_clock(stats)

    engine.stop()
    out = tmp_path / "report.html"
    assert report_main(["--date", stats["date"], "--db", engine.db, "--out", str(out)]) == 0
    page = Kpis()
    page.feed(out.read_text(encoding="utf-8"))
    assert page.found["issued"] == str(stats["issued"])
    assert page.found["served"] == str(stats["served"])
    assert "城东支行" in out.read_text(encoding="utf-8")


def test_a_scenario_planning_more_counters_than_the_engine_has_is_played_on_the_engines(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pension day plans the flexible windows 9 and 10, the demo branch has counters 1-8: the
    play says so, with the branch-file tables that would add them, and plays on the eight."""
    code = simulate_main([
        "--live", "--scenario", "pension_day", "--engine", engine.url,
        "--token", KIOSK_TOKEN, "--token", "demo-kiosk-2", "--login", LOBBY[0], "--pin", LOBBY[1],
        "--speed", "600", "--minutes", "2",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "the engine has no counters 9 and 10, which the scenario pension_day plans" in out
    assert '[[counters]]\n    number = 9\n    services = ["A", "B"]' in out
    assert "0 errors" in out
    lobby = EngineClient(engine.url)
    lobby.login(*LOBBY)
    assert sorted(c["number"] for c in lobby.counters() if c["state"] == "open") == list(
        range(1, 9)
    )
    assert lobby.request("GET", "/stats/daily")["issued"] > 0


def _without_clock(stats: dict[str, Any]) -> dict[str, Any]:
    """The figures less the times that grow while a counter is still open."""
    out = dict(stats)
    for table in ("by_counter", "by_teller"):
        out[table] = {
            key: {k: v for k, v in block.items() if k not in ("open_s", "idle_s", "paused_s")}
            for key, block in stats[table].items()
        }
    return out
