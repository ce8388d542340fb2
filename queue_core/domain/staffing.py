"""Staffing: the vocabulary of the advice the engine gives the lobby manager.

The hall as a look-ahead starts from (``HallNow``), a change to the counters (``Change``), the
coming hour under it (``Outlook``), an advice with its figure (``Advice``) and a forecast with
its alert (``Forecast``), and the branch's rules (``StaffingRules``). Pure data: the look-ahead
that fills them plays the hall forward in ``queue_core.sim.lookahead`` and chooses in
``queue_core.sim.advice``; the engine records and shows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from queue_core.domain.errors import IllegalMove
from queue_core.domain.estimate import ArrivalClass
from queue_core.domain.routing import CounterView, Policy
from queue_core.domain.tickets import Ticket


@dataclass(frozen=True, slots=True)
class StaffingRules:
    """A branch's ``[staffing]`` settings."""

    #: The target: at most this share of customers waiting longer than ``over_s``.
    max_over_share: float = 0.2
    over_s: float = 180.0
    #: How long after an advice the change is made (and the forecast assumes it).
    reaction_s: float = 600.0
    #: An advice must lower the share over 3 minutes by at least this much.
    min_gain: float = 0.03
    #: After a counter opened no counter is advised to close for this long; after one closed,
    #: none is advised to open for this long unless the forecast passes ``severe`` × target.
    min_open_s: float = 3600.0
    min_closed_s: float = 1800.0
    severe: float = 1.5
    #: Below this share of the target the hall is comfortable: a counter may close if, without
    #: it, even a bad hour (four replications in five) stays within the target.
    close_below: float = 0.5
    replications: int = 8
    #: The bound beside the share: a plan or an advice must not buy its share over the line by
    #: letting a few wait very long. An hour's customers should wait at most ``max_mean_s`` on
    #: average, and its longest wait (a day's, averaged over the days simulated) stay within
    #: ``max_longest_s``.
    max_mean_s: float = 120.0
    max_longest_s: float = 1200.0

    def excess(self, over_share: float, mean_s: float, longest_s: float) -> float:
        """How far an hour is past the target or the bound, as a multiple of it (at most 1:
        within both)."""
        return max(
            over_share / self.max_over_share,
            mean_s / self.max_mean_s,
            longest_s / self.max_longest_s,
        )

    def comfortable(self, over_share: float, mean_s: float, longest_s: float) -> bool:
        """Well within the target and within the bound: a counter may go."""
        return (
            over_share <= self.max_over_share * self.close_below
            and mean_s <= self.max_mean_s
            and longest_s <= self.max_longest_s
        )


@dataclass(frozen=True, slots=True)
class Advice:
    """One change worth making, and the coming hour with and without it."""

    change: Change
    before: Outlook
    after: Outlook

    def describe(self, clock: str = "") -> str:
        """In English, with the figure ("open counter 9: waits over 3 min … 46% → 31%")."""
        c = self.change
        if c.kind == "open":
            what = f"open counter {c.counter}" + (
                f" for {'/'.join(c.services)}" if c.services else ""
            )
        elif c.kind == "take":
            what = f"counter {c.counter} can also take {'/'.join(c.services)}"
        else:
            what = f"counter {c.counter} can close" + (f" at {clock}" if clock else "")
        return (
            f"{what}: waits over 3 min in the next hour {100 * self.before.over_share:.0f}% → "
            f"{100 * self.after.over_share:.0f}%, mean wait {self.before.mean_s / 60:.0f} → "
            f"{self.after.mean_s / 60:.0f} min"
        )


@dataclass(frozen=True, slots=True)
class Forecast:
    """The coming hour as things stand, whether it passes the target, and what would help."""

    at: float
    outlook: Outlook
    alert: bool
    advice: tuple[Advice, ...]


@dataclass(frozen=True, slots=True)
class CounterNow:
    """A counter at this moment: its routing view, state, current customer."""

    view: CounterView
    state: str  # open | paused | closed
    busy_service: str | None = None
    busy_since: float | None = None
    opened_at: float | None = None
    closed_at: float | None = None
    #: The services its teller can take when asked (its own included).
    may_take: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HallNow:
    """What a look-ahead starts from. ``rates`` are arrivals per second by customer class
    for the coming hour; ``means`` service seconds by service (``cv`` their spread);
    ``show_rate`` the share of called customers who come, the others costing ``grace_s``."""

    now: float
    closing_at: float
    waiting: tuple[Ticket, ...]
    counters: tuple[CounterNow, ...]
    means: Mapping[str, float]
    rates: Mapping[ArrivalClass, float]
    policy: Policy
    cv: float = 0.6
    show_rate: float = 0.97
    grace_s: float = 45.0
    over_s: float = 180.0

    def counter(self, number: int) -> CounterNow | None:
        return next((c for c in self.counters if c.view.number == number), None)


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the counters: ``open`` (with ``services``, by default its own), ``close``
    (after its current customer), or ``take`` (an open counter also takes ``services``)."""

    kind: str
    counter: int
    at: float
    services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outlook:
    """The customers of the coming hour under one set of changes, over all replications."""

    customers: int
    over_share: float
    mean_s: float
    attained: dict[str, float]
    counter_hours: float
    #: The share over the line per service.
    over_by_service: dict[str, float] = field(default_factory=dict)
    #: Seconds each counter spends serving within the hour (a replication's mean).
    busy_s: dict[int, float] = field(default_factory=dict)
    #: The share over the line in each replication, in order.
    over_by_play: tuple[float, ...] = ()
    #: Each replication's longest wait, averaged over the replications.
    longest_s: float = 0.0

    @property
    def over_high(self) -> float:
        """A bad hour: the share over the line that four replications in five stay under."""
        if not self.over_by_play:
            return self.over_share
        ordered = sorted(self.over_by_play)
        return ordered[min(len(ordered) - 1, math.ceil(0.8 * len(ordered)) - 1)]


def day_type(day: date, pension_days: Sequence[int] = (13, 14, 15), wage_days: int = 2) -> str:
    """Which kind of day ``day`` is, for the arrival profile the advice and the plan expect:
    ``pension_day`` (pensions are paid on the 13th, and the days after are the month's peak:
    seed 002), ``wage_day`` (the first and last ``wage_days`` of the month: 002's wage peaks)
    or ``weekday``."""
    if day.day in pension_days:
        return "pension_day"
    last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    if day.day <= wage_days or day.day > last - wage_days:
        return "wage_day"
    return "weekday"


#: What may have become of an advice: the change it asked for was made (``followed``), the
#: lobby manager set it aside (``dismissed``), or neither within its time (``expired``).
ADVICE_STATES = ("open", "followed", "dismissed", "expired")


def followed(change: Change, counter: CounterNow) -> bool:
    """Whether the counter as it is now is what ``change`` asked for."""
    if change.kind == "close":
        return counter.state == "closed"
    if change.kind == "open" and counter.state != "open":
        return False
    return all(s in counter.view.services for s in change.services)


#: An advice nobody acted on is let go this long after the change it asked for was due.
EXPIRE_AFTER_S = 1800.0
#: What the figures of an advice count: the customers issued within this long after it.
OBSERVED_S = 3600.0


@dataclass(frozen=True, slots=True)
class AdviceRecord:
    """An advice as given to the lobby, and what became of it.

    ``before_*`` and ``after_*`` are the forecast for the coming hour as things stood and with
    the change; ``observed_over`` the share over the line among the customers who actually
    arrived in the hour after it (``observed_n`` of them), once they all were called or had
    waited past the line: followed or not, the figures show what the hour turned out to be."""

    id: int
    business_day: str
    given_at: float
    change: Change
    before_over: float
    after_over: float
    before_mean_s: float
    after_mean_s: float
    state: str = "open"
    resolved_at: float | None = None
    resolved_by: str | None = None
    observed_over: float | None = None
    observed_n: int | None = None

    @property
    def text(self) -> str:
        """The advice in English with its figure."""
        return Advice(
            self.change,
            Outlook(0, self.before_over, self.before_mean_s, {}, 0.0),
            Outlook(0, self.after_over, self.after_mean_s, {}, 0.0),
        ).describe()

    @property
    def key(self) -> tuple[str, int, tuple[str, ...]]:
        """What the advice asks, whenever it was given: the same advice is not given twice
        while one is open."""
        return self.change.kind, self.change.counter, self.change.services


def resolve(record: AdviceRecord, state: str, at: float, by: str | None) -> AdviceRecord:
    """The lobby manager says what was done after an advice: ``followed`` or ``dismissed``."""
    if state not in ("followed", "dismissed"):
        raise IllegalMove(f"an advice is followed or dismissed, not {state!r}", "bad_state")
    if record.state != "open":
        raise IllegalMove(f"advice {record.id} is already {record.state}", "advice_closed")
    return replace(record, state=state, resolved_at=at, resolved_by=by)


def review(record: AdviceRecord, counter: CounterNow | None, now: float) -> AdviceRecord:
    """An open advice against the counters as they are: ``followed`` once the counter is as
    it asked, ``expired`` when its time is long past; otherwise unchanged."""
    if record.state != "open":
        return record
    if counter is not None and followed(record.change, counter):
        return replace(record, state="followed", resolved_at=now)
    if now > record.change.at + EXPIRE_AFTER_S:
        return replace(record, state="expired", resolved_at=now)
    return record


def observe(
    record: AdviceRecord, waits: Sequence[float | None], now: float, over_s: float
) -> AdviceRecord:
    """The hour after an advice as it turned out, from the waits of the customers issued in it
    (None: still waiting). Unchanged until the hour is over and every wait is known to be
    within or past the line."""
    if record.observed_over is not None or now < record.given_at + OBSERVED_S:
        return record
    if any(w is None for w in waits):
        return record
    known = [w for w in waits if w is not None]
    over = sum(1 for w in known if w > over_s)
    return replace(record, observed_over=over / len(known) if known else 0.0, observed_n=len(known))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the hours after the day's advice turned out to be, for one thing done after it
    (``followed``, ``dismissed``, ``expired``): the day's figure of whether following helped.

    ``advice`` ended so; ``customers`` arrived in the observed hours after ``observed`` of
    them. The shares are pooled over those customers: the forecast as things stood
    (``forecast_before``) and with the change (``forecast_after``), and what came about
    (``observed``). Followed advice should come out near its ``after``, advice set aside near
    its ``before``. None until an hour after is observed."""

    state: str
    advice: int
    observed_advice: int
    customers: int
    forecast_before: float | None
    forecast_after: float | None
    observed: float | None


#: The order the outcomes are told in.
OUTCOME_STATES = ("followed", "dismissed", "expired")


def _pooled(seen: Sequence[AdviceRecord], share: Callable[[AdviceRecord], float]) -> float | None:
    """``share`` of each record weighted by the customers of its observed hour."""
    n = sum(r.observed_n or 0 for r in seen)
    return sum(share(r) * (r.observed_n or 0) for r in seen) / n if n else None


def outcomes(records: Iterable[AdviceRecord]) -> tuple[Outcome, ...]:
    """The day's advice by what was done after it (open advice is not yet an outcome)."""
    by_state: dict[str, list[AdviceRecord]] = {state: [] for state in OUTCOME_STATES}
    for record in records:
        if record.state in by_state:
            by_state[record.state].append(record)
    out = []
    for state, done in by_state.items():
        if not done:
            continue
        seen = [r for r in done if r.observed_over is not None and r.observed_n]
        out.append(
            Outcome(
                state=state,
                advice=len(done),
                observed_advice=len(seen),
                customers=sum(r.observed_n or 0 for r in seen),
                forecast_before=_pooled(seen, lambda r: r.before_over),
                forecast_after=_pooled(seen, lambda r: r.after_over),
                observed=_pooled(seen, lambda r: r.observed_over or 0.0),
            )
        )
    return tuple(out)
