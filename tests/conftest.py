"""Fixtures that start real things: an engine on a free port (SQLite in a temp folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import RunningEngine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("BRANCHQ_SLOW") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="slow end-to-end check: set BRANCHQ_SLOW=1 (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[RunningEngine]:
    """A real engine process running the demo branch on a fresh SQLite database."""
    running = RunningEngine(workdir=tmp_path).start()
    try:
        yield running
    finally:
        running.stop()
