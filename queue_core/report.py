"""``branchq report``: the day's one-page HTML report, charts drawn as inline SVG (no CDN).

The figures come from the stored history (``Store.tickets_of_day``) through the same
``daily_figures`` as ``GET /stats/daily``, so a restarted engine's report is the same. The page
shows the waits over the day against the 3-minute line, arrivals against served by hour, each
counter's load, the tables by service, tier, counter, teller and hour, and the day's
appointments (booked, arrived, no-shows, cancelled, their waits). ``--scenario`` makes
the report of a simulated day instead (no database needed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from html import escape
from pathlib import Path
from typing import Any

from queue_core.domain import appointments as booking
from queue_core.domain.appointments import Appointment
from queue_core.domain.figures import CounterSpan, customer_wait, customers, daily_figures
from queue_core.domain.tickets import Ticket

WIDTH = 520
HEIGHT = 220
PAD = 36

#: Every word of the page, Chinese and English: the page is in the branch's ``languages``
#: (the first leads; with two, headings carry both), like the display and the staff pages.
WORDS: dict[str, tuple[str, str]] = {
    "issued": ("取号", "issued"),
    "served": ("办结", "served"),
    "skipped": ("过号", "skipped"),
    "skipped_kpi": ("过号（未到）", "skipped (no-show)"),
    "waiting": ("仍在等候", "still waiting"),
    "called": ("叫号", "called"),
    "mean_wait": ("平均等候", "mean wait"),
    "p90_wait": ("90% 等候", "p90 wait"),
    "over_3": ("超 3 分钟", "> 3 min"),
    "over_3_kpi": ("等候超 3 分钟", "waits over 3 min"),
    "max_wait": ("最长等候", "max wait"),
    "max_wait_kpi": ("最长等候", "longest wait"),
    "mean_service": ("平均办理", "mean service"),
    "vip_served": ("贵宾办结", "VIPs served"),
    "green_channel": ("绿色通道", "green channel"),
    "green_served_issued": ("绿色通道 已办 / 取号", "green channel served / issued"),
    "care_window_served": ("关爱窗口办理", "served at the care window"),
    "rating": ("满意度", "rating"),
    "busy": ("办理", "busy"),
    "idle": ("空闲", "idle"),
    "paused": ("暂停", "paused"),
    "by_service": ("按业务", "By service"),
    "by_tier": ("按客户等级", "By tier"),
    "by_counter": ("按窗口", "By counter"),
    "by_teller": (
        "按柜员（★ 服务之星：平均评分最高，至少 5 次评价）",
        "By teller (★ service star: best mean rating, at least 5 ratings)",
    ),
    "by_hour": (
        "按小时（取号按取号时刻，办结按办结时刻）",
        "By hour (issued by issue hour, served by finish hour)",
    ),
    "chart_waits": (
        "全天每位客户的等候（分钟）与 3 分钟线",
        "Waits over the day (minutes) against the 3-minute line",
    ),
    "chart_hourly": ("每小时到达与办结", "Arrivals and served by hour"),
    "chart_counters": ("窗口负荷：办理、空闲、暂停", "Counter load: busy, idle and paused time"),
    "arrivals": ("到达", "arrivals"),
    "counters_key": (
        "办理（深）、空闲（浅）、暂停（橙）；满宽 {hours} 小时",
        "busy (dark), idle (light), paused (orange); full width {hours} h",
    ),
    "appointments": (
        "预约（等候从签到到叫号；晚于时段开始从时段开始到叫号）",
        "Appointments (wait from check-in to the call; late: from the window's start to the call)",
    ),
    "booked": ("预约", "booked"),
    "arrived": ("已签到", "arrived"),
    "no_show": ("未到", "no-show"),
    "cancelled": ("已取消", "cancelled"),
    "expected": ("待签到", "expected"),
    "appt_wait": ("预约客户平均等候", "appointments' mean wait"),
    "past_start": ("晚于时段开始", "after the window's start"),
    "appt_kpi": ("预约 已到 / 预约", "appointments arrived / booked"),
    "minutes": ("分", "min"),
    "three_minutes": ("3 分钟", "3 min"),
    "min": ("分钟", "min"),
    "s": ("秒", "s"),
}


@dataclass(frozen=True)
class Words:
    """The page's words in ``languages`` (``zh``, ``en``; the first leads)."""

    languages: tuple[str, ...] = ("zh", "en")

    def one(self, key: str) -> str:
        """In the leading language only (chart labels, units)."""
        zh, en = WORDS[key]
        return en if self.languages[:1] == ("en",) else zh

    def both(self, key: str, **values: object) -> str:
        """In each of the branch's languages, the leading one first."""
        zh, en = WORDS[key]
        texts = [en if lang == "en" else zh for lang in self.languages] or [zh]
        return " · ".join(dict.fromkeys(t.format(**values) for t in texts))

    def duration(self, value: float | None) -> str:
        if value is None:
            return "–"
        if value >= 60:
            return f"{value / 60:.1f} {self.one('min')}"
        return f"{value:.0f} {self.one('s')}"


@dataclass(frozen=True)
class ReportMeta:
    """Names for the page: the branch, and labels of services, tiers, counters and tellers."""

    branch: str
    date: str
    tz: tzinfo
    opening: str = "09:00"
    closing: str = "17:00"
    services: Mapping[str, str] = field(default_factory=dict)
    tiers: Mapping[str, str] = field(default_factory=dict)
    tier_ranks: Mapping[str, int] | None = None
    care_counters: tuple[int, ...] = ()
    counters: Mapping[str, str] = field(default_factory=dict)
    tellers: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    words: Words = Words()


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def wait_points(tickets: Sequence[Ticket], tz: tzinfo) -> list[tuple[float, float]]:
    """(minute of the day at issue, wait in minutes) of every customer who was called."""
    points = []
    for visits in customers(tickets):
        wait = customer_wait(visits)
        if wait is None:
            continue
        issued = datetime.fromtimestamp(visits[0].issued_at, tz)
        points.append((issued.hour * 60 + issued.minute + issued.second / 60, wait / 60))
    return points


def svg_waits(
    points: Sequence[tuple[float, float]],
    start: int,
    end: int,
    line_min: float,
    words: Words = Words(),
) -> str:
    """Each customer's wait (dot) by issue time, with the 3-minute line."""
    top = max([line_min * 2, *(w for _, w in points)])
    if points:  # a day that ran outside opening hours still shows every customer
        start = min(start, int(min(m for m, _ in points)) // 60 * 60)
        end = max(end, (int(max(m for m, _ in points)) // 60 + 1) * 60)
    span = max(end - start, 60)

    def x(minute: float) -> float:
        return PAD + (minute - start) / span * (WIDTH - PAD - 10)

    def y(wait: float) -> float:
        return HEIGHT - PAD + 10 - wait / top * (HEIGHT - PAD - 10)

    parts = [_axes(top, words.one("minutes"))]
    for hour in range(start // 60, end // 60 + 1):
        parts.append(
            f'<text x="{x(hour * 60):.0f}" y="{HEIGHT - 8}" class="tick">{hour:02d}</text>'
        )
    dots = "".join(
        f'<circle cx="{x(m):.1f}" cy="{y(w):.1f}" r="2.2" '
        f'class="{"late" if w > line_min else "dot"}"/>'
        for m, w in points
    )
    parts.append(dots)
    parts.append(
        f'<line x1="{PAD}" x2="{WIDTH - 10}" y1="{y(line_min):.1f}" y2="{y(line_min):.1f}" '
        f'class="limit" data-role="three-minute-line"/>'
        f'<text x="{WIDTH - 12}" y="{y(line_min) - 4:.1f}" class="limit-label" '
        f'text-anchor="end">{escape(words.one("three_minutes"))}</text>'
    )
    return _svg("waits", words.both("chart_waits"), parts)


def _axes(top: float, unit: str) -> str:
    base = HEIGHT - PAD + 10
    return (
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{base}" class="axis"/>'
        f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" class="axis"/>'
        f'<text x="{PAD - 4}" y="16" class="tick" text-anchor="end">{top:.0f}</text>'
        f'<text x="{PAD - 4}" y="{base}" class="tick" text-anchor="end">0</text>'
        f'<text x="4" y="{HEIGHT / 2:.0f}" class="tick">{escape(unit)}</text>'
    )


def _svg(name: str, title: str, parts: Sequence[str]) -> str:
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg id="chart-{name}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">{"".join(parts)}</svg></figure>'
    )


def svg_hourly(by_hour: Mapping[str, Mapping[str, Any]], words: Words = Words()) -> str:
    """Arrivals (issued) and served per hour, side by side."""
    hours = sorted(by_hour)
    top = max([1, *(max(b["issued"], b["served"]) for b in by_hour.values())])
    slot = (WIDTH - PAD - 10) / max(len(hours), 1)
    base = HEIGHT - PAD + 10
    parts = [_axes(top, "n")]
    for i, hour in enumerate(hours):
        left = PAD + i * slot + slot * 0.1
        bar = slot * 0.38
        for k, (key, cls) in enumerate((("issued", "issued"), ("served", "served"))):
            value = by_hour[hour][key]
            h = value / top * (HEIGHT - PAD - 10)
            parts.append(
                f'<rect x="{left + k * bar:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" class="{cls}" data-hour="{hour}" data-value="{value}"/>'
            )
        parts.append(f'<text x="{left:.1f}" y="{HEIGHT - 8}" class="tick">{hour}</text>')
    parts.append(
        f'<rect x="{WIDTH - 150}" y="12" width="10" height="10" class="issued"/>'
        f'<text x="{WIDTH - 136}" y="21" class="tick">{escape(words.one("arrivals"))}</text>'
        f'<rect x="{WIDTH - 80}" y="12" width="10" height="10" class="served"/>'
        f'<text x="{WIDTH - 66}" y="21" class="tick">{escape(words.one("served"))}</text>'
    )
    return _svg("hourly", words.both("chart_hourly"), parts)


def svg_counters(
    by_counter: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    words: Words = Words(),
) -> str:
    """Each counter's busy, idle and paused hours as one stacked bar."""
    rows = sorted(by_counter.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
    total = max(
        [1.0, *((b["busy_s"] or 0) + (b["idle_s"] or 0) + (b["paused_s"] or 0) for _, b in rows)]
    )
    row_h = min(24.0, (HEIGHT - 30) / max(len(rows), 1))
    left = 90
    parts = []
    for i, (number, block) in enumerate(rows):
        y = 10 + i * row_h
        x = float(left)
        parts.append(
            f'<text x="{left - 6}" y="{y + row_h * 0.7:.1f}" class="tick" text-anchor="end">'
            f"{escape(labels.get(number, number))}</text>"
        )
        for key, cls in (("busy_s", "busy"), ("idle_s", "idle"), ("paused_s", "paused")):
            seconds = block.get(key) or 0.0
            w = seconds / total * (WIDTH - left - 10)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row_h * 0.75:.1f}" '
                f'class="{cls}" data-counter="{number}" data-seconds="{seconds:.0f}"/>'
            )
            x += w
    key = words.one("counters_key").format(hours=f"{total / 3600:.1f}")
    parts.append(f'<text x="{left}" y="{HEIGHT - 6}" class="tick">{escape(key)}</text>')
    return _svg("counters", words.both("chart_counters"), parts)


def _table(
    words: Words,
    title: str,
    rows: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    extra: Sequence[tuple[str, str]] = (),
    star: str | None = None,
    first: str = "issued",
) -> str:
    keys = [first, "served", "skipped", "mean_wait", "p90_wait", "over_3", "max_wait",
            "mean_service", "rating", *(name for name, _ in extra)]  # fmt: skip
    head = ["", *(words.both(k) for k in keys)]
    fmt_s = words.duration
    body = []
    for key, b in rows.items():
        label = escape(labels.get(key, key)) + (" ★" if key == star else "")
        rating = b["ratings"]
        cells = [
            label, str(b[first]), str(b["served"]), str(b["skipped"]),
            fmt_s(b["waits"]["mean_s"]), fmt_s(b["waits"]["p90_s"]),
            _pct(b["waits"]["over_threshold_share"]), fmt_s(b["waits"]["max_s"]),
            fmt_s(b["service_times"]["mean_s"]),
            "–" if rating["mean"] is None else f'{rating["mean"]:.2f} ({rating["count"]})',
        ] + [fmt_s(b.get(k)) for _, k in extra]  # fmt: skip
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<h2>{escape(words.both(title))}</h2><table><tr>{header}</tr>{''.join(body)}</table>"


def _appointments_table(words: Words, block: Mapping[str, Any]) -> str:
    """The day's appointments: how many came, missed, cancelled, and how long they waited."""
    waits, late = block["waits"], block["past_start"]
    fmt_s = words.duration
    cells = [
        ("booked", str(block["booked"])), ("arrived", str(block["arrived"])),
        ("no_show", str(block["no_show"])), ("cancelled", str(block["cancelled"])),
        ("expected", str(block["expected"])), ("mean_wait", fmt_s(waits["mean_s"])),
        ("p90_wait", fmt_s(waits["p90_s"])), ("max_wait", fmt_s(waits["max_s"])),
        ("past_start", fmt_s(late["mean_s"])),
    ]  # fmt: skip
    header = "".join(f"<th>{escape(words.both(k))}</th>" for k, _ in cells)
    row = "".join(f'<td data-appointments="{k}">{escape(v)}</td>' for k, v in cells)
    title = escape(words.both("appointments"))
    return f"<h2>{title}</h2><table><tr>{header}</tr><tr>{row}</tr></table>"


def service_star(by_teller: Mapping[str, Mapping[str, Any]], min_ratings: int = 5) -> str | None:
    """The teller with the best mean rating among those rated at least ``min_ratings`` times
    (ties: more served); None when nobody has enough ratings."""
    rated = [
        (b["ratings"]["mean"], b["served"], login)
        for login, b in by_teller.items()
        if b["ratings"]["count"] >= min_ratings
    ]
    return max(rated)[2] if rated else None


CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:16px;color:#222;
max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:14px 0 4px}
.sub{color:#666;font-size:12px}
.kpis{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:6px 10px;min-width:92px}
.kpi b{display:block;font-size:18px}.kpi span{font-size:11px;color:#666}
.charts{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}
figcaption{font-size:12px;font-weight:bold}
table{border-collapse:collapse;font-size:11px;margin-bottom:4px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}
svg .axis{stroke:#888}svg .tick{font-size:10px;fill:#555}
svg .dot{fill:#3a7bd5}svg .late{fill:#d9534f}
svg .limit{stroke:#d9534f;stroke-dasharray:5 3;stroke-width:1.5}
svg .limit-label{font-size:10px;fill:#d9534f}
svg .issued{fill:#9bbce8}svg .served{fill:#2b6cb0}
svg .busy{fill:#2b6cb0}svg .idle{fill:#cfe0f5}svg .paused{fill:#f0ad4e}
@media print{body{margin:0}.charts svg{width:32%}}
"""


def render_report(
    tickets: Sequence[Ticket],
    meta: ReportMeta,
    counter_spans: Sequence[CounterSpan] | None = None,
    appointments: Sequence[Appointment] | None = None,
) -> str:
    """The whole HTML page of one day (``counter_spans`` add exact open and paused time;
    ``appointments``, the day's bookings, their figures as ``GET /stats/daily`` has them)."""
    f = daily_figures(tickets, tz=meta.tz, tier_ranks=meta.tier_ranks,
                      counter_spans=counter_spans, care_counters=meta.care_counters)  # fmt: skip
    booked = booking.day_figures(appointments, tickets) if appointments is not None else None
    star = service_star(f["by_teller"])
    w = meta.words
    kpis = [
        ("issued", "issued", str(f["issued"])), ("served", "served", str(f["served"])),
        ("skipped", "skipped_kpi", str(f["skipped"])), ("waiting", "waiting", str(f["waiting"])),
        ("mean_wait", "mean_wait", w.duration(f["waits"]["mean_s"])),
        ("p90_wait", "p90_wait", w.duration(f["waits"]["p90_s"])),
        ("over_3", "over_3_kpi", _pct(f["waits"]["over_threshold_share"])),
        ("max_wait", "max_wait_kpi", w.duration(f["waits"]["max_s"])),
        ("mean_service", "mean_service", w.duration(f["service_times"]["mean_s"])),
        ("vip_served", "vip_served", str(f["vip_served"])),
        ("green_channel", "green_served_issued",
         f'{f["green_channel"]["served"]} / {f["green_channel"]["issued"]}'),
        ("care_window", "care_window_served", str(f["care_window"]["served"])),
        ("rating", "rating",
         "–" if f["ratings"]["mean"] is None else f'{f["ratings"]["mean"]:.2f}'),
    ]  # fmt: skip
    if booked is not None and booked["booked"]:
        kpis += [
            ("appointments", "appt_kpi", f"{booked['arrived']} / {booked['booked']}"),
            ("appointment_wait", "appt_wait", w.duration(booked["waits"]["mean_s"])),
        ]
    kpi_html = "".join(
        f'<div class="kpi" data-kpi="{k}"><b>{escape(v)}</b><span>{escape(w.both(label))}</span>'
        "</div>"
        for k, label, v in kpis
    )
    opening, closing = _minutes(meta.opening), _minutes(meta.closing)
    charts = (
        svg_waits(wait_points(tickets, meta.tz), opening, closing, 3.0, w)
        + svg_hourly(f["by_hour"], w)
        + svg_counters(f["by_counter"], meta.counters, w)
    )
    time_cols = (("busy", "busy_s"), ("idle", "idle_s"), ("paused", "paused_s"))
    tables = (
        _table(w, "by_service", f["by_service"], meta.services)
        + _table(w, "by_tier", f["by_tier"], meta.tiers)
        + _table(w, "by_counter", f["by_counter"], meta.counters, time_cols, first="called")
        + _table(w, "by_teller", f["by_teller"], meta.tellers, time_cols, star, first="called")
        + _table(w, "by_hour", f["by_hour"], {})
        + (_appointments_table(w, booked) if booked is not None else "")
    )
    title = f"{meta.branch} · {meta.date}"
    lang = "en" if w.languages[:1] == ("en",) else "zh"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><div class='sub'>{escape(meta.source)}</div>"
        f'<div class="kpis">{kpi_html}</div><div class="charts">{charts}</div>{tables}'
        "</body></html>"
    )


def _meta_from_config(config: Any, date: str, source: str) -> ReportMeta:
    languages = tuple(config.branch.languages) or ("zh",)
    english = languages[0] == "en"

    def name(zh: str, en: str) -> str:
        return (en or zh) if english else (zh or en)

    both = "en" in languages and "zh" in languages
    branch_name = name(config.branch.name, config.branch.name_en)
    other = config.branch.name if english else config.branch.name_en
    return ReportMeta(
        branch=branch_name + (f" ({other})" if both and other and other != branch_name else ""),
        date=date,
        tz=config.zone,
        opening=config.branch.opening,
        closing=config.branch.closing,
        services={s.code: name(s.name, s.name_en) for s in config.services},
        tiers={t.code: name(t.name, t.name_en) or t.code for t in config.tiers},
        tier_ranks={t.code: t.rank for t in config.tiers},
        care_counters=tuple(c.number for c in config.counters if c.prefers_green),
        counters={str(c.number): c.display_name for c in config.counters},
        tellers={s.login: f"{s.name} ({s.login})" if s.name else s.login for s in config.staff},
        source=source,
        words=Words(languages),
    )


def _simulated(
    args: argparse.Namespace,
) -> tuple[list[Ticket], ReportMeta, list[CounterSpan]]:
    from zoneinfo import ZoneInfo

    from queue_core.sim.model import simulate_day
    from queue_core.sim.scenario import load
    from queue_core.sim.selectors import by_name

    scenario = load(args.scenario)
    day = simulate_day(scenario, by_name(args.policy), args.seed)
    meta = ReportMeta(
        branch=scenario.title,
        date=scenario.date,
        tz=ZoneInfo(scenario.timezone),
        opening=scenario.opening,
        closing=scenario.closing,
        tier_ranks=scenario.tier_ranks,
        source=f"simulated: --scenario {scenario.name} --policy {args.policy} --seed {args.seed}",
    )
    return day.tickets, meta, day.spans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="branchq report", description="Write the day's one-page HTML report."
    )
    parser.add_argument("--date", help="business day YYYY-MM-DD (needed unless --scenario)")
    parser.add_argument("--db", default="sqlite:///branchq.db", help="the engine's database URL")
    parser.add_argument("--config", help="the branch TOML (default: the demo branch)")
    parser.add_argument("--out", type=Path, help="the HTML file (default: report-DATE.html)")
    parser.add_argument("--scenario", help="report a simulated day of this scenario instead")
    parser.add_argument("--policy", default="aging", help="with --scenario: the routing policy")
    parser.add_argument("--seed", type=int, default=1, help="with --scenario: the day's seed")
    args = parser.parse_args(argv)
    spans: list[CounterSpan] | None = None
    booked: list[Appointment] | None = None  # a simulated day books none
    if args.scenario:
        tickets, meta, spans = _simulated(args)
    else:
        if not args.date:
            parser.error("--date is needed (or --scenario)")
        from queue_core.config import ConfigError, load_config
        from queue_core.store import Store

        try:
            config = load_config(args.config)
        except ConfigError as exc:
            print(f"branchq report: {exc}", file=sys.stderr)
            return 2
        if args.db.startswith("sqlite:///") and not Path(args.db[len("sqlite:///") :]).exists():
            print(f"branchq report: no database at {args.db}", file=sys.stderr)
            return 2
        store = Store(args.db, migrate=False)
        try:
            tickets = store.tickets_of_day(args.date)
            booked = store.appointments_of_day(args.date)
        finally:
            store.dispose()
        meta = _meta_from_config(config, args.date, f"branchq report --date {args.date}")
    out = args.out or Path(f"report-{meta.date}.html")
    out.write_text(render_report(tickets, meta, spans, booked), encoding="utf-8")
    print(f"{out}: {len(tickets)} visits of {meta.date}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
