"""Who holds a counter: the teller who opened it, until it closes or a colleague takes it
over; the lobby manager and the keypad act on it without taking it from them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_core.client import EngineClient
from tests.api.helpers import error_of
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import KIOSK_TOKEN, SIGN_TOKEN


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[ClockedEngine]:
    running = ClockedEngine(tmp_path, Clock(at("2026-11-12 10:00"))).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_keypad_call_is_recorded_under_the_teller_at_the_counter(branch: ClockedEngine) -> None:
    """B4: the keypad is the teller's hand: its calls count for the teller holding the counter."""
    kiosk, keypad = EngineClient(branch.url, KIOSK_TOKEN), EngineClient(branch.url, SIGN_TOKEN)
    branch.teller(6).counter_action(6, "open")
    kiosk.issue("C")
    kiosk.issue("C")
    by_caller = branch.teller(6).call_next(6)
    assert by_caller is not None and by_caller["teller"] == "t06"
    branch.teller(6).counter_action(6, "finish")
    by_keypad = keypad.call_next(6)
    assert by_keypad is not None and by_keypad["teller"] == "t06"
    keypad.counter_action(6, "finish")
    figures = branch.lobby().request("GET", "/stats/daily")
    assert figures["by_counter"]["6"]["called"] == 2
    assert figures["by_teller"]["t06"]["called"] == 2


def test_a_second_teller_cannot_work_a_counter_another_holds_until_taking_it_over(
    branch: ClockedEngine,
) -> None:
    """B8: logging in at a held counter does not make it yours; taking it over does, openly."""
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    first = branch.teller(3)
    first.counter_action(3, "open")
    kiosk.issue("A")
    second = branch.teller(5, login_at=3)  # t05 logs in at counter 3

    err = error_of(second.call_next, 3)
    assert (err.status, err.code) == (409, "counter_held")
    assert "t03" in err.message
    assert error_of(second.counter_action, 3, "close").code == "counter_held"
    counter = branch.lobby().request("GET", "/counters/3")
    assert (counter["state"], counter["teller"], counter["current"]) == ("open", "t03", None)

    taken = second.counter_action(3, "take-over")
    assert taken is not None and (taken["state"], taken["teller"]) == ("open", "t05")
    called = second.call_next(3)
    assert called is not None and called["teller"] == "t05"
    assert error_of(first.counter_action, 3, "finish").code == "counter_held"


def test_the_lobby_working_a_counter_leaves_it_with_its_teller(branch: ClockedEngine) -> None:
    """B9: the lobby manager resuming (or pausing) a counter does not become its teller."""
    lobby, t3 = branch.lobby(), branch.teller(3)
    t3.counter_action(3, "open")
    t3.counter_action(3, "pause", {"reason": "break"})
    resumed = lobby.counter_action(3, "resume")
    assert resumed is not None and (resumed["state"], resumed["teller"]) == ("open", "t03")
    paused = lobby.counter_action(3, "pause")
    assert paused is not None and paused["teller"] == "t03"
    assert t3.counter_action(3, "resume")["teller"] == "t03"  # type: ignore[index]
    lobby.counter_action(3, "close")
    reopened = lobby.counter_action(3, "open")
    assert reopened is not None and reopened["teller"] is None  # nobody holds it yet
    t3.counter_action(3, "pause")
    assert lobby.request("GET", "/counters/3")["teller"] == "t03"  # working it, t03 holds it
