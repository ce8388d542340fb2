"""The day's figures, computed from the visits (ticket rows) of one business day.

Pure: tickets in, a JSON-ready dict out. The engine's ``GET /stats/daily`` and the one-page
report both call :func:`daily_figures`, so a figure is defined once.

Definitions (the lobby manager's words, made exact):

- A *customer* is one ticket number: its visits share ``origin_id`` (a transfer opens a new
  visit). ``issued`` counts customers once, under the service, tier and hour of the first visit.
- A customer's *wait* runs from ``issued_at`` (for a ticket taken from a phone, from its
  check-in, ``checked_in_at``) to the call of the first visit (for a ticket that
  was skipped and reassigned, the call that followed, which is the one the row keeps). Customers
  never called have no wait yet. Waits count under the first visit's service, tier and issue
  hour, and under the counter and teller that called it.
- *Served* counts visits that finished; a customer's last visit is the only one that can. A
  *service time* runs from ``started_at`` (the call when the teller never pressed start) to
  ``finished_at``, of finished visits only.
- ``by_hour`` puts each count in the hour it happened: issued (and the wait) under the issue
  hour, called under the call's, served, skipped and transferred under the hour the visit ended.
- Percentiles are nearest-rank: p90 is the smallest wait that at least 90 % of waits do not
  exceed. ``over_threshold_share`` is the share of waits strictly longer than the threshold
  (the 3-minute line by default).
- A teller's or counter's *busy* time is the sum over the visits it called of call → close
  (finished, transferred or skipped). *Idle* is the time it was open minus busy; *paused* needs
  the counter's spans (``counter_spans``). Without spans, "open" is taken as first call → last
  close, and paused is None.
- A row keeps only its latest call: a skip that the lobby manager later reassigned leaves no
  trace in the rows (the engine's event log holds it), so such a ticket counts once, as called
  by the counter that served it.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from queue_core.domain.tickets import Status, Ticket, is_vip

#: Visit states in which the customer is still in the hall's hands at the end of the figures.
_STILL_OPEN = frozenset({Status.WAITING, Status.CALLED, Status.SERVING})


@dataclass(frozen=True, slots=True)
class CounterSpan:
    """A stretch of time a counter spent open or paused (with the teller logged in, if known)."""

    counter: int
    state: str  # "open" or "paused"
    start: float
    end: float
    teller: str | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (0 < p <= 100); the list must not be empty."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def duration_block(values: Sequence[float], threshold_s: float | None = None) -> dict[str, Any]:
    """``{count, mean_s, p50_s, p90_s, max_s[, over_threshold_share]}`` of some durations."""
    block: dict[str, Any] = {"count": len(values)}
    if values:
        block.update(
            mean_s=_r(sum(values) / len(values)),
            p50_s=_r(percentile(values, 50)),
            p90_s=_r(percentile(values, 90)),
            max_s=_r(max(values)),
        )
    else:
        block.update(mean_s=None, p50_s=None, p90_s=None, max_s=None)
    if threshold_s is not None:
        over = sum(1 for v in values if v > threshold_s)
        block["over_threshold_share"] = round(over / len(values), 4) if values else None
    return block


def ratings_block(ratings: Sequence[int]) -> dict[str, Any]:
    """``{count, mean, distribution {"1".."5": n}}`` of the customers' ratings."""
    distribution = {str(star): 0 for star in range(1, 6)}
    for rating in ratings:
        if str(rating) in distribution:
            distribution[str(rating)] += 1
    mean = round(sum(ratings) / len(ratings), 3) if ratings else None
    return {"count": len(ratings), "mean": mean, "distribution": distribution}


@dataclass(slots=True)
class _Tally:
    """What one dimension key (a service, a tier, an hour, a counter, a teller) gathered."""

    issued: int = 0
    called: int = 0
    served: int = 0
    skipped: int = 0
    transferred: int = 0
    cancelled: int = 0
    waits: list[float] | None = None
    service_times: list[float] | None = None
    ratings: list[int] | None = None
    busy_s: float = 0.0
    green_served: int = 0  # the care window's: of those served, the green channel's
    first_call: float | None = None
    last_close: float | None = None

    def wait_list(self) -> list[float]:
        if self.waits is None:
            self.waits = []
        return self.waits

    def service_list(self) -> list[float]:
        if self.service_times is None:
            self.service_times = []
        return self.service_times

    def rating_list(self) -> list[int]:
        if self.ratings is None:
            self.ratings = []
        return self.ratings

    def block(self, threshold_s: float) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "called": self.called,
            "served": self.served,
            "skipped": self.skipped,
            "transferred": self.transferred,
            "cancelled": self.cancelled,
            "waits": duration_block(self.waits or [], threshold_s),
            "service_times": duration_block(self.service_times or []),
            "ratings": ratings_block(self.ratings or []),
        }


def customers(tickets: Iterable[Ticket]) -> list[list[Ticket]]:
    """The visits grouped by customer (``origin_id``), each list ordered by visit."""
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        groups[ticket.origin_id or ticket.id].append(ticket)
    ordered = [sorted(visits, key=lambda t: t.visit) for visits in groups.values()]
    return sorted(ordered, key=lambda visits: (visits[0].issued_at, visits[0].number))


def arrived_at(ticket: Ticket) -> float:
    """When the customer joined the hall's queue: the check-in of a ticket taken from a phone
    (its wait at home is not a wait in the hall), else the issue."""
    return ticket.checked_in_at if ticket.checked_in_at is not None else ticket.issued_at


def customer_wait(visits: Sequence[Ticket]) -> float | None:
    """Seconds from arrival (issue, or a remote ticket's check-in) to the call of the
    customer's first visit; None if never called."""
    first = visits[0]
    if first.called_at is None:
        return None
    return max(0.0, first.called_at - arrived_at(first))


def service_time(visit: Ticket) -> float | None:
    """Seconds a finished visit spent at the counter; None for any other visit."""
    if visit.status is not Status.FINISHED or visit.finished_at is None:
        return None
    begin = visit.started_at if visit.started_at is not None else visit.called_at
    if begin is None:
        return None
    return max(0.0, visit.finished_at - begin)


def _hour(ts: float, tz: tzinfo) -> str:
    return f"{datetime.fromtimestamp(ts, tz).hour:02d}"


class _Dimensions:
    """The tallies of every dimension, keyed ``dimension -> key -> _Tally``."""

    NAMES = ("by_service", "by_tier", "by_counter", "by_teller", "by_hour")

    def __init__(self) -> None:
        self.tallies: dict[str, dict[str, _Tally]] = {name: {} for name in self.NAMES}

    def get(self, dimension: str, key: object) -> _Tally:
        table = self.tallies[dimension]
        name = str(key)
        if name not in table:
            table[name] = _Tally()
        return table[name]

    def touch(self, dimension: str, key: object) -> None:
        self.get(dimension, key)


def _count_customer(
    visits: Sequence[Ticket], dims: _Dimensions, overall: _Tally, tz: tzinfo
) -> None:
    first, last = visits[0], visits[-1]
    places: list[tuple[str, object]] = [
        ("by_service", first.service),
        ("by_tier", first.tier),
        ("by_hour", _hour(first.issued_at, tz)),
    ]
    overall.issued += 1
    for dim, key in places:
        dims.get(dim, key).issued += 1
    wait = customer_wait(visits)
    if wait is not None:
        overall.wait_list().append(wait)
        callers: list[tuple[str, object]] = [
            ("by_counter", first.counter),
            ("by_teller", first.teller),
        ]
        for dim, key in [*places, *callers]:
            if key is not None:
                dims.get(dim, key).wait_list().append(wait)
    if last.status is Status.CANCELLED:
        overall.cancelled += 1
        for dim, key in places:
            dims.get(dim, key).cancelled += 1


def _count_visit(visit: Ticket, dims: _Dimensions, overall: _Tally, tz: tzinfo) -> None:
    where: list[tuple[str, object]] = [("by_service", visit.service), ("by_tier", visit.tier)]
    if visit.counter is not None and visit.called_at is not None:
        where.append(("by_counter", visit.counter))
    if visit.teller is not None and visit.called_at is not None:
        where.append(("by_teller", visit.teller))
    closed_at = visit.finished_at
    if visit.called_at is not None:
        overall.called += 1
        for dim, key in [*where, ("by_hour", _hour(visit.called_at, tz))]:
            dims.get(dim, key).called += 1
        for dim, key in where:
            if dim in ("by_counter", "by_teller"):
                _add_busy(dims.get(dim, key), visit.called_at, closed_at)
    if visit.status is Status.FINISHED:
        finish_hour = _hour(visit.finished_at or visit.issued_at, tz)
        seconds = service_time(visit)
        for tally in [
            overall,
            *(dims.get(d, k) for d, k in where),
            dims.get("by_hour", finish_hour),
        ]:
            tally.served += 1
            if seconds is not None:
                tally.service_list().append(seconds)
            if visit.rating is not None:
                tally.rating_list().append(visit.rating)
    elif visit.status is Status.SKIPPED:
        for tally in [overall, *(dims.get(d, k) for d, k in where)]:
            tally.skipped += 1
        dims.get("by_hour", _hour(visit.called_at or visit.issued_at, tz)).skipped += 1
    elif visit.status is Status.TRANSFERRED:
        hour = _hour(visit.finished_at or visit.issued_at, tz)
        for tally in [overall, *(dims.get(d, k) for d, k in where), dims.get("by_hour", hour)]:
            tally.transferred += 1


def _add_busy(tally: _Tally, called_at: float, closed_at: float | None) -> None:
    tally.first_call = called_at if tally.first_call is None else min(tally.first_call, called_at)
    end = closed_at if closed_at is not None else called_at
    tally.last_close = end if tally.last_close is None else max(tally.last_close, end)
    tally.busy_s += max(0.0, end - called_at)


def _time_block(tally: _Tally, spans: Sequence[CounterSpan] | None, match: Any) -> dict[str, Any]:
    """``{busy_s, open_s, idle_s, paused_s}`` of one counter or teller."""
    if spans is None:
        open_s = (
            (tally.last_close - tally.first_call)
            if tally.first_call is not None and tally.last_close is not None
            else 0.0
        )
        paused_s: float | None = None
    else:
        mine = [s for s in spans if match(s)]
        open_s = sum(s.seconds for s in mine if s.state == "open")
        paused_s = sum(s.seconds for s in mine if s.state == "paused")
    return {
        "busy_s": _r(tally.busy_s),
        "open_s": _r(open_s),
        "idle_s": _r(max(0.0, open_s - tally.busy_s)),
        "paused_s": _r(paused_s),
    }


def daily_figures(
    tickets: Sequence[Ticket],
    *,
    tz: tzinfo,
    threshold_s: float = 180.0,
    tier_ranks: Mapping[str, int] | None = None,
    counter_spans: Sequence[CounterSpan] | None = None,
    care_counters: Collection[int] = (),
) -> dict[str, Any]:
    """The day's figures from its visits: overall, by service, tier, counter, teller and hour.

    ``care_counters`` are the care windows (爱心窗口, counters that prefer the green channel):
    the customers served there, and the green channel's, are counted as service given. There is
    deliberately no figure of customers sent away from the counters (a "diversion rate"): the
    NFRA's 2024 guideline on elderly-friendly service asks that no target push the elderly
    away from counter service.

    ``tier_ranks`` (tier code → rank) lists every configured tier, even one nobody used, and
    decides who counts as a VIP (rank > 0); without it each visit's own ``tier_rank`` does.
    ``counter_spans`` adds paused time and exact open time per counter and teller.
    """
    dims = _Dimensions()
    overall = _Tally()
    for tier in tier_ranks or {}:
        dims.touch("by_tier", tier)
    for span in counter_spans or ():  # a counter open all day with nobody served still counts
        dims.touch("by_counter", str(span.counter))
        if span.teller:
            dims.touch("by_teller", span.teller)
    groups = customers(tickets)
    vip = _Tally()
    green = _Tally()
    care = _Tally()

    def rank_of(ticket: Ticket) -> int:
        if tier_ranks is not None and ticket.tier in tier_ranks:
            return tier_ranks[ticket.tier]
        return ticket.tier_rank

    for visits in groups:
        _count_customer(visits, dims, overall, tz)
        for visit in visits:
            _count_visit(visit, dims, overall, tz)
        first, last = visits[0], visits[-1]
        for flag, tally in ((is_vip(rank_of(first)), vip), (first.green_channel, green)):
            if not flag:
                continue
            tally.issued += 1
            wait = customer_wait(visits)
            if wait is not None:
                tally.wait_list().append(wait)
            if last.status is Status.FINISHED:
                tally.served += 1
        if last.status is Status.FINISHED and last.counter in care_counters:
            care.served += 1
            care.green_served += int(first.green_channel)
            wait = customer_wait(visits)
            if wait is not None:
                care.wait_list().append(wait)
    waiting = sum(1 for visits in groups if visits[-1].status in _STILL_OPEN)
    result: dict[str, Any] = {
        "issued": overall.issued,
        "called": overall.called,
        "served": overall.served,
        "skipped": overall.skipped,
        "transferred": overall.transferred,
        "cancelled": overall.cancelled,
        "waiting": waiting,
        "threshold_s": threshold_s,
        "waits": duration_block(overall.waits or [], threshold_s),
        "service_times": duration_block(overall.service_times or []),
        "ratings": ratings_block(overall.ratings or []),
        "vip_served": vip.served,
        "vip": {
            "issued": vip.issued,
            "served": vip.served,
            "waits": duration_block(vip.waits or [], threshold_s),
        },
        "green_channel": {
            "issued": green.issued,
            "served": green.served,
            "waits": duration_block(green.waits or [], threshold_s),
        },
        "care_window": {
            "counters": sorted(care_counters),
            "served": care.served,
            "green_channel_served": care.green_served,
            "waits": duration_block(care.waits or [], threshold_s),
        },
    }
    for name in _Dimensions.NAMES:
        table = dims.tallies[name]
        result[name] = {key: table[key].block(threshold_s) for key in sorted(table, key=_sort_key)}
    for key, tally in dims.tallies["by_counter"].items():
        result["by_counter"][key].update(
            _time_block(tally, counter_spans, lambda s, k=key: str(s.counter) == k)
        )
    for key, tally in dims.tallies["by_teller"].items():
        result["by_teller"][key].update(
            _time_block(tally, counter_spans, lambda s, k=key: s.teller == k)
        )
    return result


def _sort_key(key: str) -> tuple[int, str]:
    """Counters sort as numbers ("2" before "10"), everything else as text."""
    return (0, f"{int(key):09d}") if key.isdigit() else (1, key)


#: Columns of the day's tickets CSV, one row per visit.
TICKET_COLUMNS = (
    "number", "id", "origin_id", "visit", "service", "tier", "green_channel", "status",
    "counter", "teller", "issued_at", "called_at", "started_at", "finished_at", "wait_s",
    "service_s", "call_count", "rating",
)  # fmt: skip


def _iso(ts: float | None, tz: tzinfo) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")


def _visit_wait(visit: Ticket, previous: Ticket | None) -> float | None:
    """This visit's wait: from issue (first visit) or from the transfer (later visits)."""
    if visit.called_at is None:
        return None
    since = arrived_at(visit)
    if previous is not None and previous.finished_at is not None:
        since = previous.finished_at
    return max(0.0, visit.called_at - since)


def tickets_csv(tickets: Sequence[Ticket], tz: tzinfo) -> str:
    """The day's visits as CSV (UTF-8 text, header first), customers in issue order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TICKET_COLUMNS)
    for visits in customers(tickets):
        previous: Ticket | None = None
        for visit in visits:
            wait = _visit_wait(visit, previous)
            seconds = service_time(visit)
            writer.writerow([
                visit.number, visit.id, visit.origin_id or "", visit.visit, visit.service,
                visit.tier, int(visit.green_channel), visit.status.value,
                "" if visit.counter is None else visit.counter, visit.teller or "",
                _iso(visit.issued_at, tz), _iso(visit.called_at, tz),
                _iso(visit.started_at, tz), _iso(visit.finished_at, tz),
                "" if wait is None else round(wait, 1),
                "" if seconds is None else round(seconds, 1),
                visit.call_count, "" if visit.rating is None else visit.rating,
            ])  # fmt: skip
            previous = visit
    return out.getvalue()


def figures_csv(figures: Mapping[str, Any]) -> str:
    """The figures of :func:`daily_figures` flattened to ``dimension,key,metric,value`` rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("dimension", "key", "metric", "value"))
    overall = {k: v for k, v in figures.items() if not k.startswith("by_")}
    for metric, value in _flatten(overall):
        writer.writerow(("overall", "", metric, value))
    for name in _Dimensions.NAMES:
        for key, block in figures.get(name, {}).items():
            for metric, value in _flatten(block):
                writer.writerow((name.removeprefix("by_"), key, metric, value))
    return out.getvalue()


def _flatten(block: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in block.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, "" if value is None else value))
    return rows


def counter_spans(
    changes: Sequence[tuple[float, int, str, str | None]], start: float, end: float
) -> list[CounterSpan]:
    """Open and paused stretches of each counter between ``start`` and ``end``.

    ``changes`` are ``(at, counter, state, teller)`` in time order: each counter's state as of
    ``start`` (its last change before, if any) and every change up to ``end``. A stretch lasts
    until the counter's next change, or ``end``; closed time is not a stretch.
    """
    spans: list[CounterSpan] = []
    current: dict[int, tuple[float, str, str | None]] = {}

    def close(counter: int, at: float) -> None:
        since, state, teller = current.pop(counter)
        begin = max(since, start)
        if state in ("open", "paused") and at > begin:
            spans.append(CounterSpan(counter, state, begin, at, teller))

    for at, counter, state, teller in changes:
        if at > end:
            break
        if counter in current:
            if current[counter][1:] == (state, teller):
                continue
            close(counter, at)
        current[counter] = (at, state, teller)
    for counter in list(current):
        close(counter, end)
    return sorted(spans, key=lambda s: (s.counter, s.start))
