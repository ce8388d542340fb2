"""Remote tickets: the branch's abuse limits, the validity, and the place in time at check-in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.errors import DomainError
from queue_core.domain.remote import RemoteCounts, RemoteRules, admit, is_void, queue_time

ON = RemoteRules(enabled=True, per_hour=10, max_share=0.3, min_allowed=2)
NONE = RemoteCounts(0, 0, 0, 0, 0)


def code(counts: RemoteCounts, rules: RemoteRules = ON) -> str | None:
    try:
        admit(counts, rules)
    except DomainError as exc:
        return exc.code
    return None


def test_each_limit_refuses_with_its_own_code() -> None:
    assert code(NONE) is None
    assert code(NONE, RemoteRules()) == "remote_disabled"
    assert code(replace(NONE, browser_open=1)) == "remote_already_held"
    assert code(replace(NONE, browser_today=3)) == "remote_daily_limit"
    assert code(replace(NONE, branch_last_hour=10)) == "remote_busy"
    assert code(replace(NONE, service_remote=3, service_waiting=5)) == "remote_share_full"
    assert code(replace(NONE, service_remote=1, service_waiting=0)) is None  # the first few


@given(remote=st.integers(0, 200), waiting=st.integers(0, 200))
def test_the_remote_share_stays_under_the_cap_beyond_the_first_few(
    remote: int, waiting: int
) -> None:
    if code(replace(NONE, service_remote=remote, service_waiting=waiting)) is None:
        after = remote + 1
        assert after <= ON.min_allowed or after <= ON.max_share * (after + waiting) + 1e-9


def test_validity_and_the_place_in_time() -> None:
    assert not is_void(0, ON.valid_s, ON) and is_void(0, ON.valid_s + 1, ON)
    assert queue_time(100, 900, ON) == 900  # at check-in: nobody on the bus overtakes
    assert queue_time(100, 900, replace(ON, place="taking")) == 100


@pytest.mark.parametrize("place", ["check_in", "taking"])
def test_a_remote_place_is_never_later_than_its_check_in(place: str) -> None:
    rules = replace(ON, place=place)  # type: ignore[arg-type]
    assert queue_time(100, 900, rules) <= 900


def test_the_door_code_changes_each_period_and_the_last_one_still_checks_in() -> None:
    from queue_core.domain.remote import door_code, door_code_ok

    key, rules = b"k" * 32, RemoteRules(enabled=True, door_period_s=120)
    code, until = door_code(key, 1000.0, rules)
    assert until == 1080.0 and len(code) == 20
    assert door_code(key, 1079.0, rules)[0] == code
    assert door_code(key, 1080.0, rules)[0] != code
    assert door_code_ok(key, code, 1079.0, rules)
    assert door_code_ok(key, code, 1199.0, rules)  # the previous period's code
    assert not door_code_ok(key, code, 1200.0, rules)  # two periods on: a photo taken home
    assert not door_code_ok(b"other" * 8, code, 1000.0, rules)
    assert not door_code_ok(key, "门" + code[1:], 1000.0, rules)  # any text: refused, no crash
