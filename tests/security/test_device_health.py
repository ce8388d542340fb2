"""Device health reports from a token standing in the public hall (a kiosk's): a bounded
detail, a bounded rate, and a bounded share of the event stream every subscriber reads.
The engine's clock stands still unless the test moves it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN

API = "/api/v1"


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[ClockedEngine]:
    running = ClockedEngine(tmp_path, Clock(at("2026-11-12 10:00"))).start()
    try:
        yield running
    finally:
        running.stop()


def report(branch: ClockedEngine, token: str, status: str, detail: object) -> httpx.Response:
    return httpx.post(
        f"{branch.url}{API}/devices/health",
        json={"status": status, "detail": detail},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def stored(branch: ClockedEngine, name: str) -> tuple[str, object] | None:
    """The device's stored report (what ``GET /devices`` shows), read from the database: a
    staff login's deliberately slow PIN check has no place in these tests."""
    with sqlite3.connect(branch.workdir / "q.db") as db:
        row = db.execute("SELECT status, detail FROM devices WHERE name = ?", (name,)).fetchone()
    return None if row is None else (row[0], json.loads(row[1]))


def device_events(branch: ClockedEngine, name: str) -> int:
    with sqlite3.connect(branch.workdir / "q.db") as db:
        rows = db.execute("SELECT data FROM events WHERE type = 'device.updated'").fetchall()
    return sum(1 for (data,) in rows if f'"name":"{name}"' in data.replace(" ", ""))


def test_a_huge_health_detail_is_refused_and_reaches_no_one(branch: ClockedEngine) -> None:
    r = report(branch, KIOSK_TOKEN, "ok", {"junk": "x" * 50_000})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "health_detail_too_large"
    assert "4096" in r.json()["error"]["message"]
    assert device_events(branch, "kiosk-1") == 0
    assert stored(branch, "kiosk-1") is None


def test_a_device_reporting_too_often_is_told_when_to_send_again(branch: ClockedEngine) -> None:
    answers = [report(branch, KIOSK_TOKEN, "ok", {"n": i}).status_code for i in range(14)]
    assert answers == [200] * 10 + [429] * 4
    refused = report(branch, KIOSK_TOKEN, "ok", {"n": 99}).json()["error"]
    assert refused["code"] == "health_reports_too_often"
    assert "send the next in 5 s" in refused["message"]
    # Other devices keep their own allowance.
    assert report(branch, DISPLAY_TOKEN, "ok", {}).status_code == 200
    branch.clock.now += 5
    assert report(branch, KIOSK_TOKEN, "ok", {"n": 100}).status_code == 200
    assert report(branch, KIOSK_TOKEN, "ok", {"n": 101}).status_code == 429


def test_a_changing_detail_is_news_once_a_minute_a_changed_status_at_once(
    branch: ClockedEngine,
) -> None:
    for seq in range(5):  # a display's detail changes with every report (its last seq)
        assert report(branch, DISPLAY_TOKEN, "ok", {"last_seq": seq}).status_code == 200
        branch.clock.now += 10
    assert device_events(branch, "hall-display") == 1
    assert report(branch, DISPLAY_TOKEN, "warning", {"voice": "none"}).status_code == 200
    assert device_events(branch, "hall-display") == 2
    branch.clock.now += 30
    assert report(branch, DISPLAY_TOKEN, "warning", {"voice": "none", "n": 1}).status_code == 200
    assert device_events(branch, "hall-display") == 2
    branch.clock.now += 30
    assert report(branch, DISPLAY_TOKEN, "warning", {"voice": "none", "n": 2}).status_code == 200
    assert device_events(branch, "hall-display") == 3
    # The stored report is always the latest, news or not.
    assert stored(branch, "hall-display") == ("warning", {"voice": "none", "n": 2})
