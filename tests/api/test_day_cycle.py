"""The business day, against an engine whose clock the test moves across midnight: nothing of
yesterday's hall is seen today, and the kiosk offers what the branch will serve."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from queue_core.client import EngineClient, events_url
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[ClockedEngine]:
    running = ClockedEngine(tmp_path, Clock(at("2026-11-12 16:00"))).start()
    try:
        yield running
    finally:
        running.stop()


def snapshot(branch: ClockedEngine) -> dict[str, object]:
    with connect(events_url(branch.url, DISPLAY_TOKEN, None)) as ws:
        event = json.loads(ws.recv(timeout=10))
    assert event["type"] == "snapshot"
    data: dict[str, object] = event["data"]
    return data


def test_counters_start_the_day_closed_and_held_by_nobody(branch: ClockedEngine) -> None:
    """B1: open and paused counters do not carry over into the next day with their teller."""
    t3, t5 = branch.teller(3), branch.teller(5)
    t3.counter_action(3, "open")
    t5.counter_action(5, "open")
    t5.counter_action(5, "pause", {"reason": "lunch"})

    branch.clock.set("2026-11-13 08:30")
    counters = {c["number"]: c for c in branch.lobby().counters()}
    assert {n: (c["state"], c["teller"]) for n, c in counters.items() if n in (3, 5)} == {
        3: ("closed", None),
        5: ("closed", None),
    }
    assert all(c["state"] == "closed" for c in counters.values())


def test_yesterdays_waiting_tickets_are_gone_the_moment_the_day_changes(
    branch: ClockedEngine,
) -> None:
    """B2: right after midnight, yesterday's waiting tickets are neither ahead nor callable."""
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    t2 = branch.teller(2)
    t2.counter_action(2, "open")
    late = [kiosk.issue("A") for _ in range(4)]
    assert late[-1]["ahead"] == 3

    branch.clock.set("2026-11-13 00:00:30")  # before any housekeeping could run
    first = kiosk.issue("A")
    assert (first["number"], first["ahead"]) == ("A001", 0)
    t2.counter_action(2, "open")  # the counter starts the day closed
    called = t2.call_next(2)
    assert called is not None and called["id"] == first["id"]
    t2.counter_action(2, "finish")
    assert t2.call_next(2) is None  # none of yesterday's four
    assert {branch.lobby().ticket(t["id"])["status"] for t in late} == {"cancelled"}


def test_the_hall_starts_the_day_without_yesterdays_calls_and_announcements(
    branch: ClockedEngine,
) -> None:
    """B3: the display's recent calls and the marquee are today's only."""
    kiosk, lobby, t2 = EngineClient(branch.url, KIOSK_TOKEN), branch.lobby(), branch.teller(2)
    t2.counter_action(2, "open")
    kiosk.issue("A")
    assert t2.call_next(2) is not None
    lobby.request("POST", "/announcements", {"text": "今日理财讲座 15:00"})
    lobby.request(
        "POST",
        "/announcements",
        {"text": "明早 10:00 前系统维护", "until": "2026-11-13T10:00+08:00"},
    )
    before = snapshot(branch)
    assert len(before["last_calls"]) == 1 and len(before["announcements"]) == 2  # type: ignore[arg-type]

    branch.clock.set("2026-11-13 08:30")
    after = snapshot(branch)
    assert after["last_calls"] == []
    assert [a["text"] for a in after["announcements"]] == ["明早 10:00 前系统维护"]  # type: ignore[attr-defined]
    assert [a["text"] for a in branch.lobby().request("GET", "/announcements")] == [
        "明早 10:00 前系统维护"
    ]


def test_the_kiosk_offers_a_service_while_its_counters_work_or_before_opening(
    branch: ClockedEngine,
) -> None:
    """B10: a service whose only counter pauses for lunch stays offered, and before the branch
    opens every service is offered; after closing, with every counter closed, none is."""
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    branch.clock.set("2026-11-13 08:40")
    assert {s["code"]: s["open"] for s in kiosk.services()} == dict.fromkeys("ABCDV", True)

    branch.clock.set("2026-11-13 09:00")
    t7 = branch.teller(7)  # counter 7 is the only one serving V
    t7.counter_action(7, "open")
    t7.counter_action(7, "pause", {"reason": "lunch"})
    offered = {s["code"]: s["open"] for s in kiosk.services()}
    assert offered["V"] and offered["D"] and offered["A"]
    assert not offered["C"]  # counters 5 and 6 are closed while the branch works
    issued = kiosk.issue("V")
    assert issued["estimated_wait_s"] is None  # nobody calls V right now: no invented number

    t7.counter_action(7, "resume")
    t7.counter_action(7, "close")
    branch.clock.set("2026-11-13 17:30")
    assert {s["code"]: s["open"] for s in kiosk.services()} == dict.fromkeys("ABCDV", False)
