"""kill -9 of the engine while kiosks issue and tellers call: nothing acknowledged is lost,
no number repeats, the display sees every seq once and in order, and everyone resumes by
themselves. ``bench/reliability.py kill9`` runs the 20-round version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.load import branch_file, crash_under_load
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN, RunningEngine


def _check(engine: RunningEngine, rounds: int) -> None:
    report = crash_under_load(
        engine,
        rounds=rounds,
        busy_s=1.5,
        kiosks=[KIOSK_TOKEN, "demo-kiosk-2", None],
        counters=[1, 2, 3, 4],
        display_token=DISPLAY_TOKEN,
    )
    assert report.acknowledged > 20
    assert report.lost == []
    assert report.repeated_numbers == []
    assert report.seq_gaps == []
    assert report.snapshots_after_start == 0
    assert report.called_twice == []
    assert report.follower_last_seq == report.engine_last_seq
    assert report.issued_after_last_restart > 0
    assert report.calls_after_last_restart > 0
    assert report.reconnects == rounds + 1


def test_kill_9_under_load_once_loses_nothing(tmp_path: Path) -> None:
    config = branch_file(tmp_path, kiosk_per_minute=6000)
    engine = RunningEngine(workdir=tmp_path, config=config).start()
    try:
        _check(engine, rounds=1)
    finally:
        engine.stop()


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_9_under_load_three_times_on_postgres(tmp_path: Path, postgres: object) -> None:
    from tests.support.postgres import PostgresServer

    assert isinstance(postgres, PostgresServer)
    config = branch_file(tmp_path, kiosk_per_minute=6000)
    url = postgres.create_database(f"kill9_{tmp_path.name[-8:]}")
    engine = RunningEngine(workdir=tmp_path, config=config, db_url=url).start()
    try:
        _check(engine, rounds=3)
    finally:
        engine.stop()
