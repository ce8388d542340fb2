"""A branch's day reaches the head office through its leaf node: every event exactly once,
no card number, and the branch's own figures, digit for digit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from queue_core.central.db import CentralDB
from queue_core.central.reports import BranchClock, day_figures
from tests.central.conftest import Bank
from tests.central.traffic import CARD
from tests.reliability.load import last_seq
from tests.support.central import query
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


def test_a_branch_day_reaches_the_centre_with_the_branch_figures(bank: Bank) -> None:
    engine = bank.engines["0101"]
    mine = branch_figures(engine)
    assert centre_figures(bank.office.db_url, "0101", mine["date"]) == mine
    assert mine["served"] > 5 and set(mine["by_teller"]) == {"t01", "t02", "t07"}
    assert mine["vip"]["issued"] == 2 and mine["green_channel"]["issued"] == 1
    assert mine["cancelled"] == 1 and mine["transferred"] == 1
    assert mine["by_counter"]["2"]["paused_s"] is not None  # from the counter spans


def test_every_event_is_stored_once_and_no_card_number_leaves(bank: Bank) -> None:
    for code, engine in bank.engines.items():
        head = last_seq(engine)
        stored = query(
            bank.office.db_url,
            "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM branch_events "
            "WHERE branch = %s",
            code,
        )
        assert stored == [(head, head, 1, head)]
    texts = query(bank.office.db_url, "SELECT data::text FROM branch_events")
    assert texts and not any(CARD in t for (t,) in texts)
