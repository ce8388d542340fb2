"""A branch's day at the centre: its rebuilt tickets and counter changes through the branch's
own figure functions (``queue_core.domain.figures``), so the numbers are the branch's."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from queue_core.central.db import CentralDB
from queue_core.central.rebuild import day_start, spans_of_day, with_appointments
from queue_core.domain import appointments, figures
from queue_core.domain.numbering import business_day
from queue_core.domain.tickets import Status, Ticket

Json = dict[str, Any]


@dataclass(frozen=True)
class BranchClock:
    """A branch's time zone and its clock as the centre estimates it."""

    code: str
    described: Json
    clock_offset: float
    last_event_at: float

    @classmethod
    def of(cls, row: Json) -> BranchClock:
        return cls(
            code=str(row["code"]),
            described=dict(row.get("described") or {}),
            clock_offset=float(row.get("clock_offset") or 0.0),
            last_event_at=float(row.get("last_event_at") or 0.0),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.described.get("timezone") or "UTC")

    @property
    def tier_ranks(self) -> dict[str, int]:
        return {t["code"]: int(t["rank"]) for t in self.described.get("tiers", [])}

    @property
    def counters(self) -> list[int]:
        return [int(c["number"]) for c in self.described.get("counters", [])]

    @property
    def care_counters(self) -> set[int]:
        """The care windows (爱心窗口): the counters that prefer the green channel."""
        return {int(c["number"]) for c in self.described.get("counters", [])
                if c.get("prefers_green")}  # fmt: skip

    def daily_figures(
        self, tickets: list[Ticket], spans: list[figures.CounterSpan] | None = None
    ) -> Json:
        """``figures.daily_figures`` over the branch's visits, with the branch's own settings."""
        return figures.daily_figures(
            tickets,
            tz=self.tz,
            tier_ranks=self.tier_ranks,
            counter_spans=spans,
            care_counters=self.care_counters,
        )

    def now(self, centre_now: float | None = None) -> float:
        """The branch's time now: the centre's clock corrected by the measured offset, and
        never before the branch's newest event."""
        centre = time.time() if centre_now is None else centre_now
        return max(centre + self.clock_offset, self.last_event_at)

    def today(self, centre_now: float | None = None) -> str:
        return business_day(self.now(centre_now), self.tz)


def ordered(tickets: list[Ticket]) -> list[Ticket]:
    """The branch's order for a day's visits (``Store.tickets_of_day``)."""
    return sorted(tickets, key=lambda t: (t.issued_at, t.number, t.visit))


async def day_tickets(db: CentralDB, branch: BranchClock, day: str) -> list[Ticket]:
    rows = await db.tickets_of_day(branch.code, day, branch.tier_ranks)
    return ordered([t for _, t in rows])


async def day_spans(
    db: CentralDB, branch: BranchClock, day: str, now: float
) -> list[figures.CounterSpan]:
    tz = branch.tz
    before, during = await db.counter_changes(branch.code, day, day_start(day, tz), branch.counters)
    return spans_of_day(before, during, day, tz, now)


async def day_figures(
    db: CentralDB, branch: BranchClock, day: str, centre_now: float | None = None
) -> Json:
    """What the branch's ``GET /stats/daily?date=day`` answers, from the centre's copy: the
    visits' figures and the appointments'."""
    now = branch.now(centre_now)
    tickets = await day_tickets(db, branch, day)
    spans = await day_spans(db, branch, day, now)
    booked = await db.appointments_of_day(branch.code, day)
    return {
        "date": day,
        **branch.daily_figures(tickets, spans),
        "appointments": appointments.day_figures(booked, with_appointments(tickets, booked)),
    }


# ---------------------------------------------------------------------- the console's lines
def hall_now(tickets: list[Ticket], now: float) -> Json:
    """Who waits in the hall now, and the longest of those waits (from the issue, which a
    transfer keeps)."""
    waiting = [t for t in tickets if t.status is Status.WAITING]
    longest = max((now - t.issued_at for t in waiting), default=None)
    return {
        "waiting": len(waiting),
        "longest_wait_s": None if longest is None else round(max(0.0, longest)),
    }


def figure_line(figs: Json) -> Json:
    """The figures a ranking compares, from ``daily_figures`` (or one of its blocks)."""
    waits, service, ratings = figs["waits"], figs["service_times"], figs["ratings"]
    return {
        "issued": figs["issued"],
        "served": figs["served"],
        "mean_wait_s": waits["mean_s"],
        "p90_wait_s": waits["p90_s"],
        "over_threshold_share": waits.get("over_threshold_share"),
        "mean_service_s": service["mean_s"],
        "rating_mean": ratings["mean"],
        "ratings": ratings["count"],
    }


#: The rankings the console offers: metric, and whether more is better.
RANKINGS: dict[str, tuple[str, bool]] = {
    "wait": ("mean_wait_s", False),
    "over": ("over_threshold_share", False),
    "service": ("mean_service_s", False),
    "rating": ("rating_mean", True),
}


def ranked(lines: list[Json], by: str) -> list[Json]:
    """Lines best first by a ranking of ``RANKINGS``; lines without the figure go last."""
    key, more_is_better = RANKINGS[by]
    known = [line for line in lines if line.get(key) is not None]
    unknown = [line for line in lines if line.get(key) is None]
    known.sort(key=lambda line: (-line[key] if more_is_better else line[key], line["branch"]))
    out = known + sorted(unknown, key=lambda line: line["branch"])
    for rank, line in enumerate(out, start=1):
        line["rank"] = rank if line.get(key) is not None else None
    return out


def teller_lines(code: str, name: str, figs: Json) -> list[Json]:
    """Each teller's line of a branch's day (``by_teller``)."""
    return [
        {"branch": code, "branch_name": name, "teller": teller, **figure_line(block)}
        for teller, block in figs.get("by_teller", {}).items()
        if block["called"] or block["served"]
    ]
