"""Tickets taken from a phone: the branch's limits, the check-in with the code of the moment
or the ticket's own code, the place in time it then gets, giving one back, and the lapse of
one never checked in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_core.config import BranchConfig, load_config
from queue_core.domain import remote
from queue_core.domain.errors import DomainError
from queue_core.security import door_key
from queue_core.service import Branch
from queue_core.store import Store

PHONE = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
SECRET = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_763_001_000.0  # 2025-11-13 10:30 in Shanghai

    def __call__(self) -> float:
        return self.now


def configured(**remote_settings: object) -> BranchConfig:
    config = load_config()
    settings = config.remote.model_copy(update={"enabled": True, **remote_settings})
    return config.model_copy(update={"remote": settings})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    found = Store(f"sqlite:///{tmp_path / 'q.db'}")
    yield found
    found.dispose()


def engine(store: Store, clock: Clock, **settings: object) -> Branch:
    return Branch(configured(**settings), store, SECRET, clock=clock)


def refused(use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as caught:
        use_case(*args, **kwargs)
    return caught.value.code


def door(clock: Clock) -> str:
    return remote.door_code(door_key(SECRET), clock.now, configured().remote.rules())[0]


def test_a_remote_ticket_waits_apart_until_checked_in_then_joins_at_its_check_in(
    store: Store,
) -> None:
    clock = Clock()
    branch = engine(store, clock)
    branch.set_state(3, "open", "t03")
    taken = branch.take_remote("A", PHONE)["id"]
    public = branch.public(taken)
    assert (public["status"], public["number"], public["ahead"]) == ("remote", "A001", None)
    assert remote.is_check_in_code(public["check_in_code"])
    assert public["queue"] == {"waiting": 0, "estimated_wait_s": 0}
    # Nobody counts it as ahead, and no counter calls it.
    walk_in = branch.issue("kiosk-1", "A").ticket
    assert walk_in["ahead"] == 0 and walk_in["number"] == "A002"
    assert [t["number"] for t in branch.remote_tickets()] == ["A001"]

    clock.now += 600
    assert refused(branch.check_in, [taken], door_code="0" * 20) == "check_in_code_stale"
    assert branch.check_in([taken], door_code=door(clock)) == [taken]
    checked = branch.ticket(taken)
    assert checked["status"] == "waiting" and checked["ahead"] == 1  # behind the walk-in
    assert branch.remote_tickets() == []
    branch.check_in([taken], door_code=door(clock))  # a second scan changes nothing
    assert branch.ticket(taken)["checked_in_at"] == checked["checked_in_at"]
    called = branch.call_next(3, "t03")
    assert called is not None and called["number"] == "A002"


def test_with_place_at_taking_the_trip_counts_as_waiting(store: Store) -> None:
    clock = Clock()
    branch = engine(store, clock, place="taking")
    taken = branch.take_remote("A", PHONE)["id"]
    clock.now += 300
    walk_in = branch.issue("kiosk-1", "A").ticket
    clock.now += 300
    code = branch.public(taken)["check_in_code"]
    assert branch.check_in(ticket_code=f"{code[:4]} {code[4:]}") == [taken]  # typed by the lobby
    assert branch.public(taken)["ahead"] == 0
    assert branch.public(walk_in["id"])["ahead"] == 1
    assert refused(branch.check_in, ticket_code=code) == "ticket_not_found"  # used up


def test_the_branchs_limits_per_browser_per_hour_and_share(store: Store) -> None:
    clock = Clock()
    branch = engine(store, clock, per_browser_per_day=2, per_hour=3, min_allowed=1)
    first = branch.take_remote("A", PHONE)["id"]
    assert refused(branch.take_remote, "B", PHONE) == "remote_already_held"
    assert refused(branch.take_remote, "A", "not-hex") == "invalid_browser"
    assert refused(branch.take_remote, "Z", PHONE) == "unknown_service"
    # The share: one of A on the way and nobody waiting is all A allows.
    assert refused(branch.take_remote, "A", OTHER) == "remote_share_full"
    assert branch.phone_branch()["services"][0]["remote_reason"] == "full"
    branch.give_back(first)
    assert branch.public(first)["status"] == "cancelled"
    branch.take_remote("A", PHONE)  # the second of the day for this phone
    branch.take_remote("B", OTHER)
    assert refused(branch.take_remote, "C", "ab" * 16) == "remote_busy"  # 3 an hour
    clock.now += 3700
    mine = [t for t in branch.remote_tickets() if t["service"] == "A"]
    branch.give_back(mine[0]["id"])
    assert refused(branch.take_remote, "C", PHONE) == "remote_daily_limit"


def test_a_ticket_not_checked_in_in_time_lapses(store: Store) -> None:
    clock = Clock()
    branch = engine(store, clock, valid_minutes=30)
    late = branch.take_remote("A", PHONE)["id"]
    lapsing = branch.take_remote("B", OTHER)["id"]
    clock.now += 29 * 60
    assert branch.lapse_remote() == 0
    clock.now += 2 * 60
    branch.check_in([late], door_code=door(clock))  # came too late
    assert branch.public(late)["status"] == "cancelled"
    assert branch.lapse_remote() == 1
    for t in (late, lapsing):
        public = branch.public(t)
        assert (public["status"], public["lapsed"], public["final"]) == ("cancelled", True, True)


def test_a_branch_that_hands_out_no_tickets_to_phones_says_so(store: Store) -> None:
    config = configured(enabled=False)
    branch = Branch(config, store, SECRET, clock=Clock())
    assert refused(branch.take_remote, "A", PHONE) == "remote_disabled"
    assert branch.phone_branch()["remote"]["enabled"] is False
