"""20 counters pressing call-next together never get the same ticket, on SQLite and PostgreSQL.
``bench/reliability.py calls`` runs 10 000 calls."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.concurrency import issue_many, race
from tests.reliability.load import branch_file
from tests.support.engine import RunningEngine


def test_twenty_counters_never_call_the_same_ticket(tmp_path: Path, db_url: str) -> None:
    config = branch_file(tmp_path, counters=20)
    engine = RunningEngine(workdir=tmp_path, config=config, db_url=db_url).start()
    try:
        issued = issue_many(engine, 200)
        result = race(engine, list(range(1, 21)), issued)
    finally:
        engine.stop()
    assert result.duplicates == []
    assert result.calls == 200
    assert result.uncalled == 0
