"""The screen program pieces the display and the kiosk share."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import pytest

from drivers.screen import program
from drivers.screen.fonts import FontMissing, find_cjk_font
from drivers.screen.program import cjk_font, size_option, until_stopped


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
