"""Every branch live, for the console: refreshed every two seconds from the central database.

A branch's rebuilt tickets of its business day are kept in memory and only those changed since
the last look are read again (each ticket row carries the seq of its newest event); the day's
figures are computed again with ``daily_figures`` when the branch's applied seq has moved. A
console request then only filters and serialises what is here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from queue_core.central.db import CentralDB
from queue_core.central.reports import (
    BranchClock,
    figure_line,
    hall_now,
    ordered,
    teller_lines,
)
from queue_core.central.settings import CentralConfig
from queue_core.central.uplink import CLOCK_TOLERANCE_S
from queue_core.domain.tickets import Ticket

log = logging.getLogger(__name__)
Json = dict[str, Any]
REFRESH_S = 2.0


@dataclass
class BranchBoard:
    """One branch's day as the console holds it."""

    code: str
    day: str = ""
    seen_seq: int = 0
    applied: int = -1
    tickets: dict[str, Ticket] = field(default_factory=dict)
    figures: Json | None = None


class LiveBoard:
    def __init__(self, config: CentralConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.boards: dict[str, BranchBoard] = {}
        self.lines: list[Json] = []
        self.refreshed_at: float | None = None
        self.refresh_s: list[float] = []  # the last refreshes' durations (metrics, benchmark)

    def line(self, code: str) -> Json | None:
        return next((line for line in self.lines if line["code"] == code), None)

    async def run(self, db: CentralDB) -> None:
        """Refresh until cancelled; a database outage only makes the board older."""
        while True:
            started = time.perf_counter()
            try:
                await self.refresh(db)
            except Exception:
                log.warning("console refresh failed; the board keeps its last state", exc_info=True)
                await asyncio.sleep(REFRESH_S)
                continue
            self.refresh_s = [*self.refresh_s[-49:], time.perf_counter() - started]
            await asyncio.sleep(REFRESH_S)

    async def refresh(self, db: CentralDB) -> None:
        now = self.clock()
        rows = await db.branch_rows()
        counters = _by_branch(await db.counters_now())
        devices = _by_branch(await db.devices())
        lines = []
        for row in rows:
            clock = BranchClock.of(row)
            if not clock.described:
                continue  # heard of, but nothing known yet to show
            board = self.boards.setdefault(clock.code, BranchBoard(clock.code))
            await self._catch_up(db, board, clock, int(row["applied_seq"]), now)
            lines.append(self._line(row, clock, board, counters, devices, now))
        self.lines = lines
        self.refreshed_at = now

    async def _catch_up(
        self, db: CentralDB, board: BranchBoard, clock: BranchClock, applied: int, now: float
    ) -> None:
        day = clock.today(now)
        if board.day != day:
            board.day, board.seen_seq, board.tickets, board.applied = day, 0, {}, -1
        if board.applied == applied:
            return
        changed = await db.tickets_of_day(clock.code, day, clock.tier_ranks, board.seen_seq)
        for seq, ticket in changed:
            board.tickets[ticket.id] = ticket
            board.seen_seq = max(board.seen_seq, seq)
        tickets = ordered(list(board.tickets.values()))
        board.figures = await asyncio.to_thread(clock.daily_figures, tickets)
        board.applied = applied

    def _line(
        self,
        row: Json,
        clock: BranchClock,
        board: BranchBoard,
        counters: dict[str, list[Json]],
        devices: dict[str, list[Json]],
        now: float,
    ) -> Json:
        described = clock.described
        seen = row.get("last_seen")
        timeout = self.config.central.link_timeout_s
        link = "never" if seen is None else ("up" if now - seen <= timeout else "down")
        mine = counters.get(clock.code, [])
        offset = row.get("clock_offset")
        figs = board.figures or {}
        return {
            "code": clock.code,
            "name": described.get("name") or clock.code,
            "name_en": described.get("name_en", ""),
            "region": self.config.region_of(clock.code),
            "day": board.day,
            "link": link,
            "last_seen": seen,
            "lag": max(0, int(row.get("head_seq") or 0) - int(row["applied_seq"])),
            "applied_seq": int(row["applied_seq"]),
            "clock_offset_s": None if offset is None else round(float(offset), 1),
            "clock_ok": None if offset is None else abs(float(offset)) <= CLOCK_TOLERANCE_S,
            **hall_now(list(board.tickets.values()), clock.now(now)),
            "counters_open": sum(1 for c in mine if c["state"] == "open"),
            "counters_paused": sum(1 for c in mine if c["state"] == "paused"),
            "counters": len(clock.counters),
            "device_faults": _faults(devices.get(clock.code, [])),
            "files": row.get("files") or {},
            **(figure_line(figs) if figs else {}),
        }

    def tellers(self, codes: set[str]) -> list[Json]:
        out: list[Json] = []
        for line in self.lines:
            board = self.boards.get(line["code"])
            if line["code"] in codes and board and board.figures:
                out += teller_lines(line["code"], line["name"], board.figures)
        return out


def _faults(devices: list[Json]) -> list[str]:
    return [d["name"] for d in devices if d["status"] != "ok"]


def _by_branch(rows: list[Json]) -> dict[str, list[Json]]:
    out: dict[str, list[Json]] = {}
    for row in rows:
        out.setdefault(str(row["branch"]), []).append(row)
    return out
