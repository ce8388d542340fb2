"""Opening the database for an engine: one engine per SQLite file, and one line (no traceback)
for a database that cannot be used, saying what to type."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from queue_core.store.opening import DatabaseProblem, EngineLock, check_url, sqlite_file
from tests.support.engine import RunningEngine, free_port


def test_a_second_engine_on_the_same_sqlite_file_is_refused_until_the_first_is_gone(
    engine: RunningEngine,
) -> None:
    second = RunningEngine(workdir=engine.workdir)  # same folder, so the same branchq.db
    with pytest.raises(RuntimeError, match=r"another engine already runs on .*branchq\.db"):
        second.start(timeout=30)
    engine.stop(kill=True)  # even a kill -9 frees the file: the kernel drops the lock
    second.start(timeout=30)
    second.stop()


def test_the_lock_names_the_process_holding_it(tmp_path: Path) -> None:
    db = tmp_path / "branchq.db"
    with EngineLock(db), pytest.raises(DatabaseProblem, match=r"process \d+"):
        EngineLock(db).acquire()
    with EngineLock(db):  # released on exit
        pass


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://bank:pw@db/branch", "write --db postgresql+psycopg://bank:***@db/branch"),
        ("postgresql://bank@db/branch", "write --db postgresql+psycopg://bank@db/branch"),
        ("mysql://bank@db/branch", "give sqlite:///FILE.db or postgresql+psycopg://"),
        ("branchq.db", "is not a database URL"),
    ],
)
def test_a_database_url_the_engine_cannot_use_says_what_to_type(url: str, says: str) -> None:
    with pytest.raises(DatabaseProblem) as info:
        check_url(url)
    assert says in str(info.value) and "pw" not in str(info.value)


def test_only_a_sqlite_file_is_locked() -> None:
    assert sqlite_file("sqlite:///branchq.db") == Path("branchq.db").resolve()
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://bank@db/branch") is None


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://bank:pw@127.0.0.1:{free_port()}/branch"  # nobody listens there
    done = subprocess.run(
        [sys.executable, "-m", "queue_core", "serve", "--db", url, "--port", str(free_port())],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    # The branch file's own warnings (a demo branch has no public_url) may come first.
    lines = [line for line in done.stderr.strip().splitlines() if " WARNING " not in line]
    assert len(lines) == 1 and lines[0].startswith("branchq: cannot open the database"), lines
    assert "Connection refused" in lines[0] and "Is PostgreSQL running there" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr and "pw" not in lines[0]


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatabaseProblem, match=r"No such file or directory.*folder there"):
        EngineLock(tmp_path / "missing" / "branchq.db").acquire()
