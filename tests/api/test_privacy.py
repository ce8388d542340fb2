"""Privacy by default (PIPL, JR/T 0171-2020): a ticket's card hash is erased after the branch's
retention, and an admin erases one customer's card, or one ticket's, on request; nothing of the
card reaches a screen, an event or a log."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from queue_core.client import EngineClient, events_url
from tests.api.helpers import error_of
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import ADMIN, DISPLAY_TOKEN, KIOSK_TOKEN

CARD = "6225881000004321"
OTHER = "6225881000009999"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[ClockedEngine]:
    running = ClockedEngine(tmp_path, Clock(at("2026-11-12 10:00"))).start()
    try:
        yield running
    finally:
        running.stop()


def hashes(branch: ClockedEngine) -> dict[str, str | None]:
    with sqlite3.connect(branch.workdir / "q.db") as db:
        rows = db.execute("SELECT business_day, number, card_hash FROM tickets")
        return {number if day == "2026-11-12" else f"{day} {number}": h for day, number, h in rows}


def admin(branch: ClockedEngine) -> EngineClient:
    client = EngineClient(branch.url)
    client.login(*ADMIN)
    return client


def test_card_hashes_go_after_the_branchs_retention_and_the_visits_stay(
    branch: ClockedEngine,
) -> None:
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    kiosk.issue("A", card=CARD)
    assert hashes(branch)["A001"] is not None
    branch.clock.set("2027-02-09 09:00")  # 89 days later: still kept (default 90 days)
    kiosk.issue("A")
    assert hashes(branch)["A001"] is not None
    branch.clock.set("2027-02-11 09:00")  # 91 days: the new day's first write erases it
    kiosk.issue("A")
    assert hashes(branch)["A001"] is None
    with sqlite3.connect(branch.workdir / "q.db") as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone() == (3,)


def test_an_admin_erases_one_customers_card_everywhere_and_nothing_shows_it(
    branch: ClockedEngine,
) -> None:
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    with connect(events_url(branch.url, DISPLAY_TOKEN, None)) as hall:
        hall.recv(timeout=10)
        for card in (CARD, OTHER, CARD):
            kiosk.issue("A", card=card)
        seen = [hall.recv(timeout=10) for _ in range(3)]
    assert not any(CARD in str(m) or CARD[-4:] in str(m) for m in seen)
    held = hashes(branch)
    assert held["A001"] == held["A003"] != held["A002"]

    env = {**os.environ, "BRANCHQ_PIN": ADMIN[1], "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "queue_core.cli", "erase", "--engine", branch.url,
         "--login", ADMIN[0], "--card"],
        input=CARD + "\n", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "erased from 2 ticket(s)"
    after = hashes(branch)
    assert after["A001"] is None and after["A003"] is None and after["A002"] is not None
    # The waiting tickets the engine holds in memory lost it too: a later save keeps it gone.
    lobby = branch.lobby()
    queue = lobby.request("GET", "/queue")
    first = next(t for s in queue["services"] for t in s["waiting"] if t["number"] == "A001")
    lobby.request("POST", f"/tickets/{first['id']}/move", {"service": "B"})  # a new visit
    with sqlite3.connect(branch.workdir / "q.db") as db:
        assert db.execute("SELECT card_hash FROM tickets WHERE number = 'A001'").fetchall() == [
            (None,),
            (None,),
        ]

    second = next(t for s in queue["services"] for t in s["waiting"] if t["number"] == "A002")
    assert admin(branch).request("POST", "/privacy/erase", {"ticket_id": second["id"]}) == {
        "erased": 1
    }
    assert set(hashes(branch).values()) == {None}
    err = error_of(admin(branch).request, "POST", "/privacy/erase", {"card": "12"})
    assert err.status == 422 and err.code == "invalid_card"
    err = error_of(admin(branch).request, "POST", "/privacy/erase", {})
    assert err.status == 422
    err = error_of(lobby.request, "POST", "/privacy/erase", {"ticket_id": second["id"]})
    assert err.status == 403
    assert json.dumps(queue).find(CARD) < 0


def test_a_held_tickets_card_is_erased_and_stays_erased_once_it_is_back_in_line(
    branch: ClockedEngine,
) -> None:
    kiosk = EngineClient(branch.url, KIOSK_TOKEN)
    lost = kiosk.issue("A", card=CARD)
    kiosk.request("POST", f"/tickets/{lost['id']}/print-failed", {"code": "paper_out"})
    assert admin(branch).request("POST", "/privacy/erase", {"card": CARD}) == {"erased": 1}
    # The held ticket the engine keeps in memory lost it too: its release saves no card back.
    lobby = branch.lobby()
    assert lobby.request("POST", f"/tickets/{lost['id']}/release")["held"] is False
    lobby.request("POST", f"/tickets/{lost['id']}/move", {"service": "B"})  # a new visit
    with sqlite3.connect(branch.workdir / "q.db") as db:
        rows = db.execute("SELECT card_hash FROM tickets WHERE number = 'A001'").fetchall()
    assert rows == [(None,), (None,)]
