"""When "you're next" and "you're called" are due."""

from __future__ import annotations

from queue_core.domain.notices import Notice, Seen, due


def test_near_once_then_called_at_each_call_and_near_again_after_a_reassign() -> None:
    seen = Seen()
    steps = [
        ("waiting", 6, 0, []),
        ("waiting", 3, 0, [Notice.NEAR]),
        ("waiting", 2, 0, []),
        ("called", None, 1, [Notice.CALLED]),
        ("called", None, 1, []),
        ("called", None, 2, [Notice.CALLED]),  # recalled: not here yet
        ("skipped", None, 2, []),
        ("waiting", 0, 2, [Notice.NEAR]),  # the lobby put the number back
        ("called", None, 3, [Notice.CALLED]),
        ("finished", None, 3, []),
    ]
    for status, ahead, calls, want in steps:
        seen, got = due(seen, status, ahead, calls, expired=False, threshold=3)
        assert got == want, (status, ahead, calls)


def test_nothing_for_an_expired_ticket_and_threshold_zero_means_only_when_next() -> None:
    assert due(Seen(), "waiting", 0, 0, expired=True, threshold=3) == (Seen(), [])
    assert due(Seen(), "waiting", 1, 0, expired=False, threshold=0)[1] == []
    assert due(Seen(), "waiting", 0, 0, expired=False, threshold=0)[1] == [Notice.NEAR]
