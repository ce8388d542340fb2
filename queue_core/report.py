"""``branchq report``: the day's one-page HTML report, charts drawn as inline SVG (no CDN).

The figures come from the stored history (``Store.tickets_of_day``) through the same
``daily_figures`` as ``GET /stats/daily``, so a restarted engine's report is the same. The page
shows the waits over the day against the 3-minute line, arrivals against served by hour, each
counter's load, and the tables by service, tier, counter, teller and hour. ``--scenario`` makes
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

from queue_core.domain.figures import CounterSpan, customer_wait, customers, daily_figures
from queue_core.domain.tickets import Ticket

WIDTH = 520
HEIGHT = 220
PAD = 36


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


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _fmt_s(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 60:.1f} min" if value >= 60 else f"{value:.0f} s"


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


def svg_waits(points: Sequence[tuple[float, float]], start: int, end: int, line_min: float) -> str:
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

    parts = [_axes(top, "min")]
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
        f'text-anchor="end">3 min</text>'
    )
    return _svg("waits", "Waits over the day (minutes) against the 3-minute line", parts)


def _axes(top: float, unit: str) -> str:
    base = HEIGHT - PAD + 10
    return (
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{base}" class="axis"/>'
        f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" class="axis"/>'
        f'<text x="{PAD - 4}" y="16" class="tick" text-anchor="end">{top:.0f}</text>'
        f'<text x="{PAD - 4}" y="{base}" class="tick" text-anchor="end">0</text>'
        f'<text x="4" y="{HEIGHT / 2:.0f}" class="tick">{unit}</text>'
    )


def _svg(name: str, title: str, parts: Sequence[str]) -> str:
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg id="chart-{name}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">{"".join(parts)}</svg></figure>'
    )


def svg_hourly(by_hour: Mapping[str, Mapping[str, Any]]) -> str:
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
        f'<text x="{WIDTH - 136}" y="21" class="tick">arrivals</text>'
        f'<rect x="{WIDTH - 80}" y="12" width="10" height="10" class="served"/>'
        f'<text x="{WIDTH - 66}" y="21" class="tick">served</text>'
    )
    return _svg("hourly", "Arrivals and served by hour", parts)


def svg_counters(by_counter: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str]) -> str:
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
    parts.append(
        f'<text x="{left}" y="{HEIGHT - 6}" class="tick">busy (dark), idle (light), paused '
        f"(hatched); full width {total / 3600:.1f} h</text>"
    )
    return _svg("counters", "Counter load: busy, idle and paused time", parts)


def _table(
    title: str,
    rows: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    extra: Sequence[tuple[str, str]] = (),
    star: str | None = None,
    first: str = "issued",
) -> str:
    head = ["", first, "served", "skipped", "mean wait", "p90 wait", "> 3 min", "max wait",
            "mean service", "rating"] + [name for name, _ in extra]  # fmt: skip
    body = []
    for key, b in rows.items():
        label = escape(labels.get(key, key)) + (" ★" if key == star else "")
        rating = b["ratings"]
        cells = [
            label, str(b[first]), str(b["served"]), str(b["skipped"]),
            _fmt_s(b["waits"]["mean_s"]), _fmt_s(b["waits"]["p90_s"]),
            _pct(b["waits"]["over_threshold_share"]), _fmt_s(b["waits"]["max_s"]),
            _fmt_s(b["service_times"]["mean_s"]),
            "–" if rating["mean"] is None else f'{rating["mean"]:.2f} ({rating["count"]})',
        ] + [_fmt_s(b.get(k)) for _, k in extra]  # fmt: skip
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<h2>{escape(title)}</h2><table><tr>{header}</tr>{''.join(body)}</table>"


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
) -> str:
    """The whole HTML page of one day (``counter_spans`` add exact open and paused time)."""
    f = daily_figures(tickets, tz=meta.tz, tier_ranks=meta.tier_ranks,
                      counter_spans=counter_spans, care_counters=meta.care_counters)  # fmt: skip
    star = service_star(f["by_teller"])
    kpis = [
        ("issued", str(f["issued"])), ("served", str(f["served"])),
        ("skipped (no-show)", str(f["skipped"])), ("still waiting", str(f["waiting"])),
        ("mean wait", _fmt_s(f["waits"]["mean_s"])), ("p90 wait", _fmt_s(f["waits"]["p90_s"])),
        ("waits over 3 min", _pct(f["waits"]["over_threshold_share"])),
        ("longest wait", _fmt_s(f["waits"]["max_s"])),
        ("mean service", _fmt_s(f["service_times"]["mean_s"])),
        ("VIPs served", str(f["vip_served"])),
        ("green channel served / issued",
         f'{f["green_channel"]["served"]} / {f["green_channel"]["issued"]}'),
        ("served at the care window", str(f["care_window"]["served"])),
        ("rating", "–" if f["ratings"]["mean"] is None else f'{f["ratings"]["mean"]:.2f}'),
    ]  # fmt: skip
    kpi_html = "".join(
        f'<div class="kpi" data-kpi="{escape(k)}"><b>{escape(v)}</b><span>{escape(k)}</span></div>'
        for k, v in kpis
    )
    charts = (
        svg_waits(
            wait_points(tickets, meta.tz), _minutes(meta.opening), _minutes(meta.closing), 3.0
        )
        + svg_hourly(f["by_hour"])
        + svg_counters(f["by_counter"], meta.counters)
    )
    time_cols = (("busy", "busy_s"), ("idle", "idle_s"), ("paused", "paused_s"))
    tables = (
        _table("By service", f["by_service"], meta.services)
        + _table("By tier", f["by_tier"], meta.tiers)
        + _table("By counter", f["by_counter"], meta.counters, time_cols, first="called")
        + _table("By teller (★ service star: best mean rating, at least 5 ratings)",
                 f["by_teller"], meta.tellers, time_cols, star, first="called")
        + _table("By hour (issued by issue hour, served by finish hour)", f["by_hour"], {})
    )  # fmt: skip
    title = f"{meta.branch} · {meta.date}"
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><div class='sub'>{escape(meta.source)}</div>"
        f'<div class="kpis">{kpi_html}</div><div class="charts">{charts}</div>{tables}'
        "</body></html>"
    )


def _meta_from_config(config: Any, date: str, source: str) -> ReportMeta:
    return ReportMeta(
        branch=config.branch.name
        + (f" ({config.branch.name_en})" if config.branch.name_en else ""),
        date=date,
        tz=config.zone,
        opening=config.branch.opening,
        closing=config.branch.closing,
        services={s.code: s.name_en or s.name for s in config.services},
        tiers={t.code: t.name_en or t.name or t.code for t in config.tiers},
        tier_ranks={t.code: t.rank for t in config.tiers},
        care_counters=tuple(c.number for c in config.counters if c.prefers_green),
        counters={str(c.number): c.display_name for c in config.counters},
        tellers={s.login: f"{s.name} ({s.login})" if s.name else s.login for s in config.staff},
        source=source,
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
        finally:
            store.dispose()
        meta = _meta_from_config(config, args.date, f"branchq report --date {args.date}")
    out = args.out or Path(f"report-{meta.date}.html")
    out.write_text(render_report(tickets, meta, spans), encoding="utf-8")
    print(f"{out}: {len(tickets)} visits of {meta.date}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
