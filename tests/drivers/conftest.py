"""Fixtures for the drivers: a socat pty pair with simulated signs and keypads on one end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from drivers.serial.bus import Bus, open_port
from drivers.serial.protocol import BranchQDialect
from drivers.serial.ptypair import PtyPair
from drivers.simulator import DeviceRunner, DeviceSet

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

SIGNS = [1, 2, 3, 4]
KEYPADS = [101, 102, 103]


@pytest.fixture
def pty_pair() -> Iterator[PtyPair]:
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed")
    with PtyPair() as pair:
        yield pair


@pytest.fixture
def devices() -> DeviceSet:
    return DeviceSet(SIGNS, KEYPADS)


@pytest.fixture
def sim_bus(pty_pair: PtyPair, devices: DeviceSet) -> Iterator[Bus]:
    """The agent's side of a bus whose other end runs the simulated devices."""
    runner = DeviceRunner(open_port(pty_pair.b), BranchQDialect(), devices).start()
    bus = Bus(open_port(pty_pair.a), BranchQDialect(), reply_timeout=0.1, retries=2)
    try:
        yield bus
    finally:
        runner.stop()
        bus.close()
        runner.bus.close()
