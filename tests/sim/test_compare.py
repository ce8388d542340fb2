"""``branchq compare`` writes the routing, estimate and theory tables."""

from __future__ import annotations

import re
from pathlib import Path

from queue_core.sim.compare import main, replace_block


def test_compare_writes_every_document(tmp_path: Path) -> None:
    (tmp_path / "simulator.md").write_text(
        "# The simulator\n\n<!-- theory:begin -->\nold\n<!-- theory:end -->\n\nafter\n", "utf-8"
    )
    argv = ["--days", "2", "--theory-days", "2", "--scenario", "weekday", "--docs", str(tmp_path),
            "--jobs", "1"]  # fmt: skip
    assert main(argv) == 0
    routing = (tmp_path / "routing.md").read_text("utf-8")
    for policy in ("| fifo |", "| strict |", "| aging 0.5 |", "| aging 1 |", "| aging 2 |",
                   "| sla |", "| ratio 3:1 |", "| (w+1)×wait |"):  # fmt: skip
        assert policy in routing
    # Every figure comes with its confidence interval.
    assert re.search(r"\| sla \| \d+\.\d ± \d+\.\d% \|", routing)
    estimate = (tmp_path / "wait-estimate.md").read_text("utf-8")
    for name in ("| engine |", "| queue length |", "| class-aware queue length |",
                 "| work-ahead queue length |", "| last to enter service |", "| head of line |",
                 "| LES refined |", "| HOL refined |"):  # fmt: skip
        assert name in estimate
    assert "`weekday`: the engine's MAE" in estimate
    assert "| customers who waited | **" in estimate
    staffing = (tmp_path / "staffing.md").read_text("utf-8")
    assert "| all | waits > 3 min |" in staffing and "| – | counter-hours |" in staffing
    assert "| static plan | day plan | advice followed | plan − static | advised − static |" in (
        staffing
    )
    simulator = (tmp_path / "simulator.md").read_text("utf-8")
    assert "\nold\n" not in simulator
    assert "| M/M/4, ρ = 0.75, `fifo` |" in simulator and simulator.endswith("after\n")


def test_replace_block_appends_when_the_markers_are_missing() -> None:
    assert replace_block("# T\n", "x", "body").endswith("<!-- x:begin -->\nbody\n<!-- x:end -->\n")
