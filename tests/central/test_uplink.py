"""A branch's day reaches the head office through its leaf node, exactly once, with the
branch's own figures; and the engine keeps serving while the link is down."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from queue_core.central.db import CentralDB
from queue_core.central.reports import BranchClock, day_figures
from tests.central.conftest import HeadOffice
from tests.central.traffic import CARD, play_day
from tests.reliability.load import last_seq
from tests.support.central import applied_seq, branch_toml, query, wait_until
from tests.support.engine import LOBBY, RunningEngine


def centre_figures(db_url: str, code: str, day: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        db = await CentralDB.connect(db_url)
        try:
            row = next(r for r in await db.branch_rows() if r["code"] == code)
            return await day_figures(db, BranchClock.of(row), day)
        finally:
            await db.close()

    return asyncio.run(read())


def branch_figures(engine: RunningEngine) -> dict[str, Any]:
    token = engine.login(*LOBBY)
    r = httpx.get(f"{engine.url}/api/v1/stats/daily", headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


def test_a_branch_day_reaches_the_centre_with_the_branch_figures(
    head_office: HeadOffice, tmp_path: Any
) -> None:
    leaf = head_office.leaf("0101")
    work = tmp_path / "branch-0101"
    work.mkdir()
    config = branch_toml(work, "0101", leaf.url, head_office.key.public)
    engine = RunningEngine(workdir=work, config=config).start()
    try:
        play_day(engine)
        head = last_seq(engine)
        wait_until(
            lambda: applied_seq(head_office.db_url, "0101") == head, 60, "the centre has the day"
        )
        mine = branch_figures(engine)
        theirs = centre_figures(head_office.db_url, "0101", mine["date"])
        assert theirs == mine
        assert mine["served"] > 5 and set(mine["by_teller"]) == {"t01", "t02", "t07"}
        assert mine["vip"]["issued"] == 2 and mine["green_channel"]["issued"] == 1
        assert mine["cancelled"] == 1 and mine["transferred"] == 1
        assert mine["by_counter"]["2"]["paused_s"] is not None  # from the counter spans
        stored = query(
            head_office.db_url,
            "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM branch_events "
            "WHERE branch = '0101'",
        )
        assert stored == [(head, head, 1, head)]  # every event, once
        texts = query(head_office.db_url, "SELECT data::text FROM branch_events")
        assert not any(CARD in t for (t,) in texts)  # the card number never left the branch
    finally:
        engine.stop()
