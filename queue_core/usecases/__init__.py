"""The use cases of a branch, one small command each, grouped by area.

    tickets.py   IssueTicket, CancelTicket, ReassignTicket, MoveTicket, RateTicket
    counters.py  CallNext, CallNumber, Recall, Start, Skip, Finish, Transfer, RequestRating,
                 MoveCounter (open, pause, resume, close, take over)
    lobby.py     Announce, EndAnnouncement
    care.py      RequestHelp, AnswerHelp (a kiosk's call for the lobby manager; a care-mode
                 customer's green channel, granted or declined)
    staffing.py  RecordForecast, ResolveAdvice, and the Advisor that looks ahead every minute
    devices.py   ReportHealth
    remote.py    TakeRemote, CheckIn, GiveBack, LapseRemote (tickets taken from a phone)
    privacy.py   EraseCard
    day.py       StartDay (and what the first transaction of a day does)
    reads.py     every query, the snapshot of the hall, the phone pages' states

A command is a frozen dataclass whose ``run(uow)`` decides in the domain, saves what changed
into the unit of work and emits domain events; ``Branch.execute`` is the one way to run one
(``runner.py``: group commit, then the events rendered once by ``wire.py`` and published).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select

from queue_core.config import BranchConfig
from queue_core.store import Event, Store
from queue_core.store.models import CounterRow
from queue_core.usecases.live import LiveView
from queue_core.usecases.reads import Reads
from queue_core.usecases.runner import Command, Done, R, Runner
from queue_core.usecases.staffing import Advisor

__all__ = ["Branch", "Command", "Done"]


def millisecond_clock(clock: Callable[[], float]) -> Callable[[], float]:
    """The engine's clock in whole milliseconds. The wire gives times to the millisecond, so
    the times a client reads back are exactly the ones stored: the head office rebuilds the
    branch's figures from its events digit for digit (``queue_core.central.rebuild``)."""
    return lambda: round(clock(), 3)


class Branch:
    """One branch's engine: its commands (``execute``) and its queries (``reads``)."""

    def __init__(
        self,
        config: BranchConfig,
        store: Store,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        publish: Callable[[list[Event]], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock = millisecond_clock(clock)
        self.live = LiveView(config, clock)
        self._ensure_counters()
        self.runner = Runner(store, self.live, clock, publish or (lambda events: None), secret)
        self.reads = Reads(store, self.live, self.runner, clock)
        self.staffing = Advisor(config, self.reads, self.execute, clock)

    def _ensure_counters(self) -> None:
        with self.store.write() as tx:
            known = {row.number for row in tx.session.scalars(select(CounterRow))}
            for counter in self.config.counters:
                if counter.number not in known:
                    tx.session.add(CounterRow(number=counter.number, state="closed"))

    async def execute(self, command: Command[R]) -> Done[R]:
        """Run a command and await its commit (from the event loop)."""
        return await self.runner.execute(command)

    def execute_sync(self, command: Command[R]) -> Done[R]:
        """Run a command and wait for its commit (from any other thread)."""
        return self.runner.execute_sync(command)

    def stop(self) -> None:
        self.runner.stop()
