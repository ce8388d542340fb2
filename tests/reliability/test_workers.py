"""``serve --workers N`` on PostgreSQL: a call made on any worker reaches every subscriber on
every worker, in order, once (LISTEN/NOTIFY carries it between the worker processes)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.reliability.workers import client_on, fan_out, wait_for_workers
from tests.support.engine import RunningEngine
from tests.support.postgres import PostgresServer

STARTUP_S = 180.0


@dataclass
class Workers:
    engine: RunningEngine
    ids: set[str]


@pytest.fixture
def three_workers(tmp_path: Path, postgres: PostgresServer) -> Iterator[Workers]:
    """``serve --workers 3`` on a database of its own, every worker up."""
    url = postgres.create_database(f"workers_{time.time_ns()}")
    engine = RunningEngine(workdir=tmp_path, db_url=url, extra_args=["--workers", "3"])
    # Three fresh interpreters import and build the app: minutes on a saturated machine. The
    # bound only ends a test whose engine never comes up.
    engine.start(timeout=STARTUP_S)
    try:
        ids = wait_for_workers(engine, 3, timeout=STARTUP_S)
        assert len(ids) == 3, ids
        yield Workers(engine, ids)
    finally:
        engine.stop()


@pytest.mark.postgres
def test_calls_on_any_worker_reach_every_subscriber_in_order(three_workers: Workers) -> None:
    result = asyncio.run(fan_out(three_workers.engine, three_workers.ids, subscribers=12, calls=15))
    # Four streams on each worker; every call is made by the one writer (whichever worker
    # took it), so the streams on the two other workers got each call across processes.
    assert result.workers == dict.fromkeys(three_workers.ids, 4)
    assert len(result.calls_by_worker) == 1, result.calls_by_worker
    assert set(result.calls_by_worker) <= three_workers.ids
    assert len(result.received) == 12
    for numbers in result.received:
        assert numbers == result.sent
    for seqs in result.seqs:
        assert all(b == a + 1 for a, b in itertools.pairwise(seqs))


def test_several_workers_refuse_sqlite(tmp_path: Path) -> None:
    engine = RunningEngine(workdir=tmp_path, extra_args=["--workers", "2"])
    with pytest.raises(RuntimeError, match="needs PostgreSQL"):
        engine.start(timeout=20)


@pytest.mark.postgres
def test_a_logout_ends_the_session_on_every_worker_at_once(three_workers: Workers) -> None:
    engine = three_workers.engine
    login = httpx.post(
        f"{engine.url}/api/v1/auth/login",
        json={"login": "t03", "pin": "1234", "counter": 3},
        timeout=10,
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}

    async def check() -> None:
        clients = [await client_on(engine, w, headers) for w in sorted(three_workers.ids)]
        try:
            # Each worker answers once, so each has the session in its cache.
            assert [(await c.get("/api/v1/auth/me")).status_code for c in clients] == [200] * 3
            assert (await clients[0].post("/api/v1/auth/logout")).status_code == 200
            # Give the notification its trip to the other workers (milliseconds; 10 s at the
            # most, well short of the 30 s a worker with the session cached used to take it).
            deadline = time.monotonic() + 10
            while (codes := [(await c.get("/api/v1/auth/me")).status_code for c in clients]) != [
                401
            ] * 3:
                assert time.monotonic() < deadline, codes
                await asyncio.sleep(0.2)
        finally:
            for c in clients:
                await c.aclose()

    asyncio.run(check())


def _answered_by(engine: RunningEngine, method: str, path: str, **kwargs: object) -> str:
    """The process that answered a request sent on a fresh connection."""
    r = httpx.request(
        method, f"{engine.url}{path}", headers={"Connection": "close"}, timeout=20, **kwargs
    )  # type: ignore[arg-type]
    assert r.status_code < 300, r.text
    return r.headers["x-branchq-worker"]


def _wait_until_gone(pid: int, timeout: float) -> None:
    """Until the killed process has exited: its sockets are closed then."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state in ("Z", "X"):
            return
        assert time.monotonic() < deadline, f"process {pid} still {state} after SIGKILL"
        time.sleep(0.05)


def _issue(engine: RunningEngine, token: str) -> str:
    r = httpx.post(
        f"{engine.url}/api/v1/tickets",
        json={"service": "A"},
        headers={"Authorization": f"Bearer {token}", "Connection": "close"},
        timeout=20,
    )
    assert r.status_code == 201, r.text
    return r.headers["x-branchq-worker"]


@pytest.mark.postgres
def test_every_worker_reads_and_one_writer_makes_every_write(three_workers: Workers) -> None:
    engine = three_workers.engine
    token = engine.lobby_token()
    readers = {_answered_by(engine, "GET", "/healthz") for _ in range(30)}
    writers = {_issue(engine, token) for _ in range(20)}
    assert len(readers) >= 2, readers  # reads stay on the worker that took the connection
    assert len(writers) == 1, writers  # every write was passed to the writer
    (writer,) = writers

    (reader, *_) = sorted(three_workers.ids - writers)

    async def teller_on_a_reader() -> list[str]:
        """A teller's page keeps its connection: once it writes, the writer serves it whole
        (the write and what follows on it), so no write of it takes a second hop."""
        headers = {"Authorization": f"Bearer {token}"}
        http = await client_on(engine, reader, headers)
        try:
            before = (await http.get("/api/v1/auth/me")).headers["x-branchq-worker"]
            issued = await http.post("/api/v1/tickets", json={"service": "A"})
            assert issued.status_code == 201, issued.text
            after = [(await http.get("/api/v1/auth/me")).headers["x-branchq-worker"]]
            after += [
                (await http.post("/api/v1/tickets", json={"service": "B"})).headers[
                    "x-branchq-worker"
                ]
            ]
            return [before, issued.headers["x-branchq-worker"], *after]
        finally:
            await http.aclose()

    # Read on the worker holding it; the write, and the read and write after it, by the writer.
    assert asyncio.run(teller_on_a_reader()) == [reader, writer, writer, writer]


@pytest.mark.postgres
def test_a_killed_writer_is_replaced_and_no_write_is_refused(three_workers: Workers) -> None:
    engine = three_workers.engine
    token = engine.lobby_token()
    (writer,) = {_issue(engine, token) for _ in range(5)}
    os.kill(int(writer), signal.SIGKILL)
    # A write that reaches the writer while it dies is answered 503 writer_unavailable, as
    # documented (it may have committed); on a loaded machine the process takes a while to go
    # once killed, so the writes below start once it is gone (no process, or a zombie).
    _wait_until_gone(int(writer), timeout=30)
    # Every write goes through while the workers elect another writer (run where it arrived
    # until one listens); uvicorn starts a new worker in the killed one's place.
    issued = [_issue(engine, token) for _ in range(30)]
    assert writer not in issued
    deadline = time.monotonic() + 30
    while len({_issue(engine, token) for _ in range(6)}) != 1:
        assert time.monotonic() < deadline, "no single writer after the changeover"


# Every interpreter that starts with this folder on its path runs it first; a worker process
# (multiprocessing's spawn: ``python -c … --multiprocessing-fork``) then takes 7 s to start, as
# on a server busy with other work: more than the supervisor's default 5 s.
SLOW_WORKER_START = """\
import sys, time
if "--multiprocessing-fork" in sys.argv:
    time.sleep(7)
"""


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_slow_to_start_on_a_busy_server_are_not_killed_while_starting(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_WORKER_START)
    url = postgres.create_database(f"workers_{time.time_ns()}")
    engine = RunningEngine(
        workdir=tmp_path, db_url=url, extra_args=["--workers", "2"], env={"PYTHONPATH": str(slow)}
    )
    engine.start(timeout=STARTUP_S)  # killed every 5 s while starting, the workers never served
    try:
        assert len(wait_for_workers(engine, 2, timeout=STARTUP_S)) == 2
        assert "died" not in engine.log_path.read_text()
    finally:
        engine.stop()
