"""The scale benchmark's checks on a few branches (``bench/central.py`` runs 200): branches
playing the pension-day morning through their leaf nodes, some cut off for the whole play,
the consumer, a leaf and the centre's NATS server killed with SIGKILL mid-stream; then no
event lost, none twice, and every branch's central figures equal to its own /stats/daily."""

from __future__ import annotations

import pytest

from bench.central import main as scale_bench


@pytest.mark.slow
def test_a_few_branches_through_cuts_and_kills_lose_nothing() -> None:
    assert scale_bench(["--branches", "6", "--cut", "2", "--minutes", "10", "--live-minutes", "5",
                        "--generators", "1"]) == 0  # fmt: skip
