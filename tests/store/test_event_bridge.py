"""The PostgreSQL event bridge: this process's commits reach its hub without a read of the log,
another process's commits are read from the log; either way in order and once."""

from __future__ import annotations

import asyncio
import time

import pytest

from queue_core.events.hub import EventHub
from queue_core.events.pgnotify import EventBridge
from queue_core.store import Store
from tests.support.postgres import PostgresServer


def _commit(store: Store, n: int, publish: bool, bridge: EventBridge) -> None:
    with store.write() as tx:
        tx.append("test.event", 0.0, {"n": n})
    if publish:  # after the commit, as the runner does
        bridge.offer(tx.events)


@pytest.mark.postgres
def test_own_commits_skip_the_read_and_others_are_read(postgres: PostgresServer) -> None:
    url = postgres.create_database(f"bridge_{int(time.time() * 1000)}")
    here, elsewhere = Store(url), Store(url)
    hub = EventHub(str)
    bridge = EventBridge(here, hub, poll_s=3600)  # no polling: only notifications count
    here.committing = bridge.expect

    async def run() -> tuple[list[int], int, int]:
        hub.bind(asyncio.get_running_loop())
        sub = hub.subscribe("test", "display")
        await bridge.start()
        try:
            for _ in range(100):  # listening, and the start-up catch-up read done
                if bridge.listening and bridge.reads:
                    break
                await asyncio.sleep(0.05)
            reads_before = bridge.reads
            for n in range(10):
                await asyncio.to_thread(_commit, here, n, True, bridge)
            await _settle(bridge, 10)
            own_reads = bridge.reads - reads_before
            for n in range(10, 13):
                await asyncio.to_thread(_commit, elsewhere, n, False, bridge)
            await _settle(bridge, 13)
            got = [m.seq for m in sub.held]  # not live yet: the hub holds what it was given
            return got, own_reads, bridge.reads - reads_before - own_reads
        finally:
            await bridge.stop()

    try:
        seqs, own_reads, other_reads = asyncio.run(run())
    finally:
        here.dispose()
        elsewhere.dispose()
    assert seqs == list(range(1, 14))
    # Without the seq in the payload every own commit was read back; without ``expect`` the
    # notifications that beat their commit's short cut to the loop were.
    assert own_reads == 0
    assert other_reads >= 1


async def _settle(bridge: EventBridge, last: int) -> None:
    for _ in range(200):
        if bridge.last >= last:
            await asyncio.sleep(0.2)  # let the late notifications arrive too
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"bridge stopped at seq {bridge.last}, wanted {last}")


@pytest.mark.postgres
def test_a_process_with_no_stream_reads_nothing_and_a_stream_opened_later_gets_what_follows(
    postgres: PostgresServer,
) -> None:
    """``serve --workers N``: a worker nobody follows the hall on costs no read of the log per
    commit of the writer (a read each on 2 cores made three workers slower than one)."""
    url = postgres.create_database(f"bridge_{int(time.time() * 1000)}")
    here, elsewhere = Store(url), Store(url)
    hub = EventHub(str)
    bridge = EventBridge(here, hub, poll_s=3600, wanted=lambda: bool(hub.subscribers))

    async def run() -> tuple[int, int, list[int]]:
        hub.bind(asyncio.get_running_loop())
        await bridge.start()
        try:
            for _ in range(100):
                if bridge.listening and bridge.reads:
                    break
                await asyncio.sleep(0.05)
            reads_before = bridge.reads
            for n in range(10):
                await asyncio.to_thread(_commit, elsewhere, n, False, bridge)
            await _settle(bridge, 10)
            idle_reads = bridge.reads - reads_before
            sub = hub.subscribe("test", "display")
            for n in range(10, 13):
                await asyncio.to_thread(_commit, elsewhere, n, False, bridge)
            await _settle(bridge, 13)
            return idle_reads, bridge.skipped, [m.seq for m in sub.held]
        finally:
            await bridge.stop()

    try:
        idle_reads, skipped, seqs = asyncio.run(run())
    finally:
        here.dispose()
        elsewhere.dispose()
    assert idle_reads == 0
    assert skipped == 10
    # The stream opened after seq 10 (its own catch-up reads the log up to there): it gets
    # every event after it, in order, once.
    assert seqs == [11, 12, 13]
