"""How fast the simulator runs: CPU seconds per simulated day, by scenario and policy.

Run: ``python bench/sim_speed.py [--days N]``. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import time

from queue_core.sim.estimators import ESTIMATORS
from queue_core.sim.model import simulate_day
from queue_core.sim.scenario import available, load
from queue_core.sim.selectors import COMPARED, by_name


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


if __name__ == "__main__":
    main()
