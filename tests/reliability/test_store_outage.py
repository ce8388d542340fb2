"""The database away for a moment (PostgreSQL restarted, SQLite locked by another process):
requests fail cleanly with 503 ``store_unavailable``, nothing is half-written, and the engine
goes on by itself when the database is back."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.load import FollowerThread, day_tickets, last_seq
from tests.support.engine import DISPLAY_TOKEN, LOBBY, RunningEngine
from tests.support.postgres import PostgresServer

API = "/api/v1"


def _lobby_headers(engine: RunningEngine) -> dict[str, str]:
    r = httpx.post(f"{engine.url}{API}/auth/login", json={"login": LOBBY[0], "pin": LOBBY[1]})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _numbers_run_without_holes(engine: RunningEngine, service: str) -> list[str]:
    numbers = sorted(
        r["number"] for r in day_tickets(engine) if r["visit"] == "1" and r["service"] == service
    )
    assert numbers == [f"{service}{i:03d}" for i in range(1, len(numbers) + 1)]
    return numbers


def test_sqlite_locked_by_another_process_is_503_then_goes_on(engine: RunningEngine) -> None:
    headers = _lobby_headers(engine)
    first = httpx.post(f"{engine.url}{API}/tickets", json={"service": "A"}, headers=headers)
    assert first.status_code == 201
    db = sqlite3.connect(engine.workdir / "branchq.db", isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        locked = httpx.post(
            f"{engine.url}{API}/tickets", json={"service": "A"}, headers=headers, timeout=30
        )
        # Reads go on: WAL readers do not wait for the writer.
        services = httpx.get(f"{engine.url}{API}/services", headers=headers)
    finally:
        db.rollback()
        db.close()
    assert locked.status_code == 503
    assert locked.json()["error"]["code"] == "store_unavailable"
    assert locked.headers["retry-after"]
    assert services.status_code == 200
    after = httpx.post(f"{engine.url}{API}/tickets", json={"service": "A"}, headers=headers)
    assert after.status_code == 201
    assert after.json()["number"] == "A002"  # the refused request took no number
    assert _numbers_run_without_holes(engine, "A") == ["A001", "A002"]


@pytest.mark.postgres
def test_postgres_restart_fails_cleanly_and_service_resumes(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    url = postgres.create_database(f"outage_{int(time.time())}")
    engine = RunningEngine(workdir=tmp_path, db_url=url).start()
    follower = FollowerThread(engine.url, DISPLAY_TOKEN).start()
    try:
        headers = _lobby_headers(engine)
        statuses: list[int] = []
        bodies: list[dict[str, object]] = []
        acknowledged: list[str] = []
        stop = threading.Event()

        def issue() -> None:
            with httpx.Client(base_url=engine.url, timeout=15, headers=headers) as http:
                while not stop.is_set():
                    r = http.post(f"{API}/tickets", json={"service": "B"})
                    statuses.append(r.status_code)
                    if r.status_code == 201:
                        acknowledged.append(r.json()["id"])
                    else:
                        bodies.append(r.json())
                    time.sleep(0.02)

        worker = threading.Thread(target=issue)
        worker.start()
        time.sleep(1.0)
        postgres.stop("fast")
        time.sleep(2.0)
        postgres.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and statuses[-1:] != [201]:
            time.sleep(0.1)
        time.sleep(1.0)
        stop.set()
        worker.join()

        assert set(statuses) <= {201, 503}
        assert 503 in statuses
        assert statuses[-1] == 201
        assert all(b["error"]["code"] == "store_unavailable" for b in bodies)  # type: ignore[index]
        rows = {r["id"] for r in day_tickets(engine)}
        assert set(acknowledged) <= rows
        assert len(_numbers_run_without_holes(engine, "B")) == len(acknowledged)
        # Events committed after the restart still reach the display (the listener is back).
        assert follower.wait_for_seq(last_seq(engine))
        assert follower.follower.gaps() == []
    finally:
        follower.stop()
        engine.stop()
