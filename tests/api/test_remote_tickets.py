"""Tickets taken from a phone: the branch's limits, the check-in with the code of the moment
or the ticket's own code, the place in time it then gets, giving one back, and the lapse of
one never checked in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from queue_core.config import BranchConfig, load_config
from queue_core.domain import remote
from queue_core.domain.errors import DomainError
from queue_core.security import door_key
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.counters import CallNext, MoveCounter
from queue_core.usecases.remote import CheckIn, GiveBack, LapseRemote, TakeRemote
from queue_core.usecases.tickets import IssueTicket

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


class Phones:
    """The branch's commands and reads as these tests use them."""

    def __init__(self, branch: Branch) -> None:
        self.branch = branch
        self.reads = branch.reads

    def run(self, command: Any) -> Any:
        return self.branch.execute_sync(command)

    def take_remote(self, service: str, browser: str) -> dict[str, Any]:
        return dict(self.run(TakeRemote(service, browser)).body)

    def check_in(
        self,
        tickets: Sequence[str] = (),
        door_code: str | None = None,
        ticket_code: str | None = None,
    ) -> list[str]:
        return list(self.run(CheckIn(tuple(tickets), door_code, ticket_code)).value)

    def give_back(self, ticket_id: str) -> None:
        self.run(GiveBack(ticket_id))

    def lapse_remote(self) -> int:
        return int(self.run(LapseRemote()).value)

    def issue(self, kiosk: str, service: str) -> dict[str, Any]:
        return dict(self.run(IssueTicket(kiosk, service)).body)

    def open(self, counter: int, teller: str) -> None:
        self.run(MoveCounter(counter, "open", teller))

    def call_next(self, counter: int, teller: str) -> dict[str, Any] | None:
        return self.run(CallNext(counter, teller)).body  # type: ignore[no-any-return]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    found = Store(f"sqlite:///{tmp_path / 'q.db'}")
    yield found
    found.dispose()


@pytest.fixture
def engines(store: Store) -> Iterator[Callable[..., Phones]]:
    made: list[Branch] = []

    def engine(clock: Clock, **settings: object) -> Phones:
        made.append(Branch(configured(**settings), store, SECRET, clock=clock))
        return Phones(made[-1])

    yield engine
    for branch in made:
        branch.stop()


def refused(use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as caught:
        use_case(*args, **kwargs)
    return caught.value.code


def door(clock: Clock) -> str:
    return remote.door_code(door_key(SECRET), clock.now, configured().remote.rules())[0]


def test_a_remote_ticket_waits_apart_until_checked_in_then_joins_at_its_check_in(
    engines: Callable[..., Phones],
) -> None:
    clock = Clock()
    branch = engines(clock)
    branch.open(3, "t03")
    taken = branch.take_remote("A", PHONE)["id"]
    public = branch.reads.public(taken)
    assert (public["status"], public["number"], public["ahead"]) == ("remote", "A001", None)
    assert remote.is_check_in_code(public["check_in_code"])
    assert public["queue"] == {"waiting": 0, "estimated_wait_s": 0}
    # Nobody counts it as ahead, and no counter calls it.
    walk_in = branch.issue("kiosk-1", "A")
    assert walk_in["ahead"] == 0 and walk_in["number"] == "A002"
    assert [t["number"] for t in branch.reads.remote_tickets()] == ["A001"]

    clock.now += 600
    assert refused(branch.check_in, [taken], door_code="0" * 20) == "check_in_code_stale"
    assert branch.check_in([taken], door_code=door(clock)) == [taken]
    checked = branch.reads.ticket(taken)
    assert checked["status"] == "waiting" and checked["ahead"] == 1  # behind the walk-in
    assert branch.reads.remote_tickets() == []
    branch.check_in([taken], door_code=door(clock))  # a second scan changes nothing
    assert branch.reads.ticket(taken)["checked_in_at"] == checked["checked_in_at"]
    called = branch.call_next(3, "t03")
    assert called is not None and called["number"] == "A002"


def test_with_place_at_taking_the_trip_counts_as_waiting(engines: Callable[..., Phones]) -> None:
    clock = Clock()
    branch = engines(clock, place="taking")
    taken = branch.take_remote("A", PHONE)["id"]
    clock.now += 300
    walk_in = branch.issue("kiosk-1", "A")
    clock.now += 300
    code = branch.reads.public(taken)["check_in_code"]
    assert branch.check_in(ticket_code=f"{code[:4]} {code[4:]}") == [taken]  # typed by the lobby
    assert branch.reads.public(taken)["ahead"] == 0
    assert branch.reads.public(walk_in["id"])["ahead"] == 1
    assert refused(branch.check_in, ticket_code=code) == "ticket_not_found"  # used up


def test_the_branchs_limits_per_browser_per_hour_and_share(engines: Callable[..., Phones]) -> None:
    clock = Clock()
    branch = engines(clock, per_browser_per_day=2, per_hour=3, min_allowed=1)
    first = branch.take_remote("A", PHONE)["id"]
    assert refused(branch.take_remote, "B", PHONE) == "remote_already_held"
    assert refused(branch.take_remote, "A", "not-hex") == "invalid_browser"
    assert refused(branch.take_remote, "Z", PHONE) == "unknown_service"
    # The share: one of A on the way and nobody waiting is all A allows.
    assert refused(branch.take_remote, "A", OTHER) == "remote_share_full"
    assert branch.reads.phone_branch()["services"][0]["remote_reason"] == "full"
    branch.give_back(first)
    assert branch.reads.public(first)["status"] == "cancelled"
    branch.take_remote("A", PHONE)  # the second of the day for this phone
    branch.take_remote("B", OTHER)
    assert refused(branch.take_remote, "C", "ab" * 16) == "remote_busy"  # 3 an hour
    clock.now += 3700
    mine = [t for t in branch.reads.remote_tickets() if t["service"] == "A"]
    branch.give_back(mine[0]["id"])
    assert refused(branch.take_remote, "C", PHONE) == "remote_daily_limit"


def test_a_ticket_not_checked_in_in_time_lapses(engines: Callable[..., Phones]) -> None:
    clock = Clock()
    branch = engines(clock, valid_minutes=30)
    late = branch.take_remote("A", PHONE)["id"]
    lapsing = branch.take_remote("B", OTHER)["id"]
    clock.now += 29 * 60
    assert branch.lapse_remote() == 0
    clock.now += 2 * 60
    branch.check_in([late], door_code=door(clock))  # came too late
    assert branch.reads.public(late)["status"] == "cancelled"
    assert branch.lapse_remote() == 1
    for t in (late, lapsing):
        public = branch.reads.public(t)
        assert (public["status"], public["lapsed"], public["final"]) == ("cancelled", True, True)


def test_a_branch_that_hands_out_no_tickets_to_phones_says_so(
    engines: Callable[..., Phones],
) -> None:
    branch = engines(Clock(), enabled=False)
    assert refused(branch.take_remote, "A", PHONE) == "remote_disabled"
    assert branch.reads.phone_branch()["remote"]["enabled"] is False
