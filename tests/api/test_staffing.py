"""The staffing advice, live: an engine whose clock stands on a pension-day morning looks ahead
on the lobby's request, advises opening a counter with its figure, raises the alert on the
event stream, records that the advice was followed when the counter opens, and an hour later
what the hour turned out to be."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from queue_core.client import EngineClient, EngineError, events_url
from queue_core.config import load_config
from tests.support.clocked import PLAN_BOUND_S, Clock, ClockedEngine, at
from tests.support.engine import DISPLAY_TOKEN, LOBBY

#: A look-ahead plays the coming hour several times per candidate: give it time on a busy
#: machine (it is not what is measured here).
LOOK_TIMEOUT_S = 120.0


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[ClockedEngine]:
    running = ClockedEngine(tmp_path, Clock(at("2026-12-14 10:00"))).start()
    try:
        yield running
    finally:
        running.stop()


def lobby(branch: ClockedEngine) -> EngineClient:
    c = EngineClient(branch.url, timeout=LOOK_TIMEOUT_S)
    c.login(*LOBBY)
    return c


def events_since(branch: ClockedEngine, since: int, types: set[str]) -> list[dict[str, object]]:
    """The logged events after ``since`` of the given types (the stream replays them)."""
    out = []
    with connect(events_url(branch.url, DISPLAY_TOKEN, since)) as ws:
        while True:
            try:
                event = json.loads(ws.recv(timeout=2))
            except TimeoutError:
                return out
            if event["type"] in types:
                out.append(event)


def test_a_crowded_hall_gets_an_alert_and_an_advice_with_its_figure_that_is_recorded(
    branch: ClockedEngine,
) -> None:
    desk = lobby(branch)
    desk.counter_action(1, "open")
    for _ in range(30):
        desk.issue("A")
    for _ in range(6):
        desk.issue("B")
    before = desk.request("GET", "/staffing")
    assert before == {"forecast": None, "advice": [], "outcomes": []}

    found = desk.request("POST", "/staffing/look")
    forecast = found["forecast"]
    assert forecast["alert"] is True and forecast["over_share"] > forecast["max_over_share"]
    assert forecast["over_s"] == 180 and forecast["max_over_share"] == 0.15
    (advice,) = found["advice"]
    assert advice["kind"] == "open" and advice["state"] == "open"
    assert advice["over_share_after"] < advice["over_share_before"]
    assert advice["text"].startswith(f"open counter {advice['counter']}: waits over 3 min")
    assert "→" in advice["text"] and advice["counter_name"].startswith(f"{advice['counter']}号")

    news = events_since(branch, 0, {"staffing.alert", "staffing.advice"})
    assert [e["type"] for e in news] == ["staffing.advice", "staffing.alert"]
    assert news[0]["data"]["advice"]["id"] == advice["id"]  # type: ignore[index]
    assert news[1]["data"]["forecast"]["alert"] is True  # type: ignore[index]

    # Looking again gives the same advice no second time while it is open (it counts as done:
    # a further counter may be advised on top of it).
    again = desk.request("POST", "/staffing/look")["advice"]
    assert [a["id"] for a in again].count(advice["id"]) == 1
    assert len({(a["kind"], a["counter"]) for a in again}) == len(again)

    desk.counter_action(advice["counter"], "open")
    followed = desk.request("POST", "/staffing/look")
    mine = next(a for a in followed["advice"] if a["id"] == advice["id"])
    assert mine["state"] == "followed" and mine["resolved_at"] is not None
    with pytest.raises(EngineError) as refused:
        desk.request("POST", f"/staffing/advice/{advice['id']}", {"state": "dismissed"})
    assert (refused.value.status, refused.value.code) == (409, "advice_closed")

    # An hour on, with most still waiting past 3 minutes, the hour is observed as it was.
    branch.clock.set("2026-12-14 11:01")
    later = desk.request("POST", "/staffing/look")
    mine = next(a for a in later["advice"] if a["id"] == advice["id"])
    assert mine["observed_customers"] == 36 and mine["observed_over_share"] > 0.5
    # The day's outcomes: what the hours after the followed advice came to, against their
    # forecasts (here the only followed advice whose hour is counted is this one).
    followed_ = next(o for o in later["outcomes"] if o["state"] == "followed")
    assert followed_["observed_advice"] >= 1 and followed_["customers"] >= 36
    assert followed_["observed_over_share"] is not None


def test_the_lobby_records_an_advice_it_set_aside(branch: ClockedEngine) -> None:
    desk = lobby(branch)
    desk.counter_action(1, "open")
    for _ in range(30):
        desk.issue("A")
    (advice,) = desk.request("POST", "/staffing/look")["advice"]
    done = desk.request("POST", f"/staffing/advice/{advice['id']}", {"state": "dismissed"})
    assert (done["state"], done["resolved_by"]) == ("dismissed", "lobby")
    with pytest.raises(EngineError) as bad:
        desk.request("POST", f"/staffing/advice/{advice['id']}", {"state": "expired"})
    assert bad.value.status == 422
    with pytest.raises(EngineError) as missing:
        desk.request("POST", "/staffing/advice/999", {"state": "followed"})
    assert (missing.value.status, missing.value.code) == (404, "advice_not_found")


def test_only_the_lobby_sees_and_acts_on_the_advice(branch: ClockedEngine) -> None:
    teller = branch.teller(3)
    for path, method in (("/staffing", "GET"), ("/staffing/look", "POST")):
        with pytest.raises(EngineError) as refused:
            teller.request(method, path)
        assert refused.value.status == 403


def test_outside_opening_hours_there_is_nothing_to_look_ahead_to(tmp_path: Path) -> None:
    running = ClockedEngine(tmp_path, Clock(at("2026-12-14 18:30"))).start()
    try:
        desk = lobby(running)
        nothing = desk.request("POST", "/staffing/look")
        assert nothing == {"forecast": None, "advice": [], "outcomes": []}
    finally:
        running.stop()


def planned(desk: EngineClient, day: str | None = None) -> dict[str, Any]:
    """The day's plan once made: the engine answers ``planning`` at once while it makes it."""
    params = {"date": day} if day else None
    deadline = time.monotonic() + PLAN_BOUND_S
    while time.monotonic() < deadline:
        body: dict[str, Any] = desk.request("GET", "/staffing/plan", params=params)
        if body["state"] == "ready":
            return body
        assert (body["state"], body["hours"]) == ("planning", [])
        time.sleep(0.5)
    raise AssertionError(f"no plan for {day or 'today'} within {PLAN_BOUND_S} s")


def test_the_day_is_planned_before_opening_from_its_type(tmp_path: Path) -> None:
    """Before opening on the 14th (pension days): the plan staffs every one of the demo
    branch's eight counters for the morning's surge, hour by hour from 09:00, the care window
    always among them; it is made once, in the background, and kept."""
    running = ClockedEngine(tmp_path, Clock(at("2026-12-14 08:00"))).start()
    try:
        desk = lobby(running)
        first = desk.request("GET", "/staffing/plan")
        assert (first["date"], first["day_type"], first["state"]) == (
            "2026-12-14", "pension_day", "planning"
        )  # fmt: skip
        pension = planned(desk)
        hours = pension["hours"]
        assert [h["start"][11:16] for h in hours] == [f"{h:02d}:00" for h in range(9, 17)]
        assert all(8 in h["counters"] for h in hours)
        assert hours[0]["counters"] == list(range(1, 9))
        assert all(0.0 <= h["over_share"] <= 1.0 for h in hours)
        assert pension["counter_hours"] == sum(len(h["counters"]) for h in hours)
        assert desk.request("GET", "/staffing/plan", params={"date": "2026-12-14"}) == pension
    finally:
        running.stop()


@pytest.mark.slow
def test_a_pension_day_is_planned_with_more_counter_hours_than_an_ordinary_day(
    tmp_path: Path,
) -> None:
    running = ClockedEngine(tmp_path, Clock(at("2026-12-14 08:00"))).start()
    try:
        desk = lobby(running)
        pension = planned(desk)
        ordinary = planned(desk, "2026-12-09")
        assert ordinary["day_type"] == "weekday"
        assert pension["counter_hours"] > ordinary["counter_hours"] > 0
    finally:
        running.stop()


@pytest.mark.slow
def test_the_day_plan_counts_the_days_booked_appointments(tmp_path: Path) -> None:
    """Forty large-cash appointments booked in the quietest hour of an ordinary day: that day's
    plan counts them and staffs the hour with more counters than another ordinary day's plan,
    which has none (the same plan but for them); a cancelled booking makes the plan again."""
    config = load_config()
    config = config.model_copy(
        update={"appointments": config.appointments.model_copy(update={"per_slot": 20})}
    )
    running = ClockedEngine(tmp_path, Clock(at("2026-12-08 16:00")), config=config).start()
    try:
        desk = lobby(running)
        without = planned(desk, "2026-12-10")
        assert (without["day_type"], without["appointments"]) == ("weekday", 0)
        fewest = min(len(h["counters"]) for h in without["hours"])
        hour = next(i for i, h in enumerate(without["hours"]) if len(h["counters"]) == fewest)
        clock = without["hours"][hour]["start"][11:13]
        booked = [
            desk.request(
                "POST", "/appointments",
                {"service": "A", "day": "2026-12-09", "start": f"2026-12-09T{clock}:{m}:00+08:00"},
            )
            for m in ("00", "30")
            for _ in range(20)
        ]  # fmt: skip
        with_them = planned(desk, "2026-12-09")
        assert (with_them["day_type"], with_them["appointments"]) == ("weekday", 40)
        assert len(with_them["hours"][hour]["counters"]) > fewest
        for h in with_them["hours"]:
            assert h["mean_wait_s"] >= 0 and h["longest_wait_s"] >= h["mean_wait_s"]
        desk.request("POST", f"/appointments/{booked[0]['id']}/cancel")
        again = desk.request("GET", "/staffing/plan", params={"date": "2026-12-09"})
        assert (again["state"], again["appointments"]) == ("planning", 39)
    finally:
        running.stop()
