"""The phone pages' feed: many tickets' public state in one pass, and the watch that pushes a
page only what changed, coalescing bursts, with limits on open pages."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_core.config import load_config
from queue_core.events.hub import EventHub
from queue_core.events.watch import TicketWatch, TooManyWatchers
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.counters import CallNext, Finish, MoveCounter
from queue_core.usecases.day import StartDay
from queue_core.usecases.tickets import IssueTicket, MoveTicket
from queue_core.wire import iso


class Clock:
    def __init__(self) -> None:
        self.now = 1_763_020_800.0  # 2025-11-13 16:00 in Shanghai

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    found = Store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        yield found
    finally:
        found.dispose()


def test_public_states_follow_transfers_and_expire_with_the_business_day(store: Store) -> None:
    clock = Clock()
    branch = Branch(load_config(), store, b"k" * 32, clock=clock)
    run = branch.execute_sync
    run(MoveCounter(3, "open", "t03"))
    first = run(IssueTicket("kiosk-1", "A")).body
    second = run(IssueTicket("kiosk-1", "A")).body
    moved = run(IssueTicket("kiosk-1", "A")).body
    run(MoveTicket(moved["id"], "B"))  # a new visit: the QR code's id still finds it
    states = branch.reads.public_many([first["id"], second["id"], moved["id"], "unknown"])
    assert set(states) == {first["id"], second["id"], moved["id"]}
    assert [states[t["id"]]["ahead"] for t in (first, second)] == [0, 1]
    assert states[moved["id"]]["service"] == "B" and states[moved["id"]]["number"] == "A003"
    assert states[first["id"]] | {"estimated_wait_s": None} == branch.reads.public(first["id"]) | {
        "estimated_wait_s": None
    }
    run(CallNext(3, "t03"))
    called = branch.reads.public_many([first["id"]])[first["id"]]
    assert (called["status"], called["counter"], called["counter_name"]) == ("called", 3, "3号窗口")

    clock.now += 18 * 3600  # the next morning, before the engine voided yesterday's tickets
    assert all(s["expired"] for s in branch.reads.public_many([first["id"], second["id"]]).values())
    run(StartDay())
    after = branch.reads.public_many([second["id"]])[second["id"]]
    assert (after["status"], after["expired"]) == ("cancelled", True)
    branch.stop()


def test_the_watch_sends_each_page_its_newest_state_and_coalesces_bursts(store: Store) -> None:
    async def scenario() -> None:
        config = load_config()
        hub = EventHub(functools.partial(iso, tz=config.zone))  # type: ignore[arg-type]
        hub.bind(asyncio.get_running_loop())
        branch = Branch(config, store, b"k" * 32, publish=hub.publish)
        computed: list[int] = []

        async def compute(ids: list[str]) -> dict[str, dict[str, object]]:
            computed.append(len(ids))
            return await asyncio.to_thread(branch.reads.public_many, ids)

        watch = TicketWatch(hub, compute, max_pages=3, max_per_ticket=2)
        watch.start()
        try:
            await branch.execute(MoveCounter(3, "open", "t03"))
            tickets = [(await branch.execute(IssueTicket("kiosk-1", "A"))).body for _ in range(12)]
            last = tickets[-1]["id"]
            assert (await watch.open("unknown"))[1] is None
            page, now = await watch.open(last)
            twin, _ = await watch.open(last)
            assert now is not None and '"ahead":11' in now
            with pytest.raises(TooManyWatchers) as per_ticket:
                await watch.open(last)
            assert per_ticket.value.per_ticket
            other, _ = await watch.open(tickets[0]["id"])
            with pytest.raises(TooManyWatchers) as engine_wide:
                await watch.open(tickets[1]["id"])
            assert not engine_wide.value.per_ticket

            passes = watch.passes
            for _ in range(10):  # a burst of calls while the page does not read
                await branch.execute(CallNext(3, "t03"))
                await branch.execute(Finish(3))
            for watcher in (page, twin):  # each ends on the newest state, read or not
                reads = [await asyncio.wait_for(watcher.next(), 5)]
                while '"ahead":1,' not in reads[-1]:
                    reads.append(await asyncio.wait_for(watcher.next(), 5))
                assert len(reads) <= 20
            # 20 writes: far fewer passes than events, each for the watched tickets only.
            assert watch.passes - passes <= 20
            assert max(computed[1:]) <= 2
            watch.close(page)
            watch.close(twin)
            watch.close(other)
            assert watch.pages == 0 and watch.watchers == {}
        finally:
            await watch.stop()
            branch.stop()

    asyncio.run(scenario())


def test_a_page_opening_during_a_pass_gets_the_later_state() -> None:
    """The first state of a page is computed while a pass (after a call) runs: whichever
    computation started later wins, so the page never starts on a state older than the hall."""

    async def scenario() -> None:
        hall: dict[str, dict[str, object]] = {"t1": {"ahead": 3}}
        release = asyncio.Event()
        calls = [0]

        async def compute(ids: list[str]) -> dict[str, dict[str, object]]:
            snapshot = {i: dict(hall[i]) for i in ids if i in hall}
            calls[0] += 1
            if calls[0] == 1:  # the page's own computation, slow
                await release.wait()
            return snapshot

        watch = TicketWatch(EventHub(str), compute)  # the hub is not started: passes by hand
        opening = asyncio.create_task(watch.open("t1"))
        await asyncio.sleep(0)
        hall["t1"] = {"ahead": 2}  # a call meanwhile, and the pass after it
        await watch.refresh()
        release.set()
        watcher, state = await opening
        assert state == '{"ahead":2}'
        hall["t1"] = {"ahead": 1}
        await watch.refresh()
        assert await asyncio.wait_for(watcher.next(), 1) == '{"ahead":1}'

    asyncio.run(scenario())


def test_the_called_tickets_page_hears_at_once_the_others_at_the_next_full_pass(
    store: Store,
) -> None:
    """With many pages open every call changes every page; the page of the ticket an event is
    about is computed at once, the others together at most once per ``min_pass_s``."""

    async def scenario() -> None:
        config = load_config()
        hub = EventHub(functools.partial(iso, tz=config.zone))  # type: ignore[arg-type]
        hub.bind(asyncio.get_running_loop())
        branch = Branch(config, store, b"k" * 32, publish=hub.publish)

        async def compute(ids: list[str]) -> dict[str, dict[str, object]]:
            return dict(await asyncio.to_thread(branch.reads.public_many, ids))

        watch = TicketWatch(hub, compute, min_pass_s=3600)
        watch.start()
        try:
            await branch.execute(MoveCounter(3, "open", "t03"))
            first, *_, last = [
                (await branch.execute(IssueTicket("kiosk-1", "A"))).body for _ in range(5)
            ]
            called_page, _ = await watch.open(first["id"])
            waiting_page, state = await watch.open(last["id"])
            assert '"ahead":4' in state
            await branch.execute(IssueTicket("kiosk-1", "B"))  # the first full pass: at once
            while watch.passes == 0:
                await asyncio.sleep(0.01)
            passes = watch.passes

            await branch.execute(CallNext(3, "t03"))
            state = await asyncio.wait_for(called_page.next(), 10)
            assert '"status":"called"' in state and '"counter":3' in state
            assert watch.passes == passes and watch.direct_passes >= 1
            assert waiting_page.pending is None  # its one fewer ahead waits for the full pass
            await watch.refresh()
            assert '"ahead":3' in await asyncio.wait_for(waiting_page.next(), 10)
        finally:
            await watch.stop()
            branch.stop()

    asyncio.run(scenario())
