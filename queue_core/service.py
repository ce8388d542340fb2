"""The use cases of a branch: issue, call_next, skip, reassign, transfer, finish…

Each follows the same order: load, decide in the domain, save, commit, then publish the
events. Writes are serialized by the store; the live view of the hall (waiting tickets by
group, counters, recent service times) is kept in memory and checked against the event log's
last ``seq`` at the start of every transaction, so another engine process writing to the same
PostgreSQL database is noticed and the view reloaded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, func, select, update

from queue_core import wire
from queue_core.config import BranchConfig, ServiceSettings
from queue_core.domain import care, figures, hall, remote
from queue_core.domain import counters as counter_moves
from queue_core.domain import tickets as moves
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.counters import Counter
from queue_core.domain.errors import DomainError, Forbidden, IllegalMove, InvalidInput, NotFound
from queue_core.domain.estimate import Arrivals, ServiceTimes
from queue_core.domain.numbering import format_number
from queue_core.domain.routing import can_call, choose_next
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.waiting import WaitingIndex
from queue_core.security import browser_hash, card_hash, door_key, new_id
from queue_core.store import Event, Store, UnitOfWork
from queue_core.store.models import (
    AnnouncementRow,
    CounterRow,
    DeviceRow,
    EventRow,
    IdempotencyRow,
    TicketRow,
    ticket_from_row,
)
from queue_core.store.pending import TICKETS

Json = dict[str, Any]
ACTIVE = (Status.CALLED, Status.SERVING)
#: The largest health detail a device may send (compact JSON): a bus of 64 devices all dead
#: reports about 2.5 KB; it goes into the event log and to every subscriber.
MAX_HEALTH_DETAIL_BYTES = 4096
#: A report that changes only the detail (a display's last seq…) is an event at most this often.
DEVICE_NEWS_S = 60.0


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def _serialized(method: F) -> F:
    """Run a write use case in the store's writer thread (group commit); answer after commit."""

    @functools.wraps(method)
    def run(self: Branch, *args: Any, **kwargs: Any) -> Any:
        return self.store.submit(functools.partial(method, self, *args, **kwargs))

    return cast(F, run)


#: What a phone page's browser id looks like (128 random bits, in hex).
BROWSER_ID = re.compile(r"^[0-9a-f]{32}$")
#: The most tickets one check-in may carry (what one phone holds).
MAX_CHECK_IN = 8


def millisecond_clock(clock: Callable[[], float]) -> Callable[[], float]:
    """The engine's clock in whole milliseconds. The wire gives times to the millisecond, so
    the times a client reads back are exactly the ones stored: the head office rebuilds the
    branch's figures from its events digit for digit (``queue_core.central.rebuild``)."""
    return lambda: round(clock(), 3)


def _change(at: float, data: Json) -> tuple[float, int, str, str | None]:
    counter = data["counter"]
    return (at, int(counter["number"]), str(counter["state"]), counter.get("teller"))


@dataclass
class Live:
    """The in-memory view of the hall, valid for one ``seq``."""

    version: int = -1
    waiting: WaitingIndex = field(default_factory=WaitingIndex)
    counters: dict[int, Counter] = field(default_factory=dict)
    current: dict[int, Ticket] = field(default_factory=dict)
    #: The last number handed out per (business day, prefix), as far as looked up.
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    #: The business day the view holds nothing earlier than (None: not known to be clean).
    day: BusinessDay | None = None


@dataclass(frozen=True)
class Issued:
    ticket: Json
    replayed: bool


class Branch:
    """One branch's queue engine (the service layer)."""

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
        self.secret = secret
        self.clock = millisecond_clock(clock)
        self.publish = publish or (lambda events: None)
        self.policy = config.routing.policy_object()
        self.tz = config.zone
        self.live = Live()
        self.times = ServiceTimes({s.code: s.expected_service_s for s in config.services})
        self.arrivals = Arrivals()
        self.views = {c.number: c.view() for c in config.counters}
        self._lock = threading.RLock()
        self._dirty = False  # the running job has changed the live view
        self._voided = 0  # tickets voided by the day change that began this transaction
        #: When each device's last report became an event (``report_health``).
        self._device_news: dict[str, float] = {}
        self._ensure_counters()
        store.begin = self._begin

    # ---------------------------------------------------------------- live view
    async def run(self, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a write use case (``Branch.issue``…) from the event loop, awaiting its commit
        without a worker thread: what the busiest endpoints use."""
        inner = use_case.__wrapped__  # type: ignore[attr-defined]
        return await self.store.submit_async(functools.partial(inner, self, *args, **kwargs))

    def _ensure_counters(self) -> None:
        with self.store.write() as uow:
            known = {row.number for row in uow.session.scalars(select(CounterRow))}
            for counter in self.config.counters:
                if counter.number not in known:
                    uow.session.add(CounterRow(number=counter.number, state="closed"))

    def _reload(self, session: Any, version: int) -> None:
        # Tickets are read with Core (rows, not ORM objects): nothing of them stays in the
        # session's identity map to go stale when the transaction writes them (store.pending).
        def tickets(query: Any) -> list[Ticket]:
            return [ticket_from_row(r) for r in session.execute(query).mappings()]

        waiting = WaitingIndex.of(tickets(select(TICKETS).where(TICKETS.c.status == "waiting")))
        rows = list(session.scalars(select(CounterRow)))
        counters = {r.number: r.to_domain() for r in rows}
        for row in rows:
            session.expunge(row)
        ids = {c.current_id: c.number for c in counters.values() if c.current_id}
        current = {
            ids[t.id]: t for t in tickets(select(TICKETS).where(TICKETS.c.id.in_(list(ids))))
        }
        times = ServiceTimes({s.code: s.expected_service_s for s in self.config.services})
        for service in self.config.services:
            recent = tickets(
                select(TICKETS)
                .where(TICKETS.c.service == service.code, TICKETS.c.status == "finished")
                .order_by(TICKETS.c.finished_at.desc())
                .limit(times.window)
            )
            for t in reversed(recent):
                if t.finished_at and t.called_at:
                    times.record(service.code, t.finished_at - t.called_at)
        skipped = tickets(
            select(TICKETS)
            .where(TICKETS.c.status == "skipped")
            .order_by(TICKETS.c.finished_at.desc())
            .limit(50)
        )
        for t in reversed(skipped):
            if t.finished_at and t.called_at:
                times.record_skip(t.service, t.finished_at - t.called_at)
        arrivals = Arrivals()
        for t in tickets(
            select(TICKETS)
            .where(TICKETS.c.issued_at >= self.clock() - arrivals.window_s, TICKETS.c.visit == 1)
            .order_by(TICKETS.c.issued_at)
        ):
            arrivals.record(t)
        day = self._business_day()
        stale = day.change([*waiting, *current.values()], counters.values(), self.clock())
        self.live = Live(version, waiting, counters, current, day=None if stale else day)
        self.times = times
        self.arrivals = arrivals

    def _business_day(self) -> BusinessDay:
        info = self.config.branch
        return BusinessDay.of(self.clock(), self.tz, info.opening, info.closing)

    def _begin(self, uow: UnitOfWork) -> None:
        """First in every transaction of use cases: check the live view against the log, and
        start a new business day if this is its first transaction."""
        with self._lock:
            uow.meta["branch"] = True
            uow.before_commit.append(lambda: self._complete_events(uow))
            uow.after_commit.append(lambda: self._committed(uow))
            uow.after_rollback.append(self._invalidate)
            if self.live.version != uow.next_seq - 1:
                self._reload(uow.session, uow.next_seq - 1)
            self._voided = 0
            if self.live.day is None or not self.live.day.contains(self.clock()):
                self._voided = self._start_day(uow, self._business_day())

    def _start_day(self, uow: UnitOfWork, day: BusinessDay) -> int:
        """Apply what a new business day does to the hall left by earlier days (see
        ``domain.business_day``); returns how many tickets were voided."""
        now = self.clock()
        open_before = uow.rows.tickets(
            select(TICKETS).where(
                TICKETS.c.status.in_([s.value for s in moves.OPEN_STATES]),
                TICKETS.c.business_day < day.date,
            )
        )
        change = day.change(open_before, self.live.counters.values(), now)
        for t in change.voided:
            uow.rows.save_ticket(t)
            self.live.waiting.put(t)
            self._emit_ticket(uow, "cancelled", t, reason="end_of_day")
        for counter in change.closed:
            self.live.counters[counter.number] = counter
            self.live.current.pop(counter.number, None)
            uow.rows.save_counter(counter)
            self._emit_counter(uow, counter.number)
        untimed = uow.session.scalars(
            select(AnnouncementRow).where(
                AnnouncementRow.ended_at.is_(None),
                AnnouncementRow.until.is_(None),
                AnnouncementRow.created_at < day.start,
            )
        )
        for row in untimed:
            row.ended_at = now
            uow.emit("announcement", now, self._announcement_json(row))
        keep = self.config.privacy.card_hash_days
        cutoff = care.card_hash_cutoff(date.fromisoformat(day.date), keep)
        uow.session.execute(
            update(TicketRow)
            .where(TicketRow.card_hash.is_not(None), TicketRow.business_day < cutoff)
            .values(card_hash=None)
        )
        self.live.day = day
        return len(change.voided)

    @contextmanager
    def _write(self) -> Iterator[UnitOfWork]:
        """The current job's share of the writer's transaction (see ``Store.submit``).

        The first job of a transaction checks the live view against the log; a job that fails
        after changing the view leaves it to be reloaded from the rolled-back transaction.
        """
        uow = self.store.current()
        with self._lock:
            if "branch" not in uow.meta:  # a transaction the store did not begin for us
                self._begin(uow)
            elif uow.meta.get("stale"):
                uow.rows.write()
                self._reload(uow.session, uow.next_seq - 1)
            uow.meta["stale"] = False
            self._dirty = False
            try:
                yield uow
                uow.session.flush()  # the next use case's look-ups by key see this one's rows
            except DomainError as exc:
                if self._dirty:  # a refusal after writing breaks the store's contract
                    uow.meta["stale"] = True
                    raise RuntimeError(f"refused after writing: {exc.code}") from exc
                raise
            except BaseException:
                uow.meta["stale"] = self._dirty  # its changes to the view are rolled back
                raise

    def _complete_events(self, uow: UnitOfWork) -> None:
        """Give every ticket event of the transaction the queue summary as of its commit:
        computed once for all the use cases committed together."""
        pending = [e for e in uow.events if e.data.get("queue", 0) is None]
        if not pending:
            return
        with self._lock:
            if uow.meta.get("stale"):
                uow.rows.write()
                self._reload(uow.session, uow.next_seq - 1)
                uow.meta["stale"] = False
            summary = self._summary(self.live)
        for event in pending:
            event.data["queue"] = summary

    def _committed(self, uow: UnitOfWork) -> None:
        self.live.version = -1 if uow.meta.get("stale") else uow.next_seq - 1
        self.publish(uow.events)

    def _invalidate(self) -> None:
        self.live.version = -1

    @contextmanager
    def _view(self) -> Iterator[Live]:
        """The live view for a read, reloaded first when another process has written; on the
        first read of a new business day, the day is started first (a write)."""
        with self._lock:
            last = self.store.last_seq()
            if self.live.version != last:
                with self.store.read() as session:
                    self._reload(session, last)
            today = self.live.day is not None and self.live.day.contains(self.clock())
        if not today:
            self.store.submit(self._sync)
        with self._lock:
            yield self.live

    def _sync(self) -> None:
        with self._write():
            pass

    def _counter_states(self, live: Live) -> list[hall.CounterState]:
        out = []
        for c in self.config.counters:
            found = live.counters.get(c.number)
            state = found.state.value if found else "closed"
            out.append(hall.CounterState(self.views[c.number], state, live.current.get(c.number)))
        return out

    def _position(self, live: Live, t: Ticket) -> hall.Position | None:
        states = self._counter_states(live)
        return hall.position_of(
            t, live.waiting, states, self.clock(), self.policy, self.times, self.arrivals
        )

    def _summary(self, live: Live) -> Json:
        newcomer = Ticket(
            id="",
            number="",
            service="",
            tier=self.config.default_tier.code,
            tier_rank=self.config.default_tier.rank,
            green_channel=False,
            status=Status.WAITING,
            issued_at=self.clock(),
            queued_at=self.clock(),
            business_day="",
        )
        codes = [s.code for s in self.config.services]
        summary = hall.summary(
            codes,
            live.waiting,
            self._counter_states(live),
            self.clock(),
            self.policy,
            self.times,
            newcomer,
        )
        return wire.queue(summary)

    def _ticket_json(self, live: Live, t: Ticket) -> Json:
        return wire.ticket(t, self.config, self._position(live, t))

    # ---------------------------------------------------------------- saving
    def _save(self, uow: UnitOfWork, t: Ticket, new: bool = False) -> None:
        self._dirty = True
        uow.rows.save_ticket(t, new=new)
        self.live.waiting.put(t)

    def _emit_ticket(self, uow: UnitOfWork, kind: str, t: Ticket, **extra: Any) -> Json:
        """Append a ``ticket.<kind>`` event; returns the ticket as sent (the API's answer)."""
        body = self._ticket_json(self.live, t)
        data: Json = {"ticket": body, "queue": None}  # completed at commit
        data.update(extra)
        uow.emit(f"ticket.{kind}", self.clock(), data)
        return body

    def _emit_counter(self, uow: UnitOfWork, number: int) -> None:
        uow.emit("counter.updated", self.clock(), {"counter": self._counter_json(number)})

    def _load(self, uow: UnitOfWork, ticket_id: str) -> Ticket:
        t = uow.rows.ticket(ticket_id)
        if t is None:
            raise NotFound(f"no ticket {ticket_id}", "ticket_not_found")
        return t

    def _counter(self, number: int) -> Counter:
        found = self.live.counters.get(number)
        if found is None or self.config.counter(number) is None:
            raise NotFound(f"no counter {number}", "counter_not_found")
        return found

    def _save_counter(self, uow: UnitOfWork, counter: Counter) -> None:
        self._dirty = True
        self.live.counters[counter.number] = counter
        uow.rows.save_counter(counter)

    def _active(self, number: int) -> Ticket:
        t = self.live.current.get(number)
        if t is None or t.status not in ACTIVE:
            raise IllegalMove(f"counter {number} has no current customer", "no_current_ticket")
        return t

    def _set_current(self, uow: UnitOfWork, counter: Counter, t: Ticket | None) -> None:
        """The counter (as worked by its teller) with ``t`` at the desk, or a free desk."""
        if t is None or t.status not in ACTIVE:
            self.live.current.pop(counter.number, None)
            counter = counter_moves.with_current(counter, None, self.clock())
        else:
            self.live.current[counter.number] = t
            counter = counter_moves.with_current(counter, t.id, self.clock())
        self._save_counter(uow, counter)

    # ---------------------------------------------------------------- issuing
    @_serialized
    def issue(
        self,
        principal: str,
        service: str,
        tier: str | None = None,
        green_channel: bool = False,
        card: str | None = None,
        idempotency_key: str | None = None,
        admit: Callable[[], None] | None = None,
    ) -> Issued:
        """Issue a ticket; with an idempotency key a retry returns the first ticket.

        ``admit`` runs only when a new ticket is about to be made (not for a retry answered
        from the key): the kiosk's rate limit, so retries never count against it."""
        svc = self.config.service(service)
        if svc is None:
            known = ", ".join(s.code for s in self.config.services)
            raise InvalidInput(f"unknown service {service!r} (known: {known})", "unknown_service")
        tier_cfg = self.config.tier(tier) if tier else self.config.default_tier
        if tier_cfg is None:
            raise InvalidInput(f"unknown tier {tier!r}", "unknown_tier")
        hashed = None
        if card is not None:
            card = card.strip()
            if not card.isdigit() or not 8 <= len(card) <= 19:
                raise InvalidInput("a card number is 8 to 19 digits", "invalid_card")
            hashed = card_hash(card, self.secret)
            by_card = self.config.tier_for_card(card)
            if by_card is not None and by_card.rank > tier_cfg.rank:
                tier_cfg = by_card
        request_hash = hashlib.sha256(
            json.dumps([service, tier, green_channel, hashed]).encode()
        ).hexdigest()
        now = self.clock()
        with self._write() as uow:
            if idempotency_key:
                seen = uow.session.get(IdempotencyRow, (principal, idempotency_key))
                if seen is not None:
                    if seen.request_hash != request_hash:
                        raise InvalidInput(
                            "this Idempotency-Key was used for a different request",
                            "idempotency_key_reused",
                        )
                    return Issued(
                        self._ticket_json(self.live, self._load(uow, seen.ticket_id)), replayed=True
                    )
            if admit is not None:
                admit()
            day = self.live.day.date if self.live.day else self._business_day().date
            t = Ticket(
                id=new_id(),
                number=format_number(svc.ticket_prefix, self._next_number(uow, day, svc)),
                service=svc.code,
                tier=tier_cfg.code,
                tier_rank=tier_cfg.rank,
                green_channel=green_channel,
                status=Status.WAITING,
                issued_at=now,
                queued_at=now,
                business_day=day,
                card_hash=hashed,
            )
            self._save(uow, t, new=True)
            self.arrivals.record(t)
            if idempotency_key:
                uow.session.add(
                    IdempotencyRow(
                        principal=principal,
                        key=idempotency_key,
                        request_hash=request_hash,
                        ticket_id=t.id,
                        created_at=now,
                    )
                )
            body = self._emit_ticket(uow, "issued", t)
        return Issued(body, replayed=False)

    def _next_number(self, uow: UnitOfWork, day: str, svc: ServiceSettings) -> int:
        self._dirty = True
        key = (day, svc.ticket_prefix)
        last = self.live.numbers.get(key)
        if last is None:
            last = uow.rows.last_number(*key)
        self.live.numbers[key] = last + 1
        uow.rows.save_number(*key, last + 1)
        return last + 1

    # ---------------------------------------------------------------- counters
    # ``teller`` is the login of the teller acting, None for the lobby manager or a keypad: a
    # teller works only a counter nobody else holds (``domain.counters``).
    @_serialized
    def call_next(self, number: int, teller: str | None) -> Json | None:
        """Call the ticket routing picks for this counter; None when nobody waits for it."""
        with self._write() as uow:
            counter = self._counter(number)
            counter_moves.check_can_call(counter, teller)
            view = self.views[number]
            pick = choose_next(view, self.live.waiting.heads(view), self.clock(), self.policy)
            if pick is None:
                return None
            return self._call(uow, counter, pick, teller)

    @_serialized
    def call_number(self, number: int, ticket_number: str, teller: str | None) -> Json:
        """Call a given waiting number at this counter (the teller typed it)."""
        with self._write() as uow:
            counter = self._counter(number)
            counter_moves.check_can_call(counter, teller)
            found = [t for t in self.live.waiting if t.number == ticket_number.upper()]
            if not found:
                raise NotFound(f"no waiting ticket {ticket_number}", "ticket_not_waiting")
            if not can_call(self.views[number], found[0]):
                raise IllegalMove(
                    f"counter {number} does not serve {ticket_number}", "not_served_here"
                )
            return self._call(uow, counter, found[0], teller)

    def _call(self, uow: UnitOfWork, counter: Counter, pick: Ticket, teller: str | None) -> Json:
        # The call is the teller's who holds the counter, also when a keypad or the lobby
        # pressed: figures by teller count what each teller's counter did.
        counter = counter_moves.worked_by(counter, teller)
        called = moves.call(pick, counter.number, self.clock(), counter.teller)
        self._save(uow, called)
        self._set_current(uow, counter, called)
        ref = wire.counter_ref(counter.number, self.config)
        body = self._emit_ticket(uow, "called", called, counter=ref)
        self._emit_counter(uow, counter.number)
        return body

    def _worked(self, number: int, teller: str | None) -> Counter:
        """The counter as ``teller`` works it (refused if another teller holds it)."""
        return counter_moves.worked_by(self._counter(number), teller)

    @_serialized
    def recall(self, number: int, teller: str | None = None) -> Json:
        with self._write() as uow:
            counter = self._worked(number, teller)
            t = moves.recall(self._active(number), self.clock())
            self._save(uow, t)
            self._set_current(uow, counter, t)
            ref = wire.counter_ref(number, self.config)
            return self._emit_ticket(uow, "recalled", t, counter=ref)

    @_serialized
    def start(self, number: int, teller: str | None = None) -> Json:
        return self._counter_move(number, teller, "started", lambda t: moves.start(t, self.clock()))

    @_serialized
    def skip(self, number: int, teller: str | None = None) -> Json:
        def no_show(t: Ticket) -> Ticket:
            out = moves.skip(t, self.clock())
            if out.called_at is not None and out.finished_at is not None:
                self.times.record_skip(out.service, out.finished_at - out.called_at)
            return out

        return self._counter_move(number, teller, "skipped", no_show)

    @_serialized
    def finish(self, number: int, rating: int | None = None, teller: str | None = None) -> Json:
        def done(t: Ticket) -> Ticket:
            out = moves.finish(t, self.clock(), rating)
            if out.called_at is not None and out.finished_at is not None:
                self.times.record(out.service, out.finished_at - out.called_at)
            return out

        return self._counter_move(number, teller, "finished", done)

    def _counter_move(
        self, number: int, teller: str | None, kind: str, move: Callable[[Ticket], Ticket]
    ) -> Json:
        with self._write() as uow:
            counter = self._worked(number, teller)
            t = move(self._active(number))
            self._save(uow, t)
            self._set_current(uow, counter, t)
            body = self._emit_ticket(uow, kind, t)
            self._emit_counter(uow, number)
            return body

    @_serialized
    def request_rating(self, number: int, teller: str | None = None) -> Json:
        """The teller asks the customer to rate: the counter's tablet shows the rating screen
        for the ticket at the desk, or the last one finished here in the past 10 minutes."""
        with self._write() as uow:
            counter_moves.check_holder(self._counter(number), teller)
            t = self.live.current.get(number)
            if t is None or t.status not in ACTIVE:
                t = self._recent_unrated(uow, number)
            if t is None:
                raise IllegalMove(
                    f"counter {number} has no recent customer to ask", "nothing_to_rate"
                )
            return self._emit_ticket(
                uow, "rating_requested", t, counter=wire.counter_ref(number, self.config)
            )

    def _recent_unrated(self, uow: UnitOfWork, number: int) -> Ticket | None:
        found = uow.rows.tickets(
            select(TICKETS)
            .where(TICKETS.c.counter == number, TICKETS.c.status == Status.FINISHED.value)
            .where(TICKETS.c.finished_at >= self.clock() - 600)
            .order_by(TICKETS.c.finished_at.desc())
            .limit(1)
        )
        return found[0] if found and found[0].rating is None else None

    @_serialized
    def transfer(
        self, number: int, service: str | None, counter: int | None, teller: str | None = None
    ) -> Json:
        """The current customer waits again, for another service or counter, keeping the
        number and the original issue time; returns the new visit."""
        with self._write() as uow:
            here = self._worked(number, teller)
            current = self._active(number)
            self._check_target(service, counter)
            old, new = moves.transfer(current, self.clock(), new_id(), service, counter)
            self._save(uow, old)
            self._save(uow, new, new=True)
            self._set_current(uow, here, None)
            body = self._ticket_json(self.live, new)
            self._emit_ticket(uow, "transferred", old, new_ticket=body)
            self._emit_counter(uow, number)
            return body

    def _check_target(self, service: str | None, counter: int | None) -> None:
        if service is not None and self.config.service(service) is None:
            raise InvalidInput(f"unknown service {service!r}", "unknown_service")
        if counter is not None and self.config.counter(counter) is None:
            raise InvalidInput(f"unknown counter {counter}", "unknown_counter")
        if (service is None) == (counter is None):
            raise InvalidInput("give exactly one of service or counter", "transfer_target")

    @_serialized
    def set_state(
        self, number: int, action: str, teller: str | None, reason: str | None = None
    ) -> Json:
        """``open``, ``pause``, ``resume``, ``close`` or ``take_over`` a counter."""
        with self._write() as uow:
            counter = self._counter(number)
            now = self.clock()
            if action == "open":
                counter = counter_moves.open_counter(counter, now, teller)
            elif action == "pause":
                counter = counter_moves.pause(counter, now, teller, reason)
            elif action == "resume":
                counter = counter_moves.resume(counter, now, teller)
            elif action == "close":
                counter = counter_moves.close(counter, now, teller)
            elif action == "take_over":
                if teller is None:
                    raise Forbidden("only a teller takes a counter over", "forbidden")
                counter = counter_moves.take_over(counter, now, teller)
            else:
                raise InvalidInput(f"unknown counter action {action!r}", "invalid_input")
            self._save_counter(uow, counter)
            self._emit_counter(uow, number)
            return self._counter_json(number)

    # ---------------------------------------------------------------- phones
    # Tickets taken from a phone before arriving (``domain.remote``): ``remote`` until the
    # customer checks in at the branch, with the code the kiosk or the door shows now (the
    # check-in page sends it with the tickets the phone holds) or the ticket's own code typed
    # in by the lobby. The browser is known only by the keyed hash of its random id.
    @_serialized
    def take_remote(self, service: str, browser: str) -> Json:
        """A phone takes a ticket for ``service`` within the branch's ``[remote]`` limits."""
        svc = self.config.service(service)
        if svc is None:
            raise InvalidInput(f"unknown service {service!r}", "unknown_service")
        if not BROWSER_ID.match(browser):
            raise InvalidInput("browser must be 32 hex digits", "invalid_browser")
        rules = self.config.remote.rules()
        holder = browser_hash(browser, self.secret)
        now = self.clock()
        with self._write() as uow:
            day = self.live.day or self._business_day()
            if rules.enabled and not day.offers(svc.code, self._served_by(self.live), now):
                raise IllegalMove(
                    "this service takes no new tickets now: see the opening hours",
                    "branch_closed",
                )
            remote.admit(self._remote_counts(uow, holder, svc.code, day.date, now), rules)
            t = Ticket(
                id=new_id(),
                number=format_number(svc.ticket_prefix, self._next_number(uow, day.date, svc)),
                service=svc.code,
                tier=self.config.default_tier.code,
                tier_rank=self.config.default_tier.rank,
                green_channel=False,
                status=Status.REMOTE,
                issued_at=now,
                queued_at=now,
                business_day=day.date,
                remote_until=now + rules.valid_s,
                check_in_code=self._free_code(uow),
                holder=holder,
            )
            self._save(uow, t, new=True)
            self._emit_ticket(uow, "taken", t)
        return {"id": t.id}

    def _served_by(self, live: Live) -> list[tuple[Counter, tuple[str, ...]]]:
        return [
            (live.counters[c.number], self.views[c.number].services)
            for c in self.config.counters
            if c.number in live.counters
        ]

    def _remote_counts(
        self, uow: UnitOfWork, holder: str, service: str, today: str, now: float
    ) -> remote.RemoteCounts:
        uow.rows.write()  # this transaction's tickets are counted too

        def count(*where: ColumnElement[bool]) -> int:
            found = uow.session.execute(select(func.count()).select_from(TICKETS).where(*where))
            return int(found.scalar_one())

        mine = (TICKETS.c.holder == holder, TICKETS.c.business_day == today)
        on_way = TICKETS.c.status == Status.REMOTE.value
        return remote.RemoteCounts(
            browser_open=count(*mine, on_way),
            browser_today=count(*mine),
            branch_last_hour=count(
                TICKETS.c.remote_until.is_not(None), TICKETS.c.issued_at > now - 3600
            ),
            service_remote=count(on_way, TICKETS.c.service == service),
            service_waiting=sum(1 for t in self.live.waiting if t.service == service),
        )

    def _free_code(self, uow: UnitOfWork) -> str:
        """A check-in code no ticket waiting for its check-in has."""
        while True:
            code = f"{secrets.randbelow(10**remote.CODE_DIGITS):0{remote.CODE_DIGITS}d}"
            taken = uow.rows.tickets(
                select(TICKETS).where(
                    TICKETS.c.check_in_code == code, TICKETS.c.status == Status.REMOTE.value
                )
            )
            if not taken:
                return code

    @_serialized
    def check_in(
        self,
        ticket_ids: Collection[str] = (),
        door_code: str | None = None,
        ticket_code: str | None = None,
    ) -> list[str]:
        """The customer is at the branch: with the code the kiosk or the door shows now and
        the tickets their phone holds, or (the lobby) with the ticket's own code. A ticket
        past its validity lapses instead; one already checked in stays as it is. Returns the
        ids of the tickets it was asked about."""
        rules = self.config.remote.rules()
        with self._write() as uow:
            now = self.clock()
            found = self._to_check_in(uow, rules, ticket_ids, door_code, ticket_code)
            for t in found:
                if t.status is not Status.REMOTE:
                    continue
                if t.remote_until is not None and now >= t.remote_until:
                    t = moves.lapse(t, now)
                    self._save(uow, t)
                    self._emit_ticket(uow, "cancelled", t, reason="lapsed")
                else:
                    t = moves.check_in(t, now, remote.queue_time(t.issued_at, now, rules))
                    self._save(uow, t)
                    self.arrivals.record(t)
                    self._emit_ticket(uow, "checked_in", t)
            return [t.id for t in found]

    def _to_check_in(
        self,
        uow: UnitOfWork,
        rules: remote.RemoteRules,
        ticket_ids: Collection[str],
        door_code: str | None,
        ticket_code: str | None,
    ) -> list[Ticket]:
        if ticket_code is not None:
            code = ticket_code.strip().replace(" ", "")
            if not remote.is_check_in_code(code):
                raise InvalidInput(
                    f"a check-in code is {remote.CODE_DIGITS} digits", "invalid_check_in_code"
                )
            found = uow.rows.tickets(
                select(TICKETS).where(
                    TICKETS.c.check_in_code == code, TICKETS.c.status == Status.REMOTE.value
                )
            )
            if not found:
                raise NotFound("no ticket waits for check-in with this code", "ticket_not_found")
            return found[:1]
        if door_code is None or not remote.door_code_ok(
            door_key(self.secret), door_code, self.clock(), rules
        ):
            raise InvalidInput(
                "this check-in code has changed: scan the code the kiosk shows now",
                "check_in_code_stale",
            )
        if not ticket_ids:
            raise InvalidInput("no ticket to check in", "nothing_to_check_in")
        if len(ticket_ids) > MAX_CHECK_IN:
            raise InvalidInput(f"at most {MAX_CHECK_IN} tickets at once", "too_many_tickets")
        out = []
        for ticket_id in dict.fromkeys(ticket_ids):
            t = uow.rows.ticket(ticket_id)
            if t is not None and t.remote_until is not None:
                out.append(t)
        return out

    @_serialized
    def give_back(self, ticket_id: str) -> Json:
        """The holder gives the ticket back from the phone (remote, or waiting)."""
        with self._write() as uow:
            t = self._load(uow, ticket_id)
            if t.status not in (Status.REMOTE, Status.WAITING):
                raise IllegalMove(
                    "this ticket can no longer be given back from the phone", "illegal_move"
                )
            t = moves.cancel(t, self.clock())
            self._save(uow, t)
            return self._emit_ticket(uow, "cancelled", t, reason="given_back")

    @_serialized
    def lapse_remote(self) -> int:
        """Void the remote tickets not checked in within their validity (housekeeping)."""
        with self._write() as uow:
            now = self.clock()
            due = uow.rows.tickets(
                select(TICKETS).where(
                    TICKETS.c.status == Status.REMOTE.value, TICKETS.c.remote_until <= now
                )
            )
            for t in due:
                t = moves.lapse(t, now)
                self._save(uow, t)
                self._emit_ticket(uow, "cancelled", t, reason="lapsed")
            return len(due)

    def phone_branch(self) -> Json:
        """The branch as its phone page shows it: each service's queue, whether a number can
        be taken from a phone now (and why not), and what the branch offers phones."""
        config = self.config
        rules = config.remote.rules()
        with self._view() as live:
            now = self.clock()
            summary = self._summary(live)
            day = live.day or self._business_day()
            served = self._served_by(live)
            offered = {s.code: day.offers(s.code, served, now) for s in config.services}
        with self.store.read() as session:
            rows = session.execute(
                select(TICKETS.c.service, func.count())
                .where(TICKETS.c.status == Status.REMOTE.value)
                .group_by(TICKETS.c.service)
            ).all()
        on_way = {str(code): int(n) for code, n in rows}
        services = []
        for s in config.services:
            q = summary[s.code]
            why = None
            if not offered[s.code]:
                why = "closed"
            elif not remote.share_allows(on_way.get(s.code, 0), q["waiting"], rules):
                why = "full"
            services.append(
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "waiting": q["waiting"],
                    "estimated_wait_s": q["estimated_wait_s"],
                    "remote": why is None,
                    "remote_reason": why,
                }
            )
        info = config.branch
        return {
            "branch": {
                "name": info.name,
                "name_en": info.name_en,
                "bank": info.bank,
                "bank_en": info.bank_en,
            },
            "today": day.date,
            "open": any(offered.values()),
            "opening": info.opening,
            "closing": info.closing,
            "remote": {
                "enabled": rules.enabled,
                "place": rules.place,
                "valid_s": int(rules.valid_s),
            },
            # Booking from the phone and the reminders are not offered by this engine yet.
            "appointments": {"phone": False, "services": [], "days": []},
            "notify": {"ahead": config.notify.ahead, "push_key": None, "sms": False},
            "services": services,
        }

    def door(self) -> Json:
        """The check-in code the kiosk and the door show now, the page its QR code opens, and
        until when it is shown."""
        rules = self.config.remote.rules()
        code, until = remote.door_code(door_key(self.secret), self.clock(), rules)
        return {
            "code": code,
            "url": f"{self.config.branch.public_url}/c/{code}",
            "until": wire.iso(until, self.tz),
            "enabled": rules.enabled,
        }

    def remote_tickets(self) -> list[Json]:
        """The tickets taken from phones and not yet checked in (the lobby's "on the way")."""
        with self.store.read() as session:
            rows = session.execute(
                select(TICKETS)
                .where(TICKETS.c.status == Status.REMOTE.value)
                .order_by(TICKETS.c.issued_at)
            ).mappings()
            found = [ticket_from_row(r) for r in rows]
        return [wire.ticket(t, self.config) for t in found]

    # ---------------------------------------------------------------- lobby
    @_serialized
    def cancel(self, ticket_id: str) -> Json:
        with self._write() as uow:
            t = moves.cancel(self._load(uow, ticket_id), self.clock())
            self._save(uow, t)
            return self._emit_ticket(uow, "cancelled", t)

    @_serialized
    def reassign(self, ticket_id: str, front: bool, counter: int | None) -> Json:
        with self._write() as uow:
            if counter is not None:
                self._counter(counter)
            t = moves.reassign(self._load(uow, ticket_id), self.clock(), front, counter)
            self._save(uow, t)
            return self._emit_ticket(uow, "reassigned", t)

    @_serialized
    def move(self, ticket_id: str, service: str) -> Json:
        """A waiting ticket moves to another service, keeping its number and place in time."""
        with self._write() as uow:
            self._check_target(service, None)
            current = self._load(uow, ticket_id)
            if current.status is not Status.WAITING:
                raise IllegalMove(
                    f"ticket {current.number} is {current.status.value}",
                    f"cannot_move_{current.status.value}",
                )
            old, new = moves.transfer(current, self.clock(), new_id(), service, None)
            self._save(uow, old)
            self._save(uow, new, new=True)
            body = self._ticket_json(self.live, new)
            self._emit_ticket(uow, "transferred", old, new_ticket=body)
            return body

    @_serialized
    def rate(self, ticket_id: str, rating: int, counters: Collection[int] | None) -> Json:
        """The customer's rating of a finished ticket, once; ``counters``: only of a ticket
        served at one of them (None: at any)."""
        with self._write() as uow:
            t = self._load(uow, ticket_id)
            if counters is not None and t.counter not in counters:
                raise IllegalMove("this ticket was not served at this counter", "wrong_counter")
            if t.status is not Status.FINISHED:
                raise IllegalMove(f"ticket {t.number} is {t.status.value}", "not_finished")
            if t.rating is not None:
                raise IllegalMove(f"ticket {t.number} is already rated", "already_rated")
            t = replace(t, rating=rating)
            self._save(uow, t)
            return self._emit_ticket(uow, "rated", t)

    @_serialized
    def announce(self, text: str, until: float | None, by: str) -> Json:
        with self._write() as uow:
            row = AnnouncementRow(text=text, until=until, created_at=self.clock(), created_by=by)
            uow.session.add(row)
            uow.session.flush()
            data = self._announcement_json(row)
            uow.emit("announcement", self.clock(), data)
            return data

    @_serialized
    def end_announcement(self, ident: int) -> Json:
        with self._write() as uow:
            row = uow.session.get(AnnouncementRow, ident)
            if row is None:
                raise NotFound(f"no announcement {ident}", "announcement_not_found")
            if row.ended_at is None:
                row.ended_at = self.clock()
            data = self._announcement_json(row)
            uow.emit("announcement", self.clock(), data)
            return data

    # -------------------------------------------------------------- privacy
    @_serialized
    def erase(self, card: str | None = None, ticket_id: str | None = None) -> Json:
        """Erase a customer's card from every ticket that holds it (or one ticket's card): the
        keyed hash goes; the visit stays in the figures without it. Returns how many tickets
        held it."""
        if (card is None) == (ticket_id is None):
            raise InvalidInput("give a card number or a ticket id", "invalid_input")
        with self._write() as uow:
            if card is not None:
                card = card.strip()
                if not card.isdigit() or not 8 <= len(card) <= 19:
                    raise InvalidInput("a card number is 8 to 19 digits", "invalid_card")
                where = TicketRow.card_hash == card_hash(card, self.secret)
            else:
                if uow.session.get(TicketRow, ticket_id) is None:
                    raise NotFound(f"no ticket {ticket_id}", "ticket_not_found")
                where = (TicketRow.id == ticket_id) & TicketRow.card_hash.is_not(None)
            held = [str(i) for i in uow.session.scalars(select(TicketRow.id).where(where))]
            if held:
                uow.session.execute(update(TicketRow).where(where).values(card_hash=None))
                for ident in held:  # the open ones the engine holds in memory too
                    t = self.live.waiting.get(ident)
                    if t is not None:
                        self.live.waiting.put(replace(t, card_hash=None))
                for number, t in list(self.live.current.items()):
                    if t.id in held:
                        self.live.current[number] = replace(t, card_hash=None)
            return {"erased": len(held)}

    # -------------------------------------------------------------- help at the kiosk
    @_serialized
    def request_help(self, device: str, ticket: Json | None = None) -> Json:
        """A kiosk's "请大堂经理帮忙" (``kind: help``): the lobby console and the hall display are
        told which kiosk; no ticket is taken and nothing about the customer is kept. With a
        ``ticket`` (``kind: care``): its customer asked for the green channel, for the lobby
        manager to confirm."""
        now = self.clock()
        with self._write() as uow:
            data: Json = {"id": new_id(), "kind": "care" if ticket else "help", "device": device,
                          "state": care.HelpState.OPEN, "at": wire.iso(now, self.tz)}  # fmt: skip
            if ticket is not None:
                data["ticket"] = {k: ticket[k] for k in ("id", "number", "service")}
            uow.emit("help", now, data)
            return data

    @_serialized
    def answer_help(self, ident: str, grant: bool | None = None) -> Json:
        """The lobby manager is on the way: the request leaves the console and the display.
        A green-channel request is granted (the waiting ticket moves into the green channel)
        or declined (``grant``)."""
        now = self.clock()
        with self._write() as uow:
            found = next((h for h in self._help_events(uow.session) if h["id"] == ident), None)
            if found is None:
                raise NotFound(f"no help request {ident}", "help_not_found")
            if found["state"] != care.HelpState.OPEN:
                return dict(found)
            state = care.HelpState.ANSWERED
            if found.get("kind") == "care":
                if grant is None:
                    raise InvalidInput("say whether the green channel is granted", "grant_missing")
                state = care.HelpState.GRANTED if grant else care.HelpState.DECLINED
                t = self._load(uow, str(found["ticket"]["id"]))
                if grant and t.status is Status.WAITING and not t.green_channel:
                    t = replace(t, green_channel=True)
                    self._save(uow, t)
                    self._emit_ticket(uow, "green_channel", t)
            data = {**found, "state": state, "answered_at": wire.iso(now, self.tz)}
            uow.emit("help", now, data)
            return data

    def help_requests(self) -> list[Json]:
        """The day's help requests nobody has answered yet, oldest first."""
        with self.store.read() as session:
            return [dict(h) for h in care.open_requests(self._help_events(session))]

    def _help_events(self, session: Any) -> list[Json]:
        day = self._business_day().date
        first = datetime.combine(date.fromisoformat(day), dtime(0), self.tz).timestamp()
        rows = session.scalars(
            select(EventRow).where(EventRow.type == "help", EventRow.at >= first)
            .order_by(EventRow.seq)
        )  # fmt: skip
        return [r.data for r in rows]

    def _announcement_json(self, row: AnnouncementRow) -> Json:
        day = self._business_day()
        return {
            "id": row.id,
            "text": row.text,
            "until": wire.iso(row.until, self.tz),
            "active": day.announcement_active(
                row.created_at, row.until, row.ended_at, self.clock()
            ),
        }

    @_serialized
    def report_health(self, device: str, status: str, detail: Json) -> Json:
        """Store a device's health report (the latest is kept); it is an event when the status
        changed, or when only the detail did and the device's last event is ``DEVICE_NEWS_S``
        old: every subscriber gets each event, and a display's detail changes each time."""
        size = len(json.dumps(detail, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_HEALTH_DETAIL_BYTES:
            raise InvalidInput(
                f"the health detail is {size} bytes; at most {MAX_HEALTH_DETAIL_BYTES}",
                "health_detail_too_large",
            )
        with self._write() as uow:
            row = uow.session.get(DeviceRow, device)
            before = None if row is None else (row.status, row.detail)
            if row is None:
                row = DeviceRow(name=device)
                uow.session.add(row)
            now = self.clock()
            row.status, row.detail, row.reported_at = status, detail, now
            data = {
                "name": device,
                "status": status,
                "detail": detail,
                "reported_at": wire.iso(row.reported_at, self.tz),
            }
            last_news = self._device_news.get(device)
            news = before is None or before[0] != status
            if not news and before != (status, detail):
                news = last_news is None or now - last_news >= DEVICE_NEWS_S
            if news:
                self._device_news[device] = now
                uow.emit("device.updated", now, {"device": data})
            return data

    @_serialized
    def end_of_day(self) -> int:
        """Start the business day if it has not been yet (the housekeeping's check each
        minute): void the earlier days' open tickets, close their counters, end their
        untimed announcements. Returns how many tickets were voided."""
        with self._write() as uow:
            return self._voided + self._start_day(uow, self._business_day())

    # ---------------------------------------------------------------- reads
    def ticket(self, ticket_id: str) -> Json:
        with self._view() as live, self.store.read() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise NotFound(f"no ticket {ticket_id}", "ticket_not_found")
            t = live.waiting.get(ticket_id) or row.to_domain()
            return self._ticket_json(live, t)

    def list_tickets(
        self, day: str | None, status: Status | None, service: str | None
    ) -> list[Json]:
        """The visits of a business day (today by default), optionally filtered."""
        found = [
            t
            for t in self.store.tickets_of_day(day or self.today())
            if (status is None or t.status is status) and (service is None or t.service == service)
        ]
        with self._view() as live:
            return [self._ticket_json(live, live.waiting.get(t.id) or t) for t in found]

    def latest_visit(self, ticket_id: str) -> Ticket:
        """The newest visit of the ticket a QR code points at (it follows transfers)."""
        with self.store.read() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise NotFound("no such ticket", "ticket_not_found")
            root = row.origin_id or row.id
            last = session.scalars(
                select(TicketRow)
                .where(TicketRow.origin_id == root)
                .order_by(TicketRow.visit.desc())
                .limit(1)
            ).first()
            return (last or row).to_domain()

    def public(self, ticket_id: str) -> Json:
        t = self.latest_visit(ticket_id)
        with self._view() as live:
            t = live.waiting.get(t.id) or t
            queue = self._summary(live).get(t.service) if t.status is Status.REMOTE else None
            return wire.public_ticket(t, self.config, self._position(live, t), self.today(), queue)

    def public_many(self, ticket_ids: Collection[str]) -> dict[str, Json]:
        """The public state of many tickets at once, by the id their QR code holds (the phone
        pages' live feed). Tickets in the hall (waiting, at a counter) come from the live view
        (a transferred one by its first visit's id); only the others cost a query, one for
        all; the positions are one pass per service."""
        ids = set(ticket_ids)
        if not ids:
            return {}
        with self._view() as live:
            newest = {
                root: t
                for t in (*live.waiting, *live.current.values())
                if (root := t.origin_id or t.id) in ids
            }
        rest = [i for i in ids if i not in newest]
        if rest:
            with self.store.read() as session:
                rows = session.execute(
                    select(TICKETS).where(TICKETS.c.id.in_(rest) | TICKETS.c.origin_id.in_(rest))
                ).mappings()
                for t in (ticket_from_row(r) for r in rows):
                    root = t.origin_id or t.id
                    if root not in newest or t.visit > newest[root].visit:
                        newest[root] = t
        today = self.today()
        with self._view() as live:
            states = self._counter_states(live)
            now = self.clock()
            places: dict[str, hall.Position] = {}
            for service in sorted({t.service for t in newest.values() if t.is_waiting}):
                places.update(
                    hall.positions_for_service(
                        service, live.waiting, states, now, self.policy, self.times, self.arrivals
                    )
                )
            remote = any(t.status is Status.REMOTE for t in newest.values())
            summary = self._summary(live) if remote else {}
            return {
                root: wire.public_ticket(
                    live.waiting.get(t.id) or t,
                    self.config,
                    places.get(t.id),
                    today,
                    summary.get(t.service),
                )
                for root, t in newest.items()
            }

    def queue(self) -> Json:
        with self._view() as live:
            states = self._counter_states(live)
            now = self.clock()
            out = []
            for s in self.config.services:
                pos = hall.positions_for_service(
                    s.code, live.waiting, states, now, self.policy, self.times, self.arrivals
                )
                by_id = {t.id: t for t in live.waiting if t.service == s.code}
                mine = [by_id[ident] for ident in pos]  # in the order the hall calls them
                out.append(
                    {
                        "code": s.code,
                        "waiting": [wire.ticket(t, self.config, pos[t.id]) for t in mine],
                    }
                )
            return {"services": out}

    def services(self) -> list[Json]:
        with self._view() as live:
            summary = self._summary(live)
            day = live.day or self._business_day()
            counters = [
                (live.counters[c.number], self.views[c.number].services)
                for c in self.config.counters
                if c.number in live.counters
            ]
            now = self.clock()
            open_codes = {s.code for s in self.config.services if day.offers(s.code, counters, now)}
        return [
            {
                "code": s.code,
                "name": s.name,
                "name_en": s.name_en,
                "waiting": summary[s.code]["waiting"],
                "estimated_wait_s": summary[s.code]["estimated_wait_s"],
                "open": s.code in open_codes,
            }
            for s in self.config.services
        ]

    def _counter_json(self, number: int) -> Json:
        cfg = self.config.counter(number)
        assert cfg is not None
        found = self.live.counters.get(number)
        current = self.live.current.get(number)
        return {
            "number": number,
            "name": cfg.display_name,
            "name_en": cfg.name_en or f"Counter {number}",
            "services": cfg.services,
            "prefers_green": cfg.prefers_green,
            "state": found.state.value if found else "closed",
            "teller": found.teller if found else None,
            "paused_reason": found.paused_reason if found else None,
            "current": wire.ticket(current, self.config) if current else None,
            "waiting": self.live.waiting.count_for(cfg.view()),
        }

    def counters(self) -> list[Json]:
        with self._view():
            return [self._counter_json(c.number) for c in self.config.counters]

    def counter(self, number: int) -> Json:
        with self._view():
            self._counter(number)
            return self._counter_json(number)

    def announcements(self) -> list[Json]:
        with self.store.read() as session:
            rows = session.scalars(
                select(AnnouncementRow).where(AnnouncementRow.ended_at.is_(None))
            )
            return [a for a in (self._announcement_json(r) for r in rows) if a["active"]]

    def devices(self, connected: dict[str, int]) -> list[Json]:
        with self.store.read() as session:
            reports = {r.name: r for r in session.scalars(select(DeviceRow))}
        out = []
        for d in self.config.devices:
            r = reports.get(d.name)
            out.append(
                {
                    "name": d.name,
                    "role": d.role,
                    "counter": d.counter,
                    "status": r.status if r else "unknown",
                    "detail": r.detail if r else {},
                    "reported_at": wire.iso(r.reported_at, self.tz) if r else None,
                    "connected": d.name in connected,
                    "last_seq_sent": connected.get(d.name),
                }
            )
        return out

    def last_calls(self, limit: int = 10) -> list[Json]:
        with self.store.read() as session:
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.type.in_(("ticket.called", "ticket.recalled")))
                .where(EventRow.at >= self._business_day().start)
                .order_by(EventRow.seq.desc())
                .limit(limit)
            )
            return [
                {
                    "ticket": r.data["ticket"],
                    "counter": r.data.get("counter"),
                    "at": wire.iso(r.at, self.tz),
                }
                for r in rows
            ]

    def snapshot(self) -> Event:
        """The whole hall as one event, for a subscriber that cannot be replayed to."""
        with self._view() as live:
            seq = live.version
            data = {
                "branch": {
                    "code": self.config.branch.code,
                    "name": self.config.branch.name,
                    "name_en": self.config.branch.name_en,
                },
                "counters": [self._counter_json(c.number) for c in self.config.counters],
                "queue": self._summary(live),
            }
        data["services"] = self.services()
        data["last_calls"] = self.last_calls()
        data["announcements"] = self.announcements()
        data["help"] = self.help_requests()
        return Event(seq, "snapshot", self.clock(), data)

    def tickets_of_day(self, day: str) -> list[Ticket]:
        return self.store.tickets_of_day(day)

    def counter_spans(self, day: str) -> list[figures.CounterSpan]:
        """Each counter's open and paused stretches on a business day, from the event log."""
        first = datetime.combine(date.fromisoformat(day), dtime(0), self.tz).timestamp()
        last = min(first + 86400, self.clock())
        changes: list[tuple[float, int, str, str | None]] = []
        with self.store.read() as session:
            for c in self.config.counters:
                before = session.scalars(
                    select(EventRow)
                    .where(EventRow.type == "counter.updated", EventRow.at < first)
                    .where(EventRow.data["counter"]["number"].as_integer() == c.number)
                    .order_by(EventRow.seq.desc())
                    .limit(1)
                ).first()
                if before is not None:
                    changes.append(_change(before.at, before.data))
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.type == "counter.updated", EventRow.at >= first)
                .where(EventRow.at < last)
                .order_by(EventRow.seq)
            )
            changes.extend(_change(r.at, r.data) for r in rows)
        return figures.counter_spans(sorted(changes, key=lambda c: c[0]), first, last)

    def today(self) -> str:
        return self._business_day().date
