"""``branchq caller``: the teller gets the caller page's URL, or a clear word when it cannot."""

from __future__ import annotations

import httpx
import pytest

from counter_caller.app import main
from tests.support.engine import RunningEngine, free_port


def test_prints_the_counters_caller_page_which_the_engine_serves(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--engine", engine.url, "--counter", "3"]) == 0
    url = capsys.readouterr().out.strip()
    assert url == f"{engine.url}/caller?counter=3"
    page = httpx.get(url)
    assert page.status_code == 200 and "柜员叫号器" in page.text


def test_says_so_when_the_engine_does_not_answer(capsys: pytest.CaptureFixture[str]) -> None:
    engine = f"http://127.0.0.1:{free_port()}"
    assert main(["--engine", engine]) == 2
    assert "does not answer" in capsys.readouterr().err
