"""A branch file from the centre is applied only at a safe moment: at night, every counter
closed and nobody waiting (the engine's service itself, on SQLite, with a clock of the test's)."""

from __future__ import annotations

import asyncio
import time
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from queue_core.central.branch_api import make_uplink
from queue_core.central.files import (
    BranchFiles,
    file_body,
    load_signing_key,
    new_signing_key,
    sign,
)
from queue_core.central.uplink import outside_hours
from queue_core.config import parse_config
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.counters import MoveCounter
from queue_core.usecases.tickets import CancelTicket, IssueTicket
from tests.support.central import branch_toml, sections_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hhmm: str) -> float:
    return datetime.fromisoformat(f"2026-12-01T{hhmm}:00+08:00").timestamp()


@pytest.mark.parametrize(
    ("hhmm", "night"),
    [("07:59", True), ("08:01", False), ("12:00", False), ("17:59", False), ("18:01", True)],
)
def test_night_is_an_hour_clear_of_opening_hours(hhmm: str, night: bool) -> None:
    assert outside_hours(at(hhmm), SHANGHAI, "09:00", "17:00") is night


def test_a_received_file_waits_for_an_empty_hall_at_night(tmp_path: Path) -> None:
    pem, public = new_signing_key()
    (tmp_path / "key.pem").write_bytes(pem)
    key = load_signing_key(tmp_path / "key.pem")
    config = parse_config(branch_toml(tmp_path, "0101", "nats://127.0.0.1:1", public).read_text())
    store = Store(f"sqlite:///{tmp_path / 'branchq.db'}")
    now = {"t": at("12:00")}
    branch = Branch(config, store, b"k" * 32, clock=lambda: now["t"])
    uplink = make_uplink(config, store, branch, lambda: now["t"])
    restarts: list[bool] = []
    uplink.restart = lambda: restarts.append(True)
    uplink.files = BranchFiles(tmp_path / "central", public, "0101")
    sections = tomllib.loads(sections_file(tmp_path, 1).read_text("utf-8"))
    uplink.files.receive(sign(key, file_body("0101", 1, sections, time.time(), "hq")))
    try:
        run = branch.execute_sync
        run(MoveCounter(1, "open", "t01"))
        assert asyncio.run(uplink.apply_if_quiet()) is None  # midday
        now["t"] = at("20:00")
        assert asyncio.run(uplink.apply_if_quiet()) is None  # night, but counter 1 is open
        run(MoveCounter(1, "close", "t01"))
        run(IssueTicket("kiosk", "A"))
        assert asyncio.run(uplink.apply_if_quiet()) is None  # someone still waits
        (waiting,) = branch.reads.list_tickets(None, None, None)
        run(CancelTicket(waiting["id"]))
        assert asyncio.run(uplink.apply_if_quiet()) == 1
        assert restarts == [True]
        assert uplink.files.versions()["applied"] == 1
    finally:
        asyncio.run(uplink.stop())
        branch.stop()
        store.dispose()
