"""Device programs take their token from the environment, so it never shows in ``ps``."""

from __future__ import annotations

import pytest

from display.app import parser as display_parser
from kiosk.app import parser as kiosk_parser


def test_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANCHQ_TOKEN", "from-env")
    assert display_parser().parse_args(["--engine", "http://e"]).token == "from-env"
    assert kiosk_parser().parse_args(["--engine", "http://e"]).token == "from-env"
    given = display_parser().parse_args(["--engine", "http://e", "--token", "given"])
    assert given.token == "given"


def test_display_needs_a_token_somewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRANCHQ_TOKEN", raising=False)
    with pytest.raises(SystemExit):
        display_parser().parse_args(["--engine", "http://e"])
