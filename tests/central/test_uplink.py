"""A branch's day reaches the head office through its leaf node: every event exactly once,
no card number, and the branch's own figures, digit for digit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.errors

from queue_core.central.db import CentralDB
from queue_core.central.protocol import Batch, UpEvent, encode_batch
from queue_core.central.reports import BranchClock, day_figures
from tests.central.conftest import Bank
from tests.central.traffic import CARD
from tests.reliability.load import last_seq
from tests.support.central import applied_seq, query
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


def branch_figures(engine: RunningEngine, day: str | None = None) -> dict[str, Any]:
    token = engine.login(*LOBBY)
    r = httpx.get(
        f"{engine.url}/api/v1/stats/daily",
        params={"date": day} if day else None,
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


def test_a_branch_day_reaches_the_centre_with_the_branch_figures(bank: Bank) -> None:
    engine = bank.engines["0101"]
    mine = branch_figures(engine)
    assert centre_figures(bank.office.db_url, "0101", mine["date"]) == mine
    # Tomorrow's appointments, as the lobby prepares them: the same block at the centre.
    tomorrow = (date.fromisoformat(mine["date"]) + timedelta(days=1)).isoformat()
    ahead = branch_figures(engine, tomorrow)
    assert (ahead["appointments"]["booked"], ahead["appointments"]["cancelled"]) == (1, 1)
    assert centre_figures(bank.office.db_url, "0101", tomorrow) == ahead
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


def test_a_branch_cannot_send_events_as_another(bank: Bank) -> None:
    """Branch 0101's leaf may publish only on bq.up.0101; a batch there that claims to be
    0201's is dropped by the centre, and one on bq.up.0201 never reaches the stream."""
    before = applied_seq(bank.office.db_url, "0201")
    event = UpEvent(before + 1, "announcement", time.time(), {"id": 1, "text": "forged"})
    payload, headers = encode_batch(Batch("0201", [event], time.time()))

    async def forge() -> int:
        leaf = await nats.connect(bank.office.leaves["0101"].url, inbox_prefix="_INBOX_0101")
        central = await nats.connect(bank.office.centre.url)
        try:
            await leaf.jetstream(domain="central").publish("bq.up.0101", payload, headers=headers)
            with contextlib.suppress(nats.errors.Error):
                await leaf.jetstream(domain="central").publish(
                    "bq.up.0201", payload, headers=headers, timeout=2
                )
            js = central.jetstream()
            for _ in range(300):  # until the consumer has taken and answered everything
                info = await js.consumer_info("BQ_UP", "central")
                if not info.num_pending and not info.num_ack_pending:
                    break
                await asyncio.sleep(0.1)
            return int((await js.stream_info("BQ_UP")).state.messages)
        finally:
            await leaf.close()
            await central.close()

    asyncio.run(forge())
    assert applied_seq(bank.office.db_url, "0201") == before
    texts = query(bank.office.db_url, "SELECT data::text FROM branch_events")
    assert not any("forged" in t for (t,) in texts)


def test_a_branch_whose_clock_is_off_is_flagged(bank: Bank, tmp_path: Path) -> None:
    """Branch 0102's clock runs 90 s fast: the centre flags it, and the branch knows too."""
    import asyncio
    import time

    from queue_core.central.uplink import Uplink
    from queue_core.config import parse_config
    from queue_core.store import Store
    from tests.support.central import branch_toml

    leaf = bank.office.leaf("0102")
    config = parse_config(branch_toml(tmp_path, "0102", leaf.url, bank.office.key.public)
                          .read_text("utf-8"))  # fmt: skip
    store = Store(f"sqlite:///{tmp_path / 'branchq.db'}")

    def flagged() -> bool:
        lines = bank.get("hq-admin", "/branches").json()["branches"]
        return any(b["code"] == "0102" and b["clock_ok"] is False for b in lines)

    async def run() -> dict[str, object]:
        uplink = Uplink(config, store, clock=lambda: time.time() + 90)
        await uplink.start()
        try:
            while not await asyncio.to_thread(flagged):
                await asyncio.sleep(0.2)
            return await uplink.status()
        finally:
            await uplink.stop()

    try:
        status = asyncio.run(asyncio.wait_for(run(), 60))
    finally:
        store.dispose()
    assert status["clock_ok"] is False and 80 < float(status["clock_offset_s"]) < 100  # type: ignore[arg-type]
    line = next(b for b in bank.get("hq-admin", "/branches").json()["branches"]
                if b["code"] == "0102")  # fmt: skip
    assert 80 < line["clock_offset_s"] < 100
