"""Counter stretches (open, paused) from the log of counter changes, clipped to the day."""

from __future__ import annotations

from queue_core.domain.figures import CounterSpan, counter_spans


def test_spans_follow_changes_and_clip_to_the_day() -> None:
    changes = [
        (50.0, 3, "open", "t03"),  # opened before the day began: counts from its start
        (200.0, 3, "paused", "t03"),
        (260.0, 3, "open", "t03"),
        (300.0, 3, "open", "t03"),  # a repeat of the same state changes nothing
        (400.0, 3, "closed", None),
        (150.0, 5, "open", "t05"),
    ]
    spans = counter_spans(sorted(changes), start=100.0, end=1000.0)
    assert spans == [
        CounterSpan(3, "open", 100.0, 200.0, "t03"),
        CounterSpan(3, "paused", 200.0, 260.0, "t03"),
        CounterSpan(3, "open", 260.0, 400.0, "t03"),
        CounterSpan(5, "open", 150.0, 1000.0, "t05"),
    ]
