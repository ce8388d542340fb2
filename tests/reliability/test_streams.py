"""A display whose link drops misses no call; a subscriber that stops reading is cut without
slowing the others. ``bench/reliability.py streams`` runs the minute-long outage."""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability.streams import display_outage, stalled_subscriber
from tests.support.engine import RunningEngine


def test_display_cut_off_for_a_while_misses_no_call(engine: RunningEngine) -> None:
    outage = asyncio.run(display_outage(engine, seconds=4, calls=8))
    assert outage.offline_seen
    assert outage.calls_seen == outage.calls_made
    assert outage.seq_gaps == []
    assert outage.snapshots == 1  # only the first connection's; the reconnection replays


@pytest.mark.slow
def test_a_subscriber_that_stops_reading_is_cut_and_the_others_keep_up(
    engine: RunningEngine,
) -> None:
    # The hub drops a stream whose connection holds over 1 MB unsent, after the kernel's own
    # buffers (up to 4 MB, tcp_wmem): a close frame cannot reach a reader whose buffers are
    # full, so the connection is simply ended. The keepalive closes a reader that answers no
    # ping within 10 + 20 s (1011). Whichever comes first, the stream ends and the others
    # never wait.
    result = asyncio.run(stalled_subscriber(engine, events=4000, fast=3))
    assert result.ended
    assert result.cut_code in (None, 4008, 1011)
    assert result.stalled_received < 4000
    assert result.fast_missed == 0
    assert len(result.fast_latency_ms) == 3 * 4000
