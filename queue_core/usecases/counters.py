"""The use cases of a counter: what a teller's caller, a keypad or the lobby manager presses.

``teller`` is the login of the teller acting, None for the lobby manager, an admin or a keypad:
a teller works only a counter nobody else holds (``domain.counters``), and whatever is done at
a counter is recorded under the teller who holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from queue_core.domain import counters as counter_moves
from queue_core.domain import tickets as moves
from queue_core.domain.counters import Counter
from queue_core.domain.errors import Forbidden, IllegalMove, InvalidInput, NotFound
from queue_core.domain.events import (
    CounterUpdated,
    RatingRequested,
    TicketCalled,
    TicketEvent,
    TicketFinished,
    TicketRecalled,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
)
from queue_core.domain.routing import can_call, choose_next
from queue_core.domain.tickets import Status, Ticket
from queue_core.security import new_id
from queue_core.store.pending import TICKETS
from queue_core.usecases.unit import UnitOfWork

ACTIVE = (Status.CALLED, Status.SERVING)
#: How long after finishing a customer may still be asked to rate (seconds).
RATING_WINDOW_S = 600


def _at_desk(uow: UnitOfWork, number: int) -> Ticket:
    t = uow.at_desk(number)
    if t is None or t.status not in ACTIVE:
        raise IllegalMove(f"counter {number} has no current customer", "no_current_ticket")
    return t


def _seat(uow: UnitOfWork, counter: Counter, t: Ticket | None) -> Counter:
    """The counter with ``t`` at its desk (a visit no longer active frees it), saved."""
    at_desk = t if t is not None and t.status in ACTIVE else None
    counter = counter_moves.with_current(counter, at_desk.id if at_desk else None, uow.now)
    uow.save_counter(counter, at_desk)
    return counter


def _call(uow: UnitOfWork, counter: Counter, pick: Ticket, teller: str | None) -> Ticket:
    # The call is the holding teller's also when a keypad or the lobby pressed: the figures
    # by teller count what each teller's counter did.
    counter = counter_moves.worked_by(counter, teller)
    called = moves.call(pick, counter.number, uow.now, counter.teller)
    uow.save(called)
    counter = _seat(uow, counter, called)
    uow.emit(TicketCalled(called, counter.number), CounterUpdated(counter, called))
    return called


@dataclass(frozen=True, slots=True)
class CallNext:
    """Call the ticket routing picks for this counter; None when nobody waits for it."""

    counter: int
    teller: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket | None:
        counter = uow.counter(self.counter)
        counter_moves.check_can_call(counter, self.teller)
        view = uow.live.views[self.counter]
        pick = choose_next(view, uow.live.waiting.heads(view), uow.now, uow.live.policy)
        return None if pick is None else _call(uow, counter, pick, self.teller)


@dataclass(frozen=True, slots=True)
class CallNumber:
    """Call a given waiting number at this counter (the teller typed it)."""

    counter: int
    number: str
    teller: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        counter = uow.counter(self.counter)
        counter_moves.check_can_call(counter, self.teller)
        wanted = self.number.upper()
        found = next((t for t in uow.live.waiting if t.number == wanted), None)
        if found is None:
            held = next((t for t in uow.live.held.values() if t.number == wanted), None)
            if held is not None:
                moves.check_move(held, "call")  # refused: say it is held, not that it is gone
            raise NotFound(f"no waiting ticket {self.number}", "ticket_not_waiting")
        if not can_call(uow.live.views[self.counter], found):
            raise IllegalMove(
                f"counter {self.counter} does not serve {self.number}", "not_served_here"
            )
        return _call(uow, counter, found, self.teller)


@dataclass(frozen=True, slots=True)
class Recall:
    """Announce the ticket at the desk again."""

    counter: int
    teller: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        counter = counter_moves.worked_by(uow.counter(self.counter), self.teller)
        t = moves.recall(_at_desk(uow, self.counter), uow.now)
        uow.save(t)
        _seat(uow, counter, t)
        uow.emit(TicketRecalled(t, self.counter))
        return t


@dataclass(frozen=True, slots=True)
class _DeskMove:
    """A move of the ticket at the desk that the counter's state follows."""

    counter: int
    teller: str | None = None

    def move(self, uow: UnitOfWork, t: Ticket) -> Ticket:
        raise NotImplementedError

    def event(self, t: Ticket) -> TicketEvent:
        raise NotImplementedError

    def run(self, uow: UnitOfWork) -> Ticket:
        counter = counter_moves.worked_by(uow.counter(self.counter), self.teller)
        t = self.move(uow, _at_desk(uow, self.counter))
        uow.save(t)
        counter = _seat(uow, counter, t)
        uow.emit(self.event(t), CounterUpdated(counter, uow.at_desk(self.counter)))
        return t


@dataclass(frozen=True, slots=True)
class Start(_DeskMove):
    """The called customer arrived at the desk."""

    def event(self, t: Ticket) -> TicketEvent:
        return TicketStarted(t)

    def move(self, uow: UnitOfWork, t: Ticket) -> Ticket:
        return moves.start(t, uow.now)


@dataclass(frozen=True, slots=True)
class Skip(_DeskMove):
    """The called customer did not come."""

    def event(self, t: Ticket) -> TicketEvent:
        return TicketSkipped(t)

    def move(self, uow: UnitOfWork, t: Ticket) -> Ticket:
        out = moves.skip(t, uow.now)
        if out.called_at is not None and out.finished_at is not None:
            uow.live.times.record_skip(out.service, out.finished_at - out.called_at)
        return out


@dataclass(frozen=True, slots=True)
class Finish(_DeskMove):
    """Service done, with the customer's rating if the teller gave it."""

    rating: int | None = None

    def event(self, t: Ticket) -> TicketEvent:
        return TicketFinished(t)

    def move(self, uow: UnitOfWork, t: Ticket) -> Ticket:
        out = moves.finish(t, uow.now, self.rating)
        if out.called_at is not None and out.finished_at is not None:
            uow.live.times.record(out.service, out.finished_at - out.called_at)
        return out


@dataclass(frozen=True, slots=True)
class Transfer:
    """The customer at the desk waits again, for another service or counter, keeping the
    number and the original issue time; returns the new visit."""

    counter: int
    service: str | None = None
    to_counter: int | None = None
    teller: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        here = counter_moves.worked_by(uow.counter(self.counter), self.teller)
        current = _at_desk(uow, self.counter)
        self._check_target(uow)
        old, new = moves.transfer(current, uow.now, new_id(), self.service, self.to_counter)
        uow.save(old)
        uow.save(new, new=True)
        here = _seat(uow, here, None)
        uow.emit(TicketTransferred(old, new), CounterUpdated(here))
        return new

    def _check_target(self, uow: UnitOfWork) -> None:
        config = uow.config
        if self.service is not None and config.service(self.service) is None:
            raise InvalidInput(f"unknown service {self.service!r}", "unknown_service")
        if self.to_counter is not None and config.counter(self.to_counter) is None:
            raise InvalidInput(f"unknown counter {self.to_counter}", "unknown_counter")
        if (self.service is None) == (self.to_counter is None):
            raise InvalidInput("give exactly one of service or counter", "transfer_target")


@dataclass(frozen=True, slots=True)
class RequestRating:
    """The teller asks the customer to rate: the counter's tablet shows the rating screen for
    the ticket at the desk, or the last one finished here within ``RATING_WINDOW_S``."""

    counter: int
    teller: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        counter_moves.check_holder(uow.counter(self.counter), self.teller)
        t = uow.at_desk(self.counter)
        if t is None or t.status not in ACTIVE:
            t = self._recent_unrated(uow)
        if t is None:
            raise IllegalMove(
                f"counter {self.counter} has no recent customer to ask", "nothing_to_rate"
            )
        uow.emit(RatingRequested(t, self.counter))
        return t

    def _recent_unrated(self, uow: UnitOfWork) -> Ticket | None:
        found = uow.tickets(
            select(TICKETS)
            .where(TICKETS.c.counter == self.counter, TICKETS.c.status == Status.FINISHED.value)
            .where(TICKETS.c.finished_at >= uow.now - RATING_WINDOW_S)
            .order_by(TICKETS.c.finished_at.desc())
            .limit(1)
        )
        return found[0] if found and found[0].rating is None else None


CounterAction = Literal["open", "pause", "resume", "close", "take_over"]


@dataclass(frozen=True, slots=True)
class MoveCounter:
    """Open, pause (with a reason), resume, close or take over a counter."""

    counter: int
    action: CounterAction
    teller: str | None = None
    reason: str | None = None

    def run(self, uow: UnitOfWork) -> Counter:
        counter, now, teller = uow.counter(self.counter), uow.now, self.teller
        if self.action == "open":
            counter = counter_moves.open_counter(counter, now, teller)
        elif self.action == "pause":
            counter = counter_moves.pause(counter, now, teller, self.reason)
        elif self.action == "resume":
            counter = counter_moves.resume(counter, now, teller)
        elif self.action == "close":
            counter = counter_moves.close(counter, now, teller)
        else:
            if teller is None:
                raise Forbidden("only a teller takes a counter over", "forbidden")
            counter = counter_moves.take_over(counter, now, teller)
        at_desk = uow.at_desk(self.counter)
        uow.save_counter(counter, at_desk)
        uow.emit(CounterUpdated(counter, at_desk))
        return counter
