"""The start-up pieces the display and the kiosk share."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import pytest

from display import program
from display.fonts import FontMissing, find_cjk_font
from display.program import cjk_font, keep_trying, size_option, until_stopped
from queue_core.client import EngineError


def test_size_option_reads_and_bounds_a_window_size() -> None:
    parse = size_option(320, 240)
    assert parse("1366x768") == (1366, 768)
    assert parse("3840X2160") == (3840, 2160)
    for bad in ("big", "100x100", "1920"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)


def test_the_font_comes_from_the_option_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wqy = find_cjk_font()  # the CJK font the tests install
    monkeypatch.setenv("BRANCHQ_FONT", str(wqy))
    assert cjk_font(None) == wqy
    assert cjk_font(str(wqy)) == wqy


def test_no_chinese_font_means_no_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(preferred: str | None = None) -> Path:
        raise FontMissing("no font on this machine can draw Chinese")

    monkeypatch.setattr(program, "find_cjk_font", nothing)
    assert cjk_font(None) is None


def test_keep_trying_retries_until_the_engine_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    attempts = [0]

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def load() -> None:
        attempts[0] += 1
        if attempts[0] < 5:
            raise EngineError(503, "store_unavailable", "starting")

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    asyncio.run(keep_trying(load, asyncio.Event(), "branch", max_delay=3.0))
    assert attempts[0] == 5
    assert waits == [0.5, 1.0, 2.0, 3.0]  # doubled each time, up to the cap


def test_keep_trying_gives_up_when_the_program_stops() -> None:
    async def main() -> int:
        stopping, calls = asyncio.Event(), [0]

        async def load() -> None:
            calls[0] += 1
            stopping.set()
            raise EngineError(503, "store_unavailable", "away")

        await asyncio.wait_for(keep_trying(load, stopping, "branch", max_delay=30), 5)
        return calls[0]

    assert asyncio.run(main()) == 1


def test_until_stopped_ends_at_the_stop_or_after_the_time_given() -> None:
    async def main() -> tuple[float, float]:
        start = time.monotonic()
        await until_stopped(asyncio.Event(), 0.2)
        timed = time.monotonic() - start
        stopping = asyncio.Event()
        asyncio.get_running_loop().call_later(0.1, stopping.set)
        start = time.monotonic()
        await until_stopped(stopping, None)
        return timed, time.monotonic() - start

    timed, stopped = asyncio.run(main())
    assert 0.2 <= timed < 5.0 and 0.1 <= stopped < 5.0
