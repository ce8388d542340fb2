"""Staffing advice: which change to the counters would help the coming hour, with its figure.

The lobby manager "suggests adjusting the windows to the flow of customers" (seed 002). From
the hall as it is now (``lookahead.HallNow``), ``advise`` plays the next hour forward with the
routing policy, once as things stand and once per candidate change, all on the same random
customers, and says what would help: "open counter 9: waits over 3 min in the next hour 46% →
31%", "counter 7 can also take A", "counter 4 can close at 16:30". Changes take effect after
the branch's reaction time (a teller has to reach the counter), and the forecast says so.

- When the forecast share of waits over 3 minutes passes the branch's target (an **alert**),
  the candidates add capacity where it is short: open a closed counter (with its own services,
  or also for the service whose customers wait longest, if its teller can take it), or let an
  open counter also take that service. The best is advised if it lowers the share by at least
  ``min_gain``, or the mean wait by a fifth (and a minute) when nearly everyone waits over.
- When the forecast is well inside the target, a counter that has been open a while and is not
  the last for any of its services may close, if without it the hall stays well inside the
  target, a bad hour (four replications in five) too, and the mean and longest waits
  within the branch's bound (``max_mean_s``, ``max_longest_s``): closing never buys
  counter-hours with a forecast past the target or the bound.
- A change already advised and not yet in effect counts as done (``pending``): nothing is
  advised twice, and the next advice builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from queue_core.domain.staffing import (
    Advice,
    Change,
    CounterNow,
    Forecast,
    HallNow,
    Outlook,
    StaffingRules,
)
from queue_core.sim.lookahead import compare


def _serves(counter: CounterNow, service: str) -> bool:
    return service in counter.view.services


def _after(hall: HallNow, pending: Sequence[Change]) -> dict[int, CounterNow]:
    """The counters as they will be once the pending changes are made."""
    out = {c.view.number: c for c in hall.counters}
    for change in pending:
        c = out.get(change.counter)
        if c is None:
            continue
        if change.kind == "close":
            out[change.counter] = replace(c, state="closed", closed_at=change.at)
        else:
            extra = tuple(s for s in change.services if s not in c.view.services)
            view = replace(c.view, services=(*c.view.services, *extra))
            opened = change.at if change.kind == "open" else c.opened_at
            state = "open" if change.kind == "open" else c.state
            out[change.counter] = replace(c, view=view, state=state, opened_at=opened)
    return out


def _short_service(outlook: Outlook) -> str | None:
    """The service whose customers wait over the line most often."""
    worst = max(outlook.over_by_service.items(), key=lambda kv: kv[1], default=None)
    return worst[0] if worst and worst[1] > 0 else None


def _adding(
    hall: HallNow,
    counters: Mapping[int, CounterNow],
    short: str | None,
    rules: StaffingRules,
    at: float,
) -> list[Change]:
    found: list[Change] = []
    for number, c in sorted(counters.items()):
        take: tuple[str, ...] = ()
        if short is not None and not _serves(c, short) and short in c.may_take:
            take = (short,)
        if c.state == "closed":
            if c.closed_at is not None and hall.now - c.closed_at < rules.min_closed_s:
                continue
            found.append(Change("open", number, at))
            if take:
                found.append(Change("open", number, at, take))
        elif c.state == "open" and take:
            found.append(Change("take", number, at, take))
    return found


def _closing(
    hall: HallNow,
    counters: Mapping[int, CounterNow],
    rules: StaffingRules,
    now: Outlook,
    at: float,
) -> list[Change]:
    """The least busy counters (two at most) that may close: not the last open counter for
    any of its services."""
    open_ = [c for c in counters.values() if c.state == "open"]
    found = []
    for c in sorted(open_, key=lambda c: (now.busy_s.get(c.view.number, 0.0), c.view.number)):
        others = [o for o in open_ if o is not c]
        if all(any(_serves(o, s) for o in others) for s in c.view.services):
            found.append(Change("close", c.view.number, at))
        if len(found) == 2:
            break
    return found


def _may_close(outlook: Outlook, rules: StaffingRules) -> bool:
    """The coming hour is well within the target, a bad hour (four replications in five)
    too, and the mean and longest waits within the branch's bound: a counter may go (or,
    judging the hour without it, may have gone). A counter closed is not advised back for
    ``min_closed_s``: the margin is what keeps it from being missed within the hour."""
    return (
        rules.comfortable(outlook.over_share, outlook.mean_s, outlook.longest_s)
        and outlook.over_high <= rules.max_over_share * rules.close_below
    )


def advise(
    hall: HallNow,
    rules: StaffingRules,
    pending: Sequence[Change] = (),
    seed: int = 0,
) -> Forecast:
    """What the coming hour holds and which change to the counters would help."""
    at = hall.now + rules.reaction_s
    base = [*pending]
    (now,) = compare(hall, [base], rules.replications, seed)
    alert = now.over_share > rules.max_over_share
    counters = _after(hall, pending)
    advice: list[Advice] = []
    if at < hall.closing_at:
        last_close = max((c.closed_at or 0.0 for c in counters.values()), default=0.0)
        last_open = max((c.opened_at or 0.0 for c in counters.values()), default=0.0)
        if alert and (
            hall.now - last_close >= rules.min_closed_s
            or now.over_share > rules.severe * rules.max_over_share
        ):
            candidates = _adding(hall, counters, _short_service(now), rules, at)
            advice += _best(hall, rules, base, now, candidates, seed, gain=rules.min_gain)
        if _may_close(now, rules) and hall.now - last_open >= rules.min_open_s:
            candidates = _closing(hall, counters, rules, now, at)
            advice += _cheapest(hall, rules, base, now, candidates, seed)
    return Forecast(hall.now, now, alert, tuple(advice))


def _outlooks(
    hall: HallNow, rules: StaffingRules, base: list[Change], candidates: Iterable[Change], seed: int
) -> list[tuple[Change, Outlook]]:
    found = list(candidates)
    if not found:
        return []
    results = compare(hall, [[*base, c] for c in found], rules.replications, seed)
    return list(zip(found, results, strict=True))


def _best(
    hall: HallNow,
    rules: StaffingRules,
    base: list[Change],
    now: Outlook,
    candidates: Iterable[Change],
    seed: int,
    gain: float,
) -> list[Advice]:
    scored = _outlooks(hall, rules, base, candidates, seed)
    if not scored:
        return []
    # Fewest over the line first, then the shortest mean wait (a hall where everyone waits
    # over 3 minutes still gains from a shorter wait), then the fewest counter-hours.
    change, after = min(
        scored,
        key=lambda ca: (round(ca[1].over_share, 2), round(ca[1].mean_s, -1), ca[1].counter_hours),
    )
    shorter = now.mean_s - after.mean_s >= max(60.0, 0.2 * now.mean_s)
    if now.over_share - after.over_share < gain and not shorter:
        return []
    return [Advice(change, now, after)]


def _cheapest(
    hall: HallNow,
    rules: StaffingRules,
    base: list[Change],
    now: Outlook,
    candidates: Iterable[Change],
    seed: int,
) -> list[Advice]:
    scored = _outlooks(hall, rules, base, candidates, seed)
    fine = [(c, o) for c, o in scored if _may_close(o, rules)]
    if not fine:
        return []
    change, after = min(fine, key=lambda ca: (ca[1].over_share, ca[0].counter))
    return [Advice(change, now, after)]
