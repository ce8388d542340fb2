"""The kiosk's "请大堂经理帮忙": the lobby console and the hall display learn which kiosk asks,
no ticket is taken, the lobby manager's answer clears it everywhere, and a new day starts clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from queue_core.client import EngineClient, events_url
from queue_core.config import load_config
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
    assert set(asked) == {"id", "kind", "device", "state", "at"}  # nothing about the customer
    assert asked["kind"] == "help"
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


def waiting_ticket(branch: ClockedEngine, number: str) -> dict[str, object]:
    queue = branch.lobby().request("GET", "/queue")
    return next(t for s in queue["services"] for t in s["waiting"] if t["number"] == number)


def test_a_green_channel_asked_for_at_the_kiosk_waits_for_the_lobby_managers_word(
    branch: ClockedEngine,
) -> None:
    kiosk, lobby = EngineClient(branch.url, KIOSK_TOKEN), branch.lobby()
    first = kiosk.request("POST", "/tickets", {"service": "A", "care": True})
    second = kiosk.request("POST", "/tickets", {"service": "A", "care": True})
    assert not first["green_channel"]  # the branch's default: the lobby manager confirms
    asked = lobby.request("GET", "/help")
    assert [(h["kind"], h["ticket"]["number"]) for h in asked] == [
        ("care", "A001"),
        ("care", "A002"),
    ]
    err = error_of(lobby.request, "POST", f"/help/{asked[0]['id']}/answer")
    assert err.status == 422 and err.code == "grant_missing"

    with connect(events_url(branch.url, DISPLAY_TOKEN, None)) as hall:
        hall.recv(timeout=10)
        granted = lobby.request("POST", f"/help/{asked[0]['id']}/answer", {"grant": True})
        kinds = [json.loads(hall.recv(timeout=10))["type"] for _ in range(2)]
    assert granted["state"] == "granted" and kinds == ["ticket.green_channel", "help"]
    assert waiting_ticket(branch, "A001")["green_channel"] is True
    declined = lobby.request("POST", f"/help/{asked[1]['id']}/answer", {"grant": False})
    assert declined["state"] == "declined"
    assert waiting_ticket(branch, "A002")["green_channel"] is False
    assert lobby.request("GET", "/help") == [] and second["number"] == "A002"


def test_a_branch_may_let_the_kiosk_grant_the_green_channel_itself(tmp_path: Path) -> None:
    config = load_config()
    config = config.model_copy(
        update={"care": config.care.model_copy(update={"green_channel": "kiosk"})}
    )
    running = ClockedEngine(tmp_path, Clock(at("2026-11-12 10:00")), config).start()
    try:
        kiosk = EngineClient(running.url, KIOSK_TOKEN)
        assert kiosk.request("POST", "/tickets", {"service": "A", "care": True})["green_channel"]
        assert running.lobby().request("GET", "/help") == []
        err = error_of(kiosk.request, "POST", "/tickets", {"service": "A", "green_channel": True})
        assert err.status == 403  # the kiosk still cannot grant it by any other way
    finally:
        running.stop()
