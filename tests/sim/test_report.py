"""The one-page report: its charts and tables show the day's figures."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from queue_core.domain.figures import daily_figures
from queue_core.report import HEIGHT, PAD, ReportMeta, main, render_report, service_star
from queue_core.sim.model import simulate_day
from queue_core.sim.scenario import load
from queue_core.sim.selectors import by_name
from tests.domain.test_figures import SHANGHAI, scripted_day


class Elements(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(page: str) -> Elements:
    found = Elements()
    found.feed(page)
    return found


META = ReportMeta(branch="城东支行", date="2026-03-13", tz=SHANGHAI)


def test_the_waits_chart_marks_waits_over_three_minutes_and_draws_the_line() -> None:
    page = parse(render_report(scripted_day(), META))
    # Waits 1, 4, 2, 20 and 1 minutes: two dots over the line (4 and 20 minutes).
    assert len(page.having("circle", **{"class": "late"})) == 2
    assert len(page.having("circle", **{"class": "dot"})) == 3
    (line,) = page.having("line", **{"data-role": "three-minute-line"})
    # The scale tops at the longest wait (20 min): 3 minutes sits 3/20 of the way up.
    base, height = HEIGHT - PAD + 10, HEIGHT - PAD - 10
    assert float(line["y1"] or 0) == round(base - 3 / 20 * height, 1)


def test_hourly_bars_and_counter_load_carry_the_figures() -> None:
    tickets = scripted_day()
    figures = daily_figures(tickets, tz=SHANGHAI)
    page = parse(render_report(tickets, META))
    issued = {
        a["data-hour"]: int(a["data-value"] or 0)
        for a in page.having("rect", **{"class": "issued"})
        if a.get("data-hour")
    }
    served = {
        a["data-hour"]: int(a["data-value"] or 0)
        for a in page.having("rect", **{"class": "served"})
        if a.get("data-hour")
    }
    assert issued == {"09": 4, "10": 3}
    assert served == {"09": 3, "10": 2}
    busy = {
        a["data-counter"]: float(a["data-seconds"] or 0)
        for a in page.having("rect", **{"class": "busy"})
    }
    assert busy == {k: b["busy_s"] for k, b in figures["by_counter"].items()}


def test_the_service_star_needs_enough_ratings() -> None:
    day = simulate_day(load("weekday"), by_name("aging"), 3)
    figures = daily_figures(day.tickets, tz=ZoneInfo("Asia/Shanghai"))
    star = service_star(figures["by_teller"])
    assert star is not None
    best = figures["by_teller"][star]["ratings"]
    for block in figures["by_teller"].values():
        if block["ratings"]["count"] >= 5:
            assert block["ratings"]["mean"] <= best["mean"]
    assert service_star(figures["by_teller"], min_ratings=10_000) is None


def test_report_of_a_simulated_day_is_one_self_contained_page(tmp_path: Path) -> None:
    out = tmp_path / "day.html"
    assert main(["--scenario", "pension_day", "--seed", "2", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("<svg") == 3
    assert not re.search(r"(src|href)=\"https?:", text)  # nothing fetched from elsewhere
    for title in ("By service", "By tier", "By counter", "By teller", "By hour"):
        assert title in text


def test_report_without_a_database_says_so(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert main(["--date", "2026-03-13", "--db", missing, "--out", str(tmp_path / "x.html")]) == 2


def _report_in(languages: str) -> str:
    from queue_core.config import parse_config
    from queue_core.report import _meta_from_config
    from tests.support.engine import DEMO_CONFIG

    text = DEMO_CONFIG.read_text(encoding="utf-8").replace(
        'languages = ["zh", "en"]', f"languages = {languages}"
    )
    meta = _meta_from_config(parse_config(text, "branch.toml"), "2026-03-13", "")
    return render_report(scripted_day(), meta)


def test_the_report_is_in_the_branchs_languages() -> None:
    chinese = _report_in('["zh"]')
    assert "按业务" in chinese and "平均等候" in chinese and "By service" not in chinese
    assert "mean wait" not in chinese and '<html lang="zh">' in chinese
    both = _report_in('["zh", "en"]')
    assert "按业务 · By service" in both and "城东支行 (Chengdong Sub-branch)" in both
    english = _report_in('["en", "zh"]')
    assert english.index("By service") < english.index("按业务")
    assert '<html lang="en">' in english and "Chengdong Sub-branch (城东支行)" in english


def test_the_report_counts_the_days_appointments_as_the_days_figures_do(tmp_path: Path) -> None:
    from queue_core.config import load_config
    from queue_core.store import Store
    from queue_core.usecases import Branch
    from queue_core.usecases.appointments import (
        BookAppointment,
        CancelAppointment,
        CheckInAppointments,
        ReleaseNoShows,
    )
    from queue_core.usecases.counters import CallNext, MoveCounter

    ten_thirty, day = 1_763_001_000.0, "2025-11-13"  # a window's start in Shanghai

    class Clock:
        now = ten_thirty - 86400

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    url = f"sqlite:///{tmp_path / 'q.db'}"
    store = Store(url)
    branch = Branch(load_config(), store, b"k" * 32, clock=clock)
    try:
        run = branch.execute_sync
        came, _missed, gone, later = (
            run(BookAppointment("A", day, start, "lobby:lobby1")).value
            for start in (ten_thirty, ten_thirty - 3600, ten_thirty, ten_thirty + 3 * 3600)
        )
        run(CancelAppointment(gone.id))
        clock.now = ten_thirty + 120
        run(MoveCounter(1, "open", "t01"))
        run(CheckInAppointments((came.id,), by_lobby=True))
        clock.now += 300
        run(CallNext(1, "t01"))
        run(ReleaseNoShows())
    finally:
        branch.stop()
        store.dispose()
    out = tmp_path / "report.html"
    assert main(["--date", day, "--db", url, "--out", str(out)]) == 0
    page = parse(out.read_text(encoding="utf-8"))
    cells = {a["data-appointments"]: a for a in page.having("td") if a.get("data-appointments")}
    assert set(cells) >= {"booked", "arrived", "no_show", "cancelled", "expected", "mean_wait"}
    text = out.read_text(encoding="utf-8")
    found = dict(re.findall(r'data-appointments="(\w+)">([^<]*)<', text))
    assert (found["booked"], found["arrived"], found["no_show"], found["cancelled"]) == (
        "3", "1", "1", "1",
    )  # fmt: skip
    assert found["expected"] == "1" and found["mean_wait"] == "5.0 分钟"
    assert "预约 已到 / 预约" in text and later.id not in text
