"""The kiosk's "请大堂经理帮忙": the lobby console and the hall display learn which kiosk asks,
no ticket is taken, the lobby manager's answer clears it everywhere, and a new day starts clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from queue_core.client import EngineClient, events_url
from tests.api.helpers import error_of
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[ClockedEngine]:
    running = ClockedEngine(tmp_path, Clock(at("2026-11-12 10:00"))).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_kiosk_calls_the_lobby_manager_without_taking_a_ticket(branch: ClockedEngine) -> None:
    kiosk, lobby = EngineClient(branch.url, KIOSK_TOKEN), branch.lobby()
    with connect(events_url(branch.url, DISPLAY_TOKEN, None)) as hall:
        assert json.loads(hall.recv(timeout=10))["type"] == "snapshot"
        asked = kiosk.request("POST", "/help")
        event = json.loads(hall.recv(timeout=10))
    assert event["type"] == "help" and event["data"] == asked
    assert asked["device"] == "kiosk-1" and asked["state"] == "open"
    assert set(asked) == {"id", "device", "state", "at"}  # nothing about the customer
    assert lobby.request("GET", "/help") == [asked]
    assert EngineClient(branch.url, DISPLAY_TOKEN).request("GET", "/help") == [asked]
    queue = lobby.request("GET", "/queue")
    assert all(s["waiting"] == [] for s in queue["services"])

    answered = lobby.request("POST", f"/help/{asked['id']}/answer")
    assert answered["state"] == "answered" and answered["id"] == asked["id"]
    assert lobby.request("GET", "/help") == []
    # A second manager pressing "我去" too changes nothing.
    assert lobby.request("POST", f"/help/{asked['id']}/answer")["state"] == "answered"
    err = error_of(lobby.request, "POST", "/help/nope/answer")
    assert err.status == 404 and err.code == "help_not_found"


def test_open_requests_survive_a_restart_but_not_the_night(branch: ClockedEngine) -> None:
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    first = kiosk.request("POST", "/help")
    second = kiosk.request("POST", "/help")
    branch.lobby().request("POST", f"/help/{first['id']}/answer")
    branch.stop()
    branch.start()
    assert [h["id"] for h in branch.lobby().request("GET", "/help")] == [second["id"]]
    with connect(events_url(branch.url, DISPLAY_TOKEN, None)) as ws:
        snap = json.loads(ws.recv(timeout=10))
    assert [h["id"] for h in snap["data"]["help"]] == [second["id"]]
    branch.clock.set("2026-11-13 08:30")
    assert branch.lobby().request("GET", "/help") == []
