"""``branchq central console``: the head-office web console and its API (``/api/central/v1``).

- ``POST /login {"login","password"}`` → ``{"token","login","name","role","region"}``;
  ``POST /logout``; ``GET /me``.
- ``GET /branches``: every branch the user may see, live (``live.LiveBoard``).
- ``GET /ranking?date=&by=wait|over|service|rating``: branches and tellers ranked
  (``ranking.csv`` likewise).
- ``GET /branches/{code}/day?date=``: one branch's day: its ``/stats/daily`` figures, its
  counters, devices and link; ``…/tickets.csv`` and ``…/figures.csv``: the branch's own CSVs.
- ``POST /marquee {"branches": [...], "text", "hours"?}`` (admin): a signed marquee text.

Errors are the engine's shape, ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import time
from collections.abc import AsyncIterator, Callable
from datetime import date as Date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from queue_core.api import errors
from queue_core.api.app import SecurityHeaders
from queue_core.central.db import CentralDB
from queue_core.central.live import LiveBoard
from queue_core.central.publish import Publisher
from queue_core.central.reports import (
    RANKINGS,
    BranchClock,
    day_figures,
    day_tickets,
    figure_line,
    ranked,
    teller_lines,
)
from queue_core.central.sessions import Sessions, Viewer
from queue_core.central.settings import CentralConfig
from queue_core.domain import figures
from queue_core.domain.errors import InvalidInput, NotFound

API = "/api/central/v1"
WEB = Path(__file__).resolve().parent / "web"
Json = dict[str, Any]
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8"}  # fmt: skip


class LoginBody(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class MarqueeBody(BaseModel):
    branches: list[str] = Field(min_length=1, max_length=5000)
    text: str = Field(min_length=1, max_length=200)
    hours: float | None = Field(default=None, gt=0, le=24 * 30)


class Console:
    """What the routes share: the database, the sessions, the live board."""

    def __init__(self, config: CentralConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.sessions = Sessions(config, clock)
        self.board = LiveBoard(config, clock)
        self.db: CentralDB | None = None
        self.lock = asyncio.Lock()  # one request at a time on the shared connection
        self.day_cache: dict[tuple[str, str], tuple[float, Json]] = {}

    @contextlib.asynccontextmanager
    async def database(self) -> AsyncIterator[CentralDB]:
        async with self.lock:
            if self.db is None or self.db.conn.closed:
                self.db = await CentralDB.connect(self.config.db_url)
            try:
                yield self.db
            except Exception:
                with contextlib.suppress(Exception):
                    await self.db.conn.rollback()
                raise

    def visible(self, viewer: Viewer) -> list[Json]:
        return [line for line in self.board.lines if viewer.sees(line["region"])]

    def branch(self, viewer: Viewer, code: str) -> Json:
        line = self.board.line(code)
        if line is None or not viewer.sees(line["region"]):
            raise NotFound(f"no branch {code}", "branch_not_found")
        return line

    async def clock_of(self, code: str) -> BranchClock:
        async with self.database() as db:
            rows = [r for r in await db.branch_rows() if r["code"] == code]
        if not rows:
            raise NotFound(f"no branch {code}", "branch_not_found")
        return BranchClock.of(rows[0])

    async def day_lines(
        self, viewer: Viewer, day: str | None, by: str
    ) -> tuple[list[Json], list[Json]]:
        """Branch and teller lines of a day (today: from the board; else computed, cached)."""
        if by not in RANKINGS:
            raise InvalidInput(f"rank by one of {', '.join(RANKINGS)}", "unknown_ranking")
        lines = self.visible(viewer)
        codes = {line["code"] for line in lines}
        if day is None:
            branches = [{"branch": ln["code"], "branch_name": ln["name"], "region": ln["region"],
                         **{k: ln.get(k) for k in figure_line_keys()}} for ln in lines]  # fmt: skip
            return ranked(branches, by), ranked(self.board.tellers(codes), by)
        branches, tellers = [], []
        for line in lines:
            figs = await self.past_day(line["code"], day)
            branches.append({"branch": line["code"], "branch_name": line["name"],
                             "region": line["region"], **figure_line(figs)})  # fmt: skip
            tellers += teller_lines(line["code"], line["name"], figs)
        return ranked(branches, by), ranked(tellers, by)

    async def past_day(self, code: str, day: str) -> Json:
        cached = self.day_cache.get((code, day))
        if cached and self.clock() - cached[0] < 60:
            return cached[1]
        clock = await self.clock_of(code)
        async with self.database() as db:
            figs = await day_figures(db, clock, day)
        self.day_cache[(code, day)] = (self.clock(), figs)
        return figs


def figure_line_keys() -> tuple[str, ...]:
    return ("issued", "served", "mean_wait_s", "p90_wait_s", "over_threshold_share",
            "mean_service_s", "rating_mean", "ratings")  # fmt: skip


def _csv_file(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv(rows: list[list[Any]], filename: str) -> Response:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    # A BOM, so spreadsheet programs read the Chinese names.
    return _csv_file("\ufeff" + out.getvalue(), filename)


def create_console(config: CentralConfig, clock: Callable[[], float] = time.time) -> FastAPI:
    console = Console(config, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        board_db = await CentralDB.connect(config.db_url)
        await board_db.migrate()
        refresher = asyncio.create_task(console.board.run(board_db))
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await board_db.close()
            if console.db is not None:
                await console.db.close()

    app = FastAPI(title="BranchQ head office", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.console = console
    errors.install(app)
    app.include_router(_api(console), prefix=API)
    app.include_router(_pages())
    app.add_middleware(SecurityHeaders)
    return app


async def _viewer(request: Request) -> Viewer:
    console: Console = request.app.state.console
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token if scheme.lower() == "bearer" else None
    known = console.sessions.cached(bearer)
    if known is not None:
        return known
    async with console.database() as db:
        return await console.sessions.viewer(db, bearer)


Who = Annotated[Viewer, Depends(_viewer)]
Day = Annotated[Date | None, Query()]


def _api(console: Console) -> APIRouter:
    router = APIRouter()

    @router.post("/login")
    async def login(body: LoginBody) -> Json:
        async with console.database() as db:
            token, who = await console.sessions.login(db, body.login, body.password)
        return {"token": token, "login": who.login, "name": who.name, "role": who.role,
                "region": who.region}  # fmt: skip

    @router.post("/logout")
    async def logout(request: Request, who: Who) -> Json:
        token = request.headers["authorization"].partition(" ")[2]
        async with console.database() as db:
            await console.sessions.logout(db, token)
        return {"ok": True}

    @router.get("/me")
    async def me(who: Who) -> Json:
        return {"login": who.login, "name": who.name, "role": who.role, "region": who.region}

    @router.get("/branches")
    async def branches(who: Who) -> Json:
        regions = {r.code: {"name": r.name, "name_en": r.name_en} for r in console.config.regions}
        return {
            "at": console.board.refreshed_at,
            # How long the last refresh of every branch took (it runs every two seconds).
            "refresh_s": round(console.board.refresh_s[-1], 3) if console.board.refresh_s else None,
            "threshold_s": 180,
            "regions": regions,
            "branches": console.visible(who),
        }

    @router.get("/ranking")
    async def ranking(who: Who, date: Day = None, by: str = "wait") -> Json:
        day = date.isoformat() if date else None
        lines, tellers = await console.day_lines(who, day, by)
        return {"date": day, "by": by, "branches": lines, "tellers": tellers}

    @router.get("/ranking.csv")
    async def ranking_csv(who: Who, date: Day = None, by: str = "wait") -> Response:
        lines, _ = await console.day_lines(who, date.isoformat() if date else None, by)
        keys = ("rank", "branch", "branch_name", "region", *figure_line_keys())
        rows = [list(keys)] + [[line.get(k) for k in keys] for line in lines]
        return _csv(rows, f"ranking-{by}-{date or 'today'}.csv")

    async def chosen(code: str, who: Viewer, date: Date | None) -> tuple[Json, BranchClock, str]:
        """The branch a user asks for (if they may see it), its clock, and the day asked."""
        line = console.branch(who, code)
        clock = await console.clock_of(code)
        return line, clock, date.isoformat() if date else clock.today()

    @router.get("/branches/{code}/day")
    async def branch_day(code: str, who: Who, date: Day = None) -> Json:
        line, clock, day = await chosen(code, who, date)
        async with console.database() as db:
            figs = await day_figures(db, clock, day)
            counters = [c for c in await db.counters_now() if c["branch"] == code]
            devices = [d for d in await db.devices() if d["branch"] == code]
        return {"branch": line, "described": clock.described, "figures": figs,
                "counters": counters, "devices": devices}  # fmt: skip

    @router.get("/branches/{code}/tickets.csv")
    async def tickets_csv(code: str, who: Who, date: Day = None) -> Response:
        _, clock, day = await chosen(code, who, date)
        async with console.database() as db:
            tickets = await day_tickets(db, clock, day)
        return _csv_file(figures.tickets_csv(tickets, clock.tz), f"tickets-{code}-{day}.csv")

    @router.get("/branches/{code}/figures.csv")
    async def figures_csv(code: str, who: Who, date: Day = None) -> Response:
        _, clock, day = await chosen(code, who, date)
        async with console.database() as db:
            figs = await day_figures(db, clock, day)
        return _csv_file(figures.figures_csv(figs), f"figures-{code}-{day}.csv")

    @router.post("/marquee")
    async def marquee(body: MarqueeBody, who: Who) -> Json:
        who.require_admin()
        for code in body.branches:
            console.branch(who, code)
        until = console.clock() + body.hours * 3600 if body.hours else None
        publisher = Publisher(console.config)
        sent = await publisher.marquee(body.branches, body.text, until, who.login)
        return {"sent": sent}

    return router


def _pages() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    headers = {"Cache-Control": "no-cache"}

    @router.get("/")
    def page() -> FileResponse:
        return FileResponse(WEB / "console.html", media_type=_TYPES[".html"], headers=headers)

    @router.get("/ui/central/{name}")
    def asset(name: str) -> FileResponse:
        path = WEB / name
        if "/" in name or path.suffix not in _TYPES or not path.is_file():
            raise NotFound("no such file", "not_found")
        return FileResponse(path, media_type=_TYPES[path.suffix], headers=headers)

    @router.get("/healthz")
    def healthz() -> Json:
        return {"status": "ok"}

    return router
