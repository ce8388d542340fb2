"""Fixtures that start real things: an engine on a free port (SQLite in a temp folder)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_core import client
from tests.support.engine import RunningEngine
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.postgres import available as pg_available

# The engines under test share a busy CI machine (the suite is run beside CPU-burning loops):
# a client that is not told how long to wait waits as long as such a machine may need, so a
# slow answer fails no test. How fast answers come is measured in bench/, not here.
client.DEFAULT_TIMEOUT_S = 30.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("BRANCHQ_SLOW") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="slow end-to-end check: set BRANCHQ_SLOW=1 (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[RunningEngine]:
    """A real engine process running the demo branch on a fresh SQLite database."""
    running = RunningEngine(workdir=tmp_path).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the suite's own, on a temp folder and loopback."""
    if not pg_available():
        pytest.fail("PostgreSQL (initdb, pg_ctl) is required: apt-get install postgresql")
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(server.root, ignore_errors=True)


_db_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite (WAL, in a temp folder) and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'branchq.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def any_engine(tmp_path: Path, db_url: str) -> Iterator[RunningEngine]:
    """A real engine process on SQLite and, in a second run, on PostgreSQL."""
    running = RunningEngine(workdir=tmp_path, db_url=db_url).start()
    try:
        yield running
    finally:
        running.stop()
