"""Group commit: commands share a transaction, yet one command's failure never undoes another's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from queue_core.config import load_config
from queue_core.domain.devices import DeviceReport
from queue_core.domain.errors import IllegalMove
from queue_core.domain.events import DeviceUpdated
from queue_core.store import Store
from queue_core.store.models import NumberSeq
from queue_core.usecases import Branch
from queue_core.usecases.counters import CallNext, Finish, MoveCounter, RequestRating, Skip
from queue_core.usecases.tickets import CancelTicket, IssueTicket, RateTicket, ReassignTicket
from queue_core.usecases.unit import UnitOfWork


@dataclass(frozen=True)
class Row:
    """Writes a row and emits an event: a command as plain as can be."""

    prefix: str

    def run(self, uow: UnitOfWork) -> str:
        uow.session.add(NumberSeq(business_day="2026-11-13", prefix=self.prefix, last=1))
        uow.changed = True
        uow.emit(DeviceUpdated(DeviceReport(self.prefix, "ok", uow.now)))
        return self.prefix


@dataclass(frozen=True)
class Crash:
    def run(self, uow: UnitOfWork) -> None:
        uow.session.add(NumberSeq(business_day="2026-11-13", prefix="X", last=1))
        raise RuntimeError("a bug after writing")


@dataclass(frozen=True)
class Refuse:
    def run(self, uow: UnitOfWork) -> None:
        uow.emit(DeviceUpdated(DeviceReport("R", "ok", uow.now)))
        raise IllegalMove("not now", "not_now")


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[Branch]:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    running = Branch(load_config(), store, b"k" * 32)
    try:
        yield running
    finally:
        running.stop()
        store.dispose()


def _committed(store: Store) -> set[str]:
    with store.read() as session:
        return {r.prefix for r in session.scalars(select(NumberSeq))}


def _devices(store: Store) -> list[tuple[int, str]]:
    return [(e.seq, e.data["device"]["name"]) for e in store.events_after(0, 100)]


def test_a_crashing_command_leaves_the_others_committed(branch: Branch) -> None:
    results = branch.runner.execute_together([Row("A"), Crash(), Row("B")])
    assert [r.value for r in results[::2]] == ["A", "B"]  # type: ignore[union-attr]
    assert isinstance(results[1], RuntimeError)
    assert _committed(branch.store) == {"A", "B"}
    assert [name for _, name in _devices(branch.store)] == ["A", "B"]


def test_a_refused_command_drops_only_its_events(branch: Branch) -> None:
    results = branch.runner.execute_together([Row("A"), Refuse(), Row("B")])
    assert isinstance(results[1], IllegalMove)
    assert _devices(branch.store) == [(1, "A"), (2, "B")]  # no gap where the refused one was


def test_execute_raises_the_commands_own_error(branch: Branch) -> None:
    with pytest.raises(IllegalMove):
        branch.execute_sync(Refuse())


@dataclass(frozen=True)
class BusyMinute:
    """Several use cases in one transaction, each seeing what the earlier ones did."""

    def run(self, uow: UnitOfWork) -> list[Any]:
        first = IssueTicket("lobby", "A").run(uow).ticket
        second = IssueTicket("lobby", "A").run(uow).ticket
        third = IssueTicket("lobby", "A").run(uow).ticket
        CallNext(1, "t01").run(uow)
        done = Finish(1).run(uow)
        asked = RequestRating(1).run(uow)  # a query: finds the visit finished just now
        rated = RateTicket(first.id, 5, {1}).run(uow)  # by key: a row not yet written
        called = CallNext(1, "t01").run(uow)
        skipped = Skip(1).run(uow)
        front = ReassignTicket(second.id, True).run(uow)
        cancelled = CancelTicket(third.id).run(uow)
        return [first, second, third, done, asked, rated, called, skipped, front, cancelled]


def test_use_cases_sharing_one_transaction_see_each_others_rows(branch: Branch) -> None:
    # The writer keeps the ticket, counter and number rows of a transaction and writes them
    # just before the commit (store/pending.py): a later use case in the same transaction must
    # still find what an earlier one did, by key and by query, and the disk must end up right.
    store = branch.store
    branch.execute_sync(MoveCounter(1, "open", "t01"))
    first, second, third, done, asked, rated, called, skipped, front, cancelled = (
        branch.execute_sync(BusyMinute()).value
    )
    assert [first.number, second.number, third.number] == ["A001", "A002", "A003"]
    assert done.status.value == "finished" and asked.id == first.id
    assert rated.rating == 5 and called is not None and called.id == second.id
    assert skipped.status.value == "skipped" and front.status.value == "waiting"
    assert cancelled.status.value == "cancelled"
    on_disk = {t.id: t for t in store.tickets_of_day(branch.reads.today())}
    assert on_disk[first.id].status.value == "finished" and on_disk[first.id].rating == 5
    assert on_disk[second.id].status.value == "waiting"
    assert on_disk[second.id].front_at is not None
    assert on_disk[third.id].status.value == "cancelled"
    # A branch that loads everything from the disk sees the same hall and counters.
    again = Branch(load_config(), store, b"k" * 32)
    try:
        assert again.reads.queue() == branch.reads.queue()
        assert again.reads.counters() == branch.reads.counters()
    finally:
        again.stop()
    assert branch.execute_sync(IssueTicket("lobby", "A")).body["number"] == "A004"
    seqs = [e.seq for e in store.events_after(0, 100)]
    assert seqs == list(range(1, len(seqs) + 1))
