"""Requests generated from the OpenAPI document, with several roles' tokens: no 5xx, every
error in the error shape, every answer as the document says. ``bench/reliability.py fuzz``
runs more examples per operation."""

from __future__ import annotations

import pytest

from tests.reliability.fuzz import error_shape_problem, fuzz
from tests.support.engine import KIOSK_TOKEN, LOBBY, RunningEngine


def test_error_shape_checker_knows_a_bad_body() -> None:
    assert error_shape_problem(404, {"detail": "Not Found"}) is not None
    assert error_shape_problem(409, {"error": {"code": "Bad Code", "message": "x"}}) is not None
    assert error_shape_problem(409, {"error": {"code": "counter_busy", "message": "x"}}) is None


@pytest.mark.slow
def test_fuzzed_requests_get_no_5xx_and_only_well_shaped_errors(engine: RunningEngine) -> None:
    tokens = {"lobby": engine.login(*LOBBY), "kiosk": KIOSK_TOKEN}
    report = fuzz(engine.url, tokens, max_examples=8)
    assert report.operations >= 30
    assert report.server_errors == []
    assert report.bad_shapes == []
    assert report.nonconforming == []
