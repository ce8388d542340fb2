"""The staffing advice, live: the engine looks ahead every minute and tells the lobby.

``Advisor.look`` takes the hall from the live view (``hall_of``: waiting tickets, each
counter's state, services and customer at the desk, recent service times, the coming hour's
arrivals), plays the next hour forward with the simulator's look-ahead off the writer thread
(``queue_core.sim.advice``), and commits what it found with ``RecordForecast``: a new advice
is recorded once (``staffing.advice``), an open one is marked ``followed`` as soon as the
counters are as it asked or ``expired`` when its time is long past, the hour after each is
observed as it turned out, and the lobby hears when the forecast passes the branch's target
or comes back within it (``staffing.alert``). The lobby manager says what was done
(``ResolveAdvice``). Advice still open counts as done in the next look, so nothing is
advised twice.

The coming hour's arrivals: the branch's day type (pension day, wage day, ordinary day) has
its hourly profile in the bundled scenario of that name, scaled by how today's arrivals so far
compare with it, as ``docs/staffing.md`` evaluates; a branch whose services are not all in it
uses the last half hour's arrival rates.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from sqlalchemy import func, select

from queue_core import wire
from queue_core.config import BranchConfig
from queue_core.domain import staffing
from queue_core.domain.errors import NotFound
from queue_core.domain.events import StaffingAdvised, StaffingAlert
from queue_core.domain.staffing import AdviceRecord, Change, CounterNow, Forecast, HallNow
from queue_core.domain.tickets import Status
from queue_core.sim.advice import advise
from queue_core.sim.plan import DayPlan, plan_day
from queue_core.sim.scenario import AppointmentSpec, CounterSpec, Scenario, available, load
from queue_core.sim.selectors import EnginePolicy
from queue_core.sim.staffing import profile_forecast
from queue_core.store.models import AdviceRow, AppointmentRow, ForecastRow, TicketRow
from queue_core.store.pending import TICKETS
from queue_core.usecases.appointments import HOLDING
from queue_core.usecases.appointments import day_of as appointment_day
from queue_core.usecases.live import LiveView
from queue_core.usecases.reads import Reads
from queue_core.usecases.unit import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
#: A day's booked appointments as a plan counts them.
Bookings = tuple[AppointmentSpec, ...]


def day_profile(config: BranchConfig, day: str) -> Scenario | None:
    """The bundled scenario of the day's type, if it knows every service of the branch."""
    name = staffing.day_type(date.fromisoformat(day))
    if name not in available():
        return None
    scenario = load(name)
    known = {s.code for s in scenario.services}
    return scenario if all(s.code in known for s in config.services) else None


def branch_day(config: BranchConfig, profile: Scenario) -> Scenario:
    """The day type's profile with the branch's own counters (its services and order of
    preference; open all day in the static plan, which the plan itself replaces)."""
    by_number = {c.number: c for c in profile.counters}
    counters = tuple(
        replace(
            by_number[c.number],
            services=tuple(c.services),
            prefers_green=c.prefers_green,
            may_take=tuple(c.may_take),
        )
        if c.number in by_number
        else CounterSpec(c.number, tuple(c.services), ((0.0, profile.day_s),), c.prefers_green)
        for c in config.counters
    )
    return replace(profile, counters=counters)


def counters_of(live: LiveView) -> dict[int, CounterNow]:
    """Each configured counter as a look-ahead sees it."""
    out = {}
    for c in live.config.counters:
        view = live.views[c.number]
        counter = live.counters.get(c.number)
        state = counter.state.value if counter else "closed"
        since = counter.since if counter and counter.since else None
        busy = live.current.get(c.number)
        out[c.number] = CounterNow(
            view=view,
            state=state,
            busy_service=busy.service if busy else None,
            busy_since=(busy.called_at or busy.queued_at) if busy else None,
            opened_at=since if state == "open" else None,
            closed_at=since if state == "closed" else None,
            # Only what the engine can carry out: a counter's services are the branch file's
            # (``may_take`` is for the plan and the simulator), so no "also take" advice here.
            may_take=view.services,
        )
    return out


def hall_of(
    live: LiveView, now: float, seen_today: int, profile: Scenario | None, over_s: float
) -> HallNow | None:
    """The hall as the engine sees it, made a look-ahead's start; None outside opening hours
    (nothing to look ahead to) or when no counter is open or paused."""
    day = live.day or live.business_day(now)
    counters = counters_of(live)
    if not day.opening <= now < day.closing:
        return None
    if all(c.state == "closed" for c in counters.values()):
        return None
    times = live.times
    if profile is not None:
        rates = profile_forecast(profile, now - day.opening, seen_today)
    else:
        rates = live.arrivals.rates(now)
    codes = [s.code for s in live.config.services]
    grace = sum(times.skips) / len(times.skips) if times.skips else 45.0
    return HallNow(
        now=now,
        closing_at=day.closing,
        waiting=tuple(live.waiting),
        counters=tuple(counters[c.number] for c in live.config.counters),
        means={code: times.mean(code) for code in codes},
        rates=rates,
        policy=live.policy,
        show_rate=times.show_rate(),
        grace_s=grace,
        over_s=over_s,
    )


# ------------------------------------------------------------------------ the commands
def _open_rows(uow: UnitOfWork) -> list[AdviceRow]:
    return list(
        uow.session.scalars(
            select(AdviceRow).where(
                AdviceRow.business_day == uow.day.date, AdviceRow.state == "open"
            )
        )
    )


def _waits_after(uow: UnitOfWork, record: AdviceRecord, over_s: float) -> list[float | None]:
    """The waits of the customers issued in the hour after an advice (None: still waiting
    and not yet past the line)."""
    end = record.given_at + staffing.OBSERVED_S
    found = uow.tickets(
        select(TICKETS).where(
            TICKETS.c.business_day == record.business_day,
            TICKETS.c.visit == 1,
            TICKETS.c.issued_at >= record.given_at,
            TICKETS.c.issued_at < end,
        )
    )
    out: list[float | None] = []
    for t in found:
        if t.called_at is not None:
            out.append(t.called_at - t.issued_at)
        elif t.status is Status.WAITING and uow.now - t.issued_at <= over_s:
            out.append(None)
        elif t.status is Status.WAITING:
            out.append(uow.now - t.issued_at)
        # cancelled before a call (left, or voided): not a wait the advice shaped
    return out


@dataclass(frozen=True, slots=True)
class RecordForecast:
    """What a look-ahead found: new advice recorded, open advice reviewed against the counters
    as they are now, the hours after earlier advice observed, the alert raised or cleared."""

    forecast: Forecast

    def run(self, uow: UnitOfWork) -> list[AdviceRecord]:
        over_s = uow.config.staffing.over_min * 60.0
        was_alert = self._keep(uow)
        counters = counters_of(uow.live)
        changed: list[AdviceRecord] = []
        rows = _open_rows(uow)
        keys = set()
        for row in rows:
            record = row.to_domain()
            after = staffing.review(record, counters.get(record.change.counter), uow.now)
            if after != record:
                row.update(after)
                changed.append(after)
            if after.state == "open":
                keys.add(after.key)
        for row in self._unobserved(uow):
            record = row.to_domain()
            after = staffing.observe(record, _waits_after(uow, record, over_s), uow.now, over_s)
            if after != record:
                row.update(after)
                changed.append(after)
        for a in self.forecast.advice:
            c = a.change
            if (c.kind, c.counter, c.services) in keys:
                continue
            row = AdviceRow(
                business_day=uow.day.date,
                given_at=uow.now,
                kind=c.kind,
                counter=c.counter,
                services=list(c.services),
                effective_at=c.at,
                before_over=a.before.over_share,
                after_over=a.after.over_share,
                before_mean_s=a.before.mean_s,
                after_mean_s=a.after.mean_s,
                state="open",
            )
            uow.session.add(row)
            uow.session.flush()
            changed.append(row.to_domain())
        uow.emit(*(StaffingAdvised(a) for a in changed))
        if self.forecast.alert != was_alert:
            uow.emit(StaffingAlert(self.forecast))
        return changed

    def _keep(self, uow: UnitOfWork) -> bool:
        """Store the forecast as the latest; whether the one before it today was an alert."""
        f, day = self.forecast, uow.day.date
        row = uow.session.get(ForecastRow, 1)
        if row is None:
            row = ForecastRow(id=1)
            uow.session.add(row)
        was = bool(row.alert) if row.business_day == day else False
        row.business_day, row.at, row.alert = day, f.at, f.alert
        row.customers, row.over_share = f.outlook.customers, f.outlook.over_share
        row.mean_s, row.attained = f.outlook.mean_s, dict(f.outlook.attained)
        uow.changed = True
        return was

    @staticmethod
    def _unobserved(uow: UnitOfWork) -> list[AdviceRow]:
        due = uow.now - staffing.OBSERVED_S
        return list(
            uow.session.scalars(
                select(AdviceRow).where(
                    AdviceRow.business_day == uow.day.date,
                    AdviceRow.observed_over.is_(None),
                    AdviceRow.given_at <= due,
                )
            )
        )


@dataclass(frozen=True, slots=True)
class ResolveAdvice:
    """The lobby manager says what was done after an advice: followed, or set aside."""

    ident: int
    state: str
    by: str

    def run(self, uow: UnitOfWork) -> AdviceRecord:
        row = uow.session.get(AdviceRow, self.ident)
        if row is None:
            raise NotFound(f"no advice {self.ident}", "advice_not_found")
        record = staffing.resolve(row.to_domain(), self.state, uow.now, self.by)
        row.update(record)
        uow.changed = True
        uow.emit(StaffingAdvised(record))
        return record


# ------------------------------------------------------------------------ the loop
#: Day plans an engine keeps (today, tomorrow, a few looked up).
KEPT_PLANS = 4


#: A child interpreter's program: read a pickled call on stdin, write its pickled result.
_CHILD = (
    "import pickle, sys; f, a = pickle.load(sys.stdin.buffer); "
    "pickle.dump(f(*a), sys.stdout.buffer)"
)


async def _in_own_process(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in an interpreter of its own (the engine's GIL and threads stay free),
    killed if the engine stops first. Only the engine's own functions and data pass here."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, stdin=PIPE, stdout=PIPE, stderr=PIPE
    )
    try:
        out, err = await child.communicate(pickle.dumps((work, args)))
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    if child.returncode != 0:
        raise RuntimeError(f"{work.__name__} failed: {err.decode(errors='replace')[-2000:]}")
    result: T = pickle.loads(out)
    return result


class Advisor:
    """Looks ahead every ``[staffing] every_s`` and keeps the latest forecast for the lobby."""

    def __init__(
        self,
        config: BranchConfig,
        reads: Reads,
        execute: Callable[[RecordForecast], Awaitable[object]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.reads = reads
        self.execute = execute
        self.rules = config.staffing.rules()
        self.clock = clock
        self._profiles: dict[str, Scenario | None] = {}
        self._plans: dict[str, tuple[str, Bookings, DayPlan | None]] = {}
        self._planning: dict[tuple[str, Bookings], asyncio.Task[None]] = {}
        self._lock = asyncio.Lock()

    def _profile(self, day: str) -> Scenario | None:
        if day not in self._profiles:
            self._profiles[day] = day_profile(self.config, day)
        return self._profiles[day]

    def _hall(self) -> tuple[HallNow | None, list[Change]]:
        reads = self.reads
        now = self.clock()
        with reads.view() as live:
            day = (live.day or live.business_day(now)).date
            with reads.store.read() as session:
                seen = session.scalar(
                    select(func.count())
                    .select_from(TicketRow)
                    .where(TicketRow.business_day == day, TicketRow.visit == 1)
                )
                pending = [
                    r.to_domain().change
                    for r in session.scalars(
                        select(AdviceRow).where(
                            AdviceRow.business_day == day, AdviceRow.state == "open"
                        )
                    )
                ]
            hall = hall_of(live, now, int(seen or 0), self._profile(day), self.rules.over_s)
        return hall, pending

    async def look(self) -> Forecast | None:
        """Look ahead now and record what was found (None outside opening hours)."""
        async with self._lock:
            hall, pending = await asyncio.to_thread(self._hall)
            if hall is None:
                return None
            seed = int(hall.now) // 60
            found = await asyncio.to_thread(advise, hall, self.rules, pending, seed)
            await self.execute(RecordForecast(found))
            return found

    async def run(self, leading: Callable[[], bool] = lambda: True) -> None:
        """Look ahead every ``every_s`` (the first time ``every_s`` after the start, once the
        engine's first requests are answered) until cancelled; among ``serve --workers``, only
        while this worker is the elected writer (``leading``), so the branch looks once."""
        every = self.config.staffing.every_s
        try:
            while True:
                await asyncio.sleep(every)
                if not leading():
                    continue
                try:
                    await self.look()
                except Exception:  # the store may be briefly down: try again next time
                    log.warning("staffing look-ahead failed", exc_info=True)
        finally:
            self.stop()

    async def plan(self, day: str) -> wire.PlanBody:
        """The staffing planned for a day before opening, hour by hour, counting the day's
        booked appointments: ``state`` ``ready``, or ``planning`` while it is being made (ask
        again in a few seconds). Made in a process of its own (it simulates the day's type
        several times over: seconds of CPU), then kept until the day's bookings change."""
        bookings = await asyncio.to_thread(self._bookings, day)
        key = (day, bookings)
        kept = self._plans.get(day)
        if kept is not None and kept[1] == bookings:
            return wire.plan(day, kept[0], kept[2], self.config, len(bookings))
        if key not in self._planning:
            task = asyncio.create_task(self._make_plan(day, bookings))
            self._planning[key] = task
            task.add_done_callback(lambda _: self._planning.pop(key, None))
        return wire.planning(day, staffing.day_type(date.fromisoformat(day)), len(bookings))

    def _bookings(self, day: str) -> Bookings:
        """The day's appointments that hold their window (booked, or checked in), as the plan
        counts them: service, window from opening, tier, green channel."""
        opening = appointment_day(self.config, day).opening
        with self.reads.store.read() as session:
            rows = session.scalars(
                select(AppointmentRow)
                .where(AppointmentRow.day == day, AppointmentRow.status.in_(HOLDING))
                .order_by(AppointmentRow.start, AppointmentRow.id)
            )
            return tuple(
                AppointmentSpec(
                    r.service, r.start - opening, r.end - opening, 1, r.tier, r.green_channel
                )
                for r in rows
            )

    async def _make_plan(self, day: str, bookings: Bookings) -> None:
        kind = staffing.day_type(date.fromisoformat(day))
        profile = self._profile(day)
        found: DayPlan | None = None
        if profile is not None:
            head_start = self.config.appointments.rules().head_start_s
            scenario = replace(
                branch_day(self.config, profile), appointments=bookings, head_start_s=head_start
            )
            policy = EnginePolicy(self.config.routing.policy_object())
            try:
                found = await _in_own_process(plan_day, scenario, policy, self.rules)
            except Exception:  # the next request tries again
                log.warning("staffing plan for %s failed", day, exc_info=True)
                return
        self._plans.pop(day, None)
        while len(self._plans) >= KEPT_PLANS:
            del self._plans[next(iter(self._plans))]
        self._plans[day] = (kind, bookings, found)

    def stop(self) -> None:
        """Stop the plans being made (their processes are killed)."""
        for task in list(self._planning.values()):
            task.cancel()

    def body(self) -> wire.StaffingBody:
        """The latest forecast and today's advice, newest first."""
        reads = self.reads
        day = reads.today()
        with reads.store.read() as session:
            rows = session.scalars(
                select(AdviceRow)
                .where(AdviceRow.business_day == day)
                .order_by(AdviceRow.given_at.desc(), AdviceRow.id.desc())
            )
            found = [r.to_domain() for r in rows]
            row = session.get(ForecastRow, 1)
            latest = row.to_domain() if row is not None and row.business_day == day else None
        return {
            "forecast": wire.forecast(latest, self.config) if latest is not None else None,
            "advice": [wire.advice(a, self.config) for a in found],
            "outcomes": [wire.outcome(o) for o in staffing.outcomes(found)],
        }
