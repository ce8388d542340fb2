"""The simulator against queueing theory where theory is exact.

Tolerances: the simulator's mean waits over 40 seeded 23-hour days must be within 12% of Erlang
C and of Cobham's priority formula (run-to-run spread at ρ = 0.75 is about ±6%); ciw, run on
the same inputs, within 10% of the formula. The days are seeded, so the checks are repeatable.
"""

from __future__ import annotations

import pytest

from queue_core.sim import theory

MU = 1.0 / 180.0


def test_erlang_c_matches_the_textbook_value() -> None:
    # C(4, 3) = 0.5094 (four servers, offered load 3 erlangs).
    assert theory.erlang_c(4, 3.0) == pytest.approx(0.5094, abs=1e-4)
    assert theory.erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = ρ


def test_cobham_reduces_to_erlang_c_for_one_class() -> None:
    rate = 60 / 3600
    assert theory.priority_mean_waits([rate], MU, 4)[0] == pytest.approx(
        theory.mmc_mean_wait(rate, MU, 4)
    )


def test_fifo_single_class_matches_erlang_c() -> None:
    expected = theory.mmc_mean_wait(60 / 3600, MU, 4)
    measured = theory.run_case(theory.MMC, "fifo", days=40, seed=101)[0]
    assert abs(theory.relative_gap(measured, expected)) < 0.12


def test_strict_two_class_priority_matches_cobham() -> None:
    rates = [20 / 3600, 40 / 3600]
    expected = theory.priority_mean_waits(rates, MU, 4)
    measured = theory.run_case(theory.PRIORITY, "strict", days=40, seed=101)
    for got, want in zip(measured, expected, strict=True):
        assert abs(theory.relative_gap(got, want)) < 0.12
    assert measured[0] < measured[1] / 2  # gold waits far less than normal


def test_ciw_on_the_same_inputs_agrees_with_cobham() -> None:
    rates = [20 / 3600, 40 / 3600]
    expected = theory.priority_mean_waits(rates, MU, 4)
    witness = theory.ciw_priority_waits(rates, MU, 4, hours=40 * 23, seed=2)
    for got, want in zip(witness, expected, strict=True):
        assert abs(theory.relative_gap(got, want)) < 0.10
