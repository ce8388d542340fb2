"""Checks of the simulator against queueing theory, where theory is exact.

- M/M/c with one class, first come first served: the mean wait is Erlang C's
  ``C(c, a) / (c·μ − λ)`` (Erlang 1917; any queueing text, e.g. Gross & Harris).
- M/M/c with two classes, non-preemptive priority, the same service rate for both: class k's
  mean wait is ``C(c, a) / (c·μ · (1 − σ_{k−1}) · (1 − σ_k))`` with ``σ_k`` the load of the
  classes up to k (Cobham 1954, "Priority assignment in waiting line problems", Operations
  Research 2(1)). The same inputs also run through ``ciw`` (Palmer et al., an independent
  discrete-event library) as a second witness.

The simulator runs these cases through the engine's own routing (``fifo`` and ``strict``) on
long days, and measures waits of customers arriving after a warm-up hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from queue_core.sim.model import DayResult, simulate_day
from queue_core.sim.scenario import Scenario, parse
from queue_core.sim.selectors import by_name


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c (``offered`` load a = λ/μ < c)."""
    if offered >= servers:
        return 1.0
    term = 1.0
    total = 1.0
    for k in range(1, servers):
        term *= offered / k
        total += term
    last = term * offered / servers / (1.0 - offered / servers)
    return last / (total + last)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of M/M/c (seconds when rates are per second)."""
    offered = arrival_rate / service_rate
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def priority_mean_waits(
    arrival_rates: list[float], service_rate: float, servers: int
) -> list[float]:
    """Mean wait of each class (highest priority first) in non-preemptive M/M/c priority."""
    capacity = servers * service_rate
    waiting = erlang_c(servers, sum(arrival_rates) / service_rate)
    found = []
    sigma_before = 0.0
    for rate in arrival_rates:
        sigma = sigma_before + rate / capacity
        found.append(waiting / (capacity * (1.0 - sigma_before) * (1.0 - sigma)))
        sigma_before = sigma
    return found


def ciw_priority_waits(
    arrival_rates: list[float], service_rate: float, servers: int, hours: float, seed: int
) -> list[float]:
    """The same priority case simulated by ``ciw`` (class 0 is served first)."""
    import ciw  # imported here: only the theory checks need it

    classes = [f"Class {k}" for k in range(len(arrival_rates))]
    network = ciw.create_network(
        arrival_distributions={
            c: [ciw.dists.Exponential(r)] for c, r in zip(classes, arrival_rates, strict=True)
        },
        service_distributions={c: [ciw.dists.Exponential(service_rate)] for c in classes},
        number_of_servers=[servers],
        priority_classes={c: k for k, c in enumerate(classes)},
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(hours * 3600.0)
    records: Any = simulation.get_all_records()
    found = []
    for c in classes:
        waits = [r.waiting_time for r in records if r.customer_class == c and r.arrival_date > 3600]
        found.append(sum(waits) / len(waits))
    return found


@dataclass(frozen=True, slots=True)
class Case:
    """A theory case: Poisson arrivals per hour by tier (highest first), one service, c counters."""

    arrivals_per_hour: dict[str, float]
    mean_service_s: float
    servers: int
    hours: int = 23

    def scenario(self) -> Scenario:
        total = sum(self.arrivals_per_hour.values())
        ranks = {
            tier: len(self.arrivals_per_hour) - 1 - k
            for k, tier in enumerate(self.arrivals_per_hour)
        }
        data = {
            "scenario": {"title": "theory", "date": "2026-01-05", "timezone": "UTC",
                         "opening": "00:00", "closing": f"{self.hours:02d}:00", "overtime_s": 7200},
            "customers": {"tiers": {t: r / total for t, r in self.arrivals_per_hour.items()}},
            "tier_ranks": ranks,
            "services": [{"code": "A", "mean_s": self.mean_service_s, "distribution": "exponential",
                          "arrivals": [total] * self.hours}],
            "counters": [{"number": n + 1, "services": ["A"]} for n in range(self.servers)],
        }  # fmt: skip
        return parse(data, "theory")


def measured_waits(
    days: list[DayResult], tiers: list[str], warmup_s: float = 3600.0
) -> list[float]:
    """Mean wait per tier of customers who arrived after the warm-up (called ones only)."""
    found = []
    for tier in tiers:
        waits = [
            o.wait_s
            for d in days
            for o in d.outcomes
            if o.tier == tier and o.wait_s is not None and o.arrival - d.open_at > warmup_s
        ]
        found.append(sum(waits) / len(waits))
    return found


def run_case(case: Case, policy: str, days: int, seed: int = 1) -> list[float]:
    """Simulate ``days`` long days of a theory case; mean wait per tier (highest first)."""
    scenario = case.scenario()
    results = [simulate_day(scenario, by_name(policy), seed + k) for k in range(days)]
    return measured_waits(results, list(case.arrivals_per_hour))


#: The cases ``branchq compare`` and the tests check: ρ = 0.75 on 4 counters, cash-like service.
MMC = Case({"normal": 60.0}, mean_service_s=180.0, servers=4)
PRIORITY = Case({"gold": 20.0, "normal": 40.0}, mean_service_s=180.0, servers=4)


def relative_gap(measured: float, expected: float) -> float:
    return (measured - expected) / expected if expected else math.inf
