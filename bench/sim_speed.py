"""How fast the simulator runs: CPU seconds per simulated day, by scenario and policy, and
what the staffing advice costs (one look-ahead play, one advice, one day with it followed).

Run: ``python bench/sim_speed.py [--days N]``. Prints two tables; nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import time

from queue_core.domain.staffing import StaffingRules
from queue_core.sim.advice import advise
from queue_core.sim.estimators import ESTIMATORS
from queue_core.sim.lookahead import forecast
from queue_core.sim.model import CounterChange, Day, simulate_day
from queue_core.sim.scenario import available, load
from queue_core.sim.selectors import COMPARED, by_name
from queue_core.sim.staffing import AdviceFollower, advised_day, hall_now


def cpu_per_day(scenario: str, policy: str, days: int, with_estimate: bool) -> tuple[float, float]:
    loaded = load(scenario)
    estimators = {"engine": ESTIMATORS["engine"]} if with_estimate else {}
    started = time.process_time()
    customers = 0
    for seed in range(1, days + 1):
        customers += len(simulate_day(loaded, by_name(policy), seed, estimators).outcomes)
    return (time.process_time() - started) / days, customers / days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.days} days each")
    print(
        f"{'scenario':<12} {'policy':<11} {'customers':>9} {'ms/day':>8} {'ms/day +estimate':>17}"
    )
    for scenario in available():
        for policy in COMPARED:
            plain, customers = cpu_per_day(scenario, policy, args.days, False)
            line = f"{scenario:<12} {policy:<11} {customers:>9.0f} {plain * 1000:>8.1f}"
            if policy == "aging:1":
                estimated, _ = cpu_per_day(scenario, policy, args.days, True)
                line += f" {estimated * 1000:>17.0f}"
            print(line)
    print()
    print(f"{'scenario':<12} {'ms/play':>8} {'ms/advice':>10} {'s/advised day':>14}")
    for scenario in available():
        play, advice, day = staffing_cpu(scenario, args.days)
        print(f"{scenario:<12} {play * 1000:>8.1f} {advice * 1000:>10.0f} {day:>14.2f}")


def staffing_cpu(scenario: str, days: int) -> tuple[float, float, float]:
    """CPU seconds of one look-ahead play, one advice and one day with the advice followed."""
    loaded, rules = load(scenario), StaffingRules()
    halls = []

    class Watch(AdviceFollower):
        def tick(self, day: Day, now: float) -> list[tuple[float, CounterChange]]:
            halls.append(hall_now(day, now, rules))
            return []

    Day(loaded, by_name("aging:1"), 1, ticker=Watch(rules)).run()
    started = time.process_time()
    for hall in halls:
        forecast(hall, (), rules.replications, 1)
    play = (time.process_time() - started) / (len(halls) * rules.replications)
    started = time.process_time()
    for hall in halls:
        advise(hall, rules)
    advice = (time.process_time() - started) / len(halls)
    started = time.process_time()
    for seed in range(1, days + 1):
        advised_day(loaded, by_name("aging:1"), seed, rules)
    return play, advice, (time.process_time() - started) / days


if __name__ == "__main__":
    main()
