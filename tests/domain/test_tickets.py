"""The ticket state machine: every legal move, and a typed refusal for every other."""

from __future__ import annotations

from dataclasses import fields

import pytest

from queue_core.domain import tickets as t
from queue_core.domain.errors import IllegalMove
from queue_core.domain.tickets import MOVES, Status, Ticket
from tests.domain.builders import ticket


def test_a_normal_visit() -> None:
    w = ticket()
    c = t.call(w, counter=3, now=10, teller="t03")
    assert (c.status, c.counter, c.called_at, c.call_count) == (Status.CALLED, 3, 10, 1)
    s = t.start(c, 20)
    f = t.finish(s, 200, rating=5)
    assert (f.status, f.started_at, f.finished_at, f.rating) == (Status.FINISHED, 20, 200, 5)


def test_finish_without_start_counts_service_from_the_call() -> None:
    f = t.finish(t.call(ticket(), 1, 10), 100)
    assert f.started_at == 10


def test_recall_keeps_state_and_counts() -> None:
    s = t.start(t.call(ticket(), 1, 10), 20)
    r = t.recall(s, 30)
    assert r.status is Status.SERVING and r.call_count == 2


def test_skip_and_reassign_front_keeps_place_back_goes_last() -> None:
    skipped = t.skip(t.call(ticket(at=5), 1, 10), 40)
    front = t.reassign(skipped, 50, front=True, counter=2)
    assert front.status is Status.WAITING and front.front_at == 50 and front.front_counter == 2
    assert front.queued_at == 5 and front.counter is None
    back = t.reassign(skipped, 50, front=False)
    assert back.queued_at == 50 and back.front_at is None


def test_transfer_opens_a_new_visit_with_number_and_issue_time() -> None:
    serving = t.start(t.call(ticket(at=5), 1, 10), 20)
    old, new = t.transfer(serving, 60, "new-id", service="C")
    assert old.status is Status.TRANSFERRED and old.finished_at == 60
    assert (new.id, new.status, new.service, new.number) == ("new-id", Status.WAITING, "C", "A001")
    assert new.issued_at == new.queued_at == 5 and new.origin_id == serving.id and new.visit == 2
    _, to_counter = t.transfer(serving, 60, "n2", counter=5)
    assert to_counter.target_counter == 5 and to_counter.service == "A"


@pytest.mark.parametrize("action", sorted(MOVES))
@pytest.mark.parametrize("status", list(Status))
def test_every_illegal_move_is_refused_with_a_code(action: str, status: Status) -> None:
    sources, _ = MOVES[action]
    w = ticket(status=status)
    if status in sources:
        assert t.check_move(w, action) is MOVES[action][1]
        return
    with pytest.raises(IllegalMove) as info:
        t.check_move(w, action)
    assert info.value.code == f"cannot_{action}_{status.value}"


def test_transfer_needs_a_target() -> None:
    with pytest.raises(IllegalMove):
        t.transfer(t.call(ticket(), 1, 1), 2, "x")


def test_moves_change_only_the_visits_state_which_is_all_the_store_updates() -> None:
    # The store writes a changed visit's VISIT_STATE_FIELDS only: a move that changed another
    # field on the same visit would be lost on disk.
    waiting = ticket(at=5, target_counter=None, card_hash="h", appointment=None)
    called = t.call(waiting, 3, 10, "t03")
    serving = t.start(called, 20)
    skipped = t.skip(called, 30)
    old, new = t.transfer(serving, 60, "new-id", service="C")
    moved = [
        (waiting, called),
        (called, t.recall(called, 15)),
        (called, serving),
        (called, skipped),
        (serving, t.finish(serving, 90, rating=4)),
        (called, t.finish(called, 90)),
        (waiting, t.cancel(waiting, 40)),
        (waiting, t.expire(waiting, 40)),
        (skipped, t.reassign(skipped, 50, front=True, counter=2)),
        (skipped, t.reassign(skipped, 50, front=False)),
        (serving, old),
    ]
    fixed = [f.name for f in fields(Ticket) if f.name not in t.VISIT_STATE_FIELDS]
    for before, after in moved:
        assert [getattr(after, name) for name in fixed] == [getattr(before, name) for name in fixed]
    assert new.id != serving.id  # a transfer's new visit is a new row, written whole
