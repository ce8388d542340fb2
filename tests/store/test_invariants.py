"""Queue invariants through the real service layer and store, whatever the sequence of moves.

- no ticket is called by two counters, and none is handed out while already called;
- none is lost: every visit issued is in exactly one state, and the store agrees;
- numbers never repeat within a day;
- with aging, every waiting ticket is eventually called when counters keep calling.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from queue_core.config import load_config
from queue_core.domain.errors import DomainError
from queue_core.store import Store
from queue_core.usecases import Branch, Command
from queue_core.usecases.counters import CallNext, Finish, MoveCounter, Skip, Start, Transfer
from queue_core.usecases.tickets import CancelTicket, IssueTicket, ReassignTicket

COUNTERS = [1, 2, 4, 5, 7]
SERVICES = ["A", "B", "C", "V"]
TMP = Path(tempfile.gettempdir())


class Clock:
    def __init__(self) -> None:
        self.now = 1_763_000_000.0  # a fixed morning

    def __call__(self) -> float:
        return self.now


class BranchMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").exists() else TMP))
        self.clock = Clock()
        self.store = Store(f"sqlite:///{self.dir / 'q.db'}")
        self.branch = Branch(load_config(), self.store, b"k" * 32, clock=self.clock)
        for n in COUNTERS:
            self.run(MoveCounter(n, "open", "tester"))
        self.issued: dict[str, dict[str, Any]] = {}  # visit id -> last known ticket
        self.current: dict[int, str] = {}
        self.called_ids: list[str] = []
        self.numbers: set[str] = set()

    def run(self, command: Command[Any]) -> Any:
        """The command's answer, as the API would send it."""
        return self.branch.execute_sync(command).body

    def teardown(self) -> None:
        self.branch.stop()
        self.store.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _ids_in_number_order(self, *states: str) -> list[str]:
        """Ids are random: order by number and visit so hypothesis can replay its draws."""
        found = [t for t in self.issued.values() if t["status"] in states]
        return [t["id"] for t in sorted(found, key=lambda t: (t["number"], t["visit"]))]

    def _note(self, t: dict[str, Any] | None) -> None:
        if t is not None:
            self.issued[t["id"]] = t

    @rule(
        service=st.sampled_from(SERVICES),
        tier=st.sampled_from(["normal", "gold", "diamond"]),
        green=st.booleans(),
    )
    def issue(self, service: str, tier: str, green: bool) -> None:
        t = self.run(IssueTicket("lobby", service, tier, green))
        assert t["number"] not in self.numbers
        self.numbers.add(t["number"])
        self._note(t)

    @rule(minutes=st.integers(1, 10))
    def wait(self, minutes: int) -> None:
        self.clock.now += minutes * 60

    @rule(counter=st.sampled_from(COUNTERS))
    def call_next(self, counter: int) -> None:
        try:
            t = self.run(CallNext(counter, "tester"))
        except DomainError:
            assert counter in self.current
            return
        if t is None:
            return
        assert t["id"] not in self.current.values(), "called at two counters"
        assert self.issued[t["id"]]["status"] == "waiting", "called while not waiting"
        self.current[counter] = t["id"]
        self.called_ids.append(t["id"])
        self._note(t)

    @precondition(lambda self: self.current)
    @rule(data=st.data(), action=st.sampled_from(["finish", "skip", "start", "transfer"]))
    def act(self, data: st.DataObject, action: str) -> None:
        counter = data.draw(st.sampled_from(sorted(self.current)))
        try:
            if action == "finish":
                t = self.run(Finish(counter))
            elif action == "skip":
                t = self.run(Skip(counter))
            elif action == "start":
                t = self.run(Start(counter))
            else:
                old_id = self.current[counter]
                t = self.run(Transfer(counter, data.draw(st.sampled_from(SERVICES))))
                self.issued[old_id] = {**self.issued[old_id], "status": "transferred"}
        except DomainError:
            return  # e.g. start twice: refused, nothing changed
        self._note(t)
        if t["status"] not in ("called", "serving"):
            self.current.pop(counter, None)
        if action == "transfer":
            self.current.pop(counter, None)

    @rule(data=st.data(), front=st.booleans())
    def reassign(self, data: st.DataObject, front: bool) -> None:
        skipped = self._ids_in_number_order("skipped")
        if not skipped:
            return
        ident = data.draw(st.sampled_from(skipped))
        self._note(self.run(ReassignTicket(ident, front)))

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        open_ = self._ids_in_number_order("waiting", "skipped")
        if open_:
            self._note(self.run(CancelTicket(data.draw(st.sampled_from(open_)))))

    @invariant()
    def nothing_lost(self) -> None:
        stored = {
            t.id: t.status.value for t in self.store.tickets_of_day(self.branch.reads.today())
        }
        assert set(stored) == set(self.issued)
        for ident, t in self.issued.items():
            assert stored[ident] == t["status"], (t["number"], stored[ident], t["status"])
        waiting = {i for i, s in stored.items() if s == "waiting"}
        assert waiting == {t.id for t in self.branch.live.waiting}

    def drain(self) -> None:
        """Keep every counter calling and finishing: with aging, everyone is called."""
        for _ in range(2000):
            if not any(t["status"] == "waiting" for t in self.issued.values()):
                return
            self.clock.now += 60
            for counter in COUNTERS:
                if counter in self.current:
                    self._note(self.run(Finish(counter)))
                    del self.current[counter]
                t = self.run(CallNext(counter, "tester"))
                if t is not None:
                    self._note(t)
                    self.current[counter] = t["id"]
        raise AssertionError("some waiting tickets were never called")

    @invariant()
    def every_waiting_ticket_is_reachable(self) -> None:
        # Every service a ticket can wait for is served by an open counter in this setup.
        served = set()
        for n in COUNTERS:
            cfg = self.branch.config.counter(n)
            assert cfg is not None
            served.update(cfg.services)
        for t in self.issued.values():
            if t["status"] == "waiting":
                assert t["service"] in served


class DrainAtEnd(BranchMachine):
    def teardown(self) -> None:
        try:
            self.drain()
        finally:
            super().teardown()


DrainAtEnd.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
TestQueueInvariants = DrainAtEnd.TestCase
