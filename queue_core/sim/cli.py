"""``branchq simulate``: run a scenario's days offline and print the figures, or play it live.

Offline, each day is simulated with the engine's own routing and estimate rules, and its
tickets go through the same ``daily_figures`` the engine's ``/stats/daily`` uses. With
``--live`` the scenario's customers are issued to a running engine over HTTP and its counters
call, serve and skip them (see ``queue_core.sim.live``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from queue_core import DEFAULT_ENGINE
from queue_core.domain.figures import daily_figures, tickets_csv
from queue_core.sim.estimators import ESTIMATORS
from queue_core.sim.metrics import errors
from queue_core.sim.model import DayResult, simulate_day
from queue_core.sim.scenario import Scenario, available, load
from queue_core.sim.selectors import COMPARED, by_name


def _min(value: float | None) -> str:
    return "–" if value is None else f"{value / 60:.1f}"


def day_line(scenario: Scenario, day: DayResult) -> tuple[str, ...]:
    """One row of the summary table: the day's figures as the engine would report them."""
    f = daily_figures(day.tickets, tz=ZoneInfo(scenario.timezone), tier_ranks=scenario.tier_ranks)
    waits = f["waits"]
    engine = errors(day.outcomes, "engine")
    return (
        str(day.seed),
        str(f["issued"]),
        str(f["served"]),
        str(f["skipped"]),
        str(day.count("abandoned")),
        str(day.count("waiting")),
        _min(waits["mean_s"]),
        _min(waits["p90_s"]),
        f"{100 * (waits['over_threshold_share'] or 0):.0f}%",
        _min(waits["max_s"]),
        "–" if engine.mae_s is None else f"{engine.mae_s:.0f}",
    )


HEADER = (
    "seed", "issued", "served", "skipped", "walked away", "left waiting", "mean wait (min)",
    "p90 (min)", "> 3 min", "longest (min)", "estimate MAE (s)",
)  # fmt: skip


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    for row in [HEADER, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))


def run_offline(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    selector_name = args.policy
    rows = []
    started = time.process_time()
    days = []
    for k in range(args.days):
        estimators = {} if args.no_estimate else {"engine": ESTIMATORS["engine"]}
        day = simulate_day(scenario, by_name(selector_name), args.seed + k, estimators)
        days.append(day)
        rows.append(day_line(scenario, day))
    cpu = time.process_time() - started
    print(f"{scenario.title}: policy {by_name(selector_name).name}, {args.days} day(s)")
    print_table(rows)
    what = "simulation only" if args.no_estimate else "with the engine's estimate at each issue"
    print(f"CPU {cpu / max(args.days, 1):.3f} s per day ({what})")
    if args.csv:
        args.csv.write_text(tickets_csv(days[0].tickets, ZoneInfo(scenario.timezone)), "utf-8")
        print(f"tickets of the first day written to {args.csv}")
    if args.json:
        tz = ZoneInfo(scenario.timezone)
        figures = [
            {"date": scenario.date, "seed": d.seed, **daily_figures(d.tickets, tz=tz)} for d in days
        ]
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), "utf-8")
        print(f"figures written to {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="branchq simulate", description="Simulate branch days with the engine's own rules."
    )
    parser.add_argument(
        "--scenario", required=True, help=f"one of {', '.join(available())}, or a file"
    )
    parser.add_argument(
        "--policy",
        default="aging",
        help=f"fifo, strict, aging[:RATE], ratio[:N], weighted ({', '.join(COMPARED)})",
    )
    parser.add_argument("--days", type=int, default=1, help="how many seeded days")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first day")
    parser.add_argument(
        "--no-estimate", action="store_true", help="skip the wait estimate at each issue (faster)"
    )
    parser.add_argument("--csv", type=Path, help="write the first day's tickets as CSV")
    parser.add_argument("--json", type=Path, help="write each day's figures as JSON")
    live = parser.add_argument_group("live mode: play the scenario against a running engine")
    live.add_argument("--live", action="store_true", help="issue and serve over HTTP")
    live.add_argument(
        "--engine", default=DEFAULT_ENGINE, help=f"engine base URL ({DEFAULT_ENGINE})"
    )
    live.add_argument(
        "--token", action="append", help="a kiosk device token (repeatable: kiosks take turns)"
    )
    live.add_argument(
        "--login", default="lobby", help="a lobby or admin login (works the counters)"
    )
    live.add_argument("--pin", help="that login's PIN")
    live.add_argument(
        "--teller", action="append", metavar="N=LOGIN:PIN", help="counter N's teller (repeatable)"
    )
    live.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    live.add_argument("--minutes", type=float, help="play only the first N simulated minutes")
    live.add_argument(
        "--max-requests", type=int, default=20000, help="stop after this many requests"
    )
    args = parser.parse_args(argv)
    try:
        if args.live:
            from queue_core.sim.live import run_live

            if not args.token or not args.pin:
                parser.error("--live needs --token (kiosk) and --pin (for --login)")
            return int(run_live(args))
        return run_offline(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"branchq simulate: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
