"""How appointments share the queue with walk-ins: the head-start rule on simulated days.

    python -m queue_core.sim.appointments [--out docs/appointments.md] [--seeds 20]

Each simulated day takes a scenario's customers and makes a share of one service's customers
appointment holders: they booked the 30-minute window their arrival falls in and check in
around its start (between 10 minutes before and 10 minutes after, clipped to the window). Their
ticket's place in time is ``domain.appointments.queue_time`` (a head start of ``H`` minutes
over walk-ins of the same class); everything else is the engine's own routing (``aging``).
The same customers, seeds and service times are played for each ``H``, so the differences
are the rule's alone. Figures: waits of walk-ins and of appointment holders, and for every
walk-in how much longer it waited than on the same day with no head start (``H = 0``).
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from queue_core.domain.appointments import Appointment, AppointmentRules, AppointmentStatus
from queue_core.domain.appointments import queue_time as appointment_queue_time
from queue_core.domain.routing import Policy
from queue_core.sim.model import Customer, Day, customers
from queue_core.sim.scenario import Scenario, load
from queue_core.sim.selectors import EnginePolicy

SLOT_S = 30 * 60


@dataclass(frozen=True)
class Figures:
    head_start_min: float
    walkin_mean: float
    walkin_p90: float
    walkin_max: float
    walkin_over_3min: float
    appt_mean: float
    appt_p90: float
    appt_within_10min: float
    extra_max: float  # the most a walk-in waited longer than with no head start
    extra_p99: float
    appointments: int
    walkins: int


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))] if ordered else 0.0


def with_appointments(
    people: list[Customer], service: str, share: float, rng: random.Random, head_start_s: float
) -> tuple[list[Customer], dict[int, float]]:
    """The day's customers with ``share`` of ``service``'s made appointment holders; returns
    them (in arrival order) and each appointment holder's window start, by index."""
    rules = AppointmentRules(slot_s=SLOT_S, head_start_s=head_start_s)
    out: list[tuple[Customer, float | None]] = []
    for person in people:
        if person.service != service or rng.random() >= share:
            out.append((person, None))
            continue
        start = person.arrival // SLOT_S * SLOT_S
        arrive = min(max(start + rng.uniform(-600, 600), start - 600), start + SLOT_S)
        booked = Appointment(
            id="", code="", service=service, day="", start=start, end=start + SLOT_S,
            status=AppointmentStatus.BOOKED, booked_at=0.0, booked_by="sim", tier=person.tier,
        )  # fmt: skip
        lead = arrive - appointment_queue_time(booked, max(arrive, 0.0), rules)
        out.append((replace(person, arrival=max(arrive, 0.0), queued_lead_s=lead), start))
    out.sort(key=lambda pair: pair[0].arrival)
    return [p for p, _ in out], {i: s for i, (_, s) in enumerate(out) if s is not None}


def play(
    scenario: Scenario, seed: int, share: float, service: str, heads_min: list[float]
) -> dict[float, tuple[list[float], list[float], list[float]]]:
    """For each head start: (walk-in waits, appointment waits, appointment waits from the
    window's start) of one seeded day; the same people for every head start."""
    base = customers(scenario, random.Random(seed))
    out = {}
    for head in heads_min:
        people, appts = with_appointments(
            base, service, share, random.Random(seed * 7 + 1), head * 60
        )
        result = Day(scenario, EnginePolicy(Policy()), seed, people=people).run()
        walk, appt, from_slot = [], [], []
        # Outcomes follow arrival order, as the people were given.
        for i, outcome in enumerate(sorted(result.outcomes, key=lambda o: o.arrival)):
            if outcome.wait_s is None:
                continue
            if i in appts:
                appt.append(outcome.wait_s)
                from_slot.append((outcome.called_at or 0) - result.open_at - appts[i])
            else:
                walk.append(outcome.wait_s)
        out[head] = (walk, appt, from_slot)
    return out


def figures(
    scenario_name: str, seeds: int, share: float, service: str, heads_min: list[float]
) -> list[Figures]:
    scenario = load(scenario_name)
    runs = [play(scenario, seed, share, service, heads_min) for seed in range(1, seeds + 1)]
    out = []
    for head in heads_min:
        walk = [w for r in runs for w in r[head][0]]
        appt = [w for r in runs for w in r[head][1]]
        from_slot = [w for r in runs for w in r[head][2]]
        extra = []
        for r in runs:
            if len(r[head][0]) == len(r[heads_min[0]][0]):
                extra += [a - b for a, b in zip(r[head][0], r[heads_min[0]][0], strict=True)]
        out.append(
            Figures(
                head_start_min=head,
                walkin_mean=statistics.fmean(walk),
                walkin_p90=_p(walk, 0.9),
                walkin_max=max(walk),
                walkin_over_3min=sum(w > 180 for w in walk) / len(walk),
                appt_mean=statistics.fmean(appt) if appt else 0.0,
                appt_p90=_p(appt, 0.9),
                appt_within_10min=sum(w <= 600 for w in from_slot) / max(1, len(from_slot)),
                extra_max=max(extra) if extra else 0.0,
                extra_p99=_p(extra, 0.99),
                appointments=len(appt) // seeds,
                walkins=len(walk) // seeds,
            )
        )
    return out


def table(rows: list[Figures]) -> str:
    lines = [
        "| head start | walk-ins: mean | p90 | max | > 3 min | appointments: mean | p90 "
        "| called ≤ 10 min after window start | walk-in's extra wait vs none: p99 | max |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        lines.append(
            f"| {f.head_start_min:g} min | {f.walkin_mean / 60:.1f} min | {f.walkin_p90 / 60:.1f} "
            f"| {f.walkin_max / 60:.1f} | {f.walkin_over_3min:.0%} | {f.appt_mean / 60:.1f} min "
            f"| {f.appt_p90 / 60:.1f} | {f.appt_within_10min:.0%} | {f.extra_p99 / 60:.1f} min "
            f"| {f.extra_max / 60:.1f} min |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--share", type=float, default=0.15)
    args = parser.parse_args(argv)
    heads: list[float] = [0, 5, 10, 15, 20, 40]
    parts = []
    for name in ("weekday", "pension_day"):
        rows = figures(name, args.seeds, args.share, "A", heads)
        parts.append(
            f"### {name}: {rows[0].appointments} appointments and {rows[0].walkins} walk-ins a "
            f"day (means over {args.seeds} seeded days)\n\n{table(rows)}\n"
        )
    body = "\n".join(parts)
    if args.out:
        text = args.out.read_text("utf-8")
        begin, end = "<!-- simulated: begin -->", "<!-- simulated: end -->"
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        args.out.write_text(f"{head}{begin}\n{body}\n{end}{tail}", "utf-8")
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
