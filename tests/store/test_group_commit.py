"""Group commit: jobs share a transaction, yet one job's failure never undoes another's."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from queue_core.config import load_config
from queue_core.domain.errors import IllegalMove
from queue_core.service import Branch
from queue_core.store import Store
from queue_core.store.models import NumberSeq


def _row(store: Store, prefix: str) -> Callable[[], str]:
    def job() -> str:
        store.current().session.add(NumberSeq(business_day="2026-11-13", prefix=prefix, last=1))
        store.current().emit("test.row", 0.0, {"prefix": prefix})
        return prefix

    return job


def _run_as_one_batch(store: Store, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Hold the writer on a first job until every other job is queued behind it."""
    gate, queued = threading.Event(), threading.Semaphore(0)
    results: list[Any] = [None] * len(jobs)
    store_thread = threading.Thread(target=store.submit, args=(gate.wait,))
    store_thread.start()

    def run(i: int) -> None:
        queued.release()
        try:
            results[i] = store.submit(jobs[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for _ in jobs:
        queued.acquire()
    gate.set()
    for t in [store_thread, *threads]:
        t.join(10)
    return results


def _committed(store: Store) -> set[str]:
    with store.read() as session:
        return {r.prefix for r in session.scalars(select(NumberSeq))}


def test_a_crashing_job_leaves_the_others_committed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")

    def crash() -> None:
        store.current().session.add(NumberSeq(business_day="2026-11-13", prefix="X", last=1))
        raise RuntimeError("a bug after writing")

    try:
        results = _run_as_one_batch(store, [_row(store, "A"), crash, _row(store, "B")])
        assert results[0] == "A" and results[2] == "B"
        assert isinstance(results[1], RuntimeError)
        assert _committed(store) == {"A", "B"}
        assert [e.data["prefix"] for e in store.events_after(0, 10)] == ["A", "B"]
    finally:
        store.dispose()


def test_a_refused_job_drops_only_its_events(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")

    def refuse() -> None:
        store.current().emit("test.row", 0.0, {"prefix": "R"})
        raise IllegalMove("not now", "not_now")

    try:
        results = _run_as_one_batch(store, [_row(store, "A"), refuse, _row(store, "B")])
        assert isinstance(results[1], IllegalMove)
        seqs = [(e.seq, e.data["prefix"]) for e in store.events_after(0, 10)]
        assert seqs == [(1, "A"), (2, "B")]  # no gap where the refused event was
    finally:
        store.dispose()


def test_submit_raises_the_jobs_own_error(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        with pytest.raises(IllegalMove):
            store.submit(lambda: (_ for _ in ()).throw(IllegalMove("no", "no")))
    finally:
        store.dispose()


def test_use_cases_sharing_one_transaction_see_each_others_rows(tmp_path: Path) -> None:
    # The writer keeps the ticket, counter and number rows of a transaction and writes them
    # just before the commit (store/pending.py): a later use case in the same transaction must
    # still find what an earlier one did, by key and by query, and the disk must end up right.
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    branch = Branch(load_config(), store, b"k" * 32)
    branch.set_state(1, "open", "t01")

    def day() -> list[Any]:
        first = branch.issue("lobby", "A").ticket
        second = branch.issue("lobby", "A").ticket
        third = branch.issue("lobby", "A").ticket
        branch.call_next(1, "t01")
        done = branch.finish(1)
        asked = branch.request_rating(1)  # a query: finds the visit finished just now
        rated = branch.rate(first["id"], 5, None)  # a look-up by key of a row not yet written
        called = branch.call_next(1, "t01")
        skipped = branch.skip(1)
        front = branch.reassign(second["id"], True, None)
        cancelled = branch.cancel(third["id"])
        return [first, second, third, done, asked, rated, called, skipped, front, cancelled]

    try:
        first, second, third, done, asked, rated, called, skipped, front, cancelled = store.submit(
            day
        )
        assert [first["number"], second["number"], third["number"]] == ["A001", "A002", "A003"]
        assert done["status"] == "finished" and asked["id"] == first["id"]
        assert rated["rating"] == 5 and called["id"] == second["id"]
        assert skipped["status"] == "skipped" and front["status"] == "waiting"
        assert cancelled["status"] == "cancelled"
        on_disk = {t.id: t for t in store.tickets_of_day(branch.today())}
        assert on_disk[first["id"]].status.value == "finished" and on_disk[first["id"]].rating == 5
        assert on_disk[second["id"]].status.value == "waiting"
        assert on_disk[second["id"]].front_at is not None
        assert on_disk[third["id"]].status.value == "cancelled"
        # A branch that loads everything from the disk sees the same hall and counters.
        again = Branch(load_config(), store, b"k" * 32)
        assert again.queue() == branch.queue()
        assert again.counters() == branch.counters()
        assert branch.issue("lobby", "A").ticket["number"] == "A004"
        seqs = [e.seq for e in store.events_after(0, 100)]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        store.dispose()
