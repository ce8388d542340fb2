"""The event hub: every subscriber gets every event once, in seq order, however many there
are; one that falls behind is let go of at once; a stream dies with its staff session."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from queue_core.events import hub as hub_module
from queue_core.events.hub import (
    QUEUE_LIMIT,
    SESSION_ENDED,
    SLICE,
    TOO_SLOW,
    EventHub,
    Outgoing,
    text_frame,
)
from queue_core.store import Event


class Recorder:
    """A sink that keeps what it was given; ``room`` events before it says it is too slow."""

    def __init__(self, room: int | None = None) -> None:
        self.seqs: list[int] = []
        self.room = room
        self.dropped: int | None = None

    def take(self, messages: Sequence[Outgoing]) -> bool:
        self.seqs.extend(m.seq for m in messages)
        return self.room is None or len(self.seqs) <= self.room

    def drop(self, code: int, reason: str) -> None:
        self.dropped = code


def _events(first: int, count: int) -> list[Event]:
    return [Event(s, "ticket.called", 0.0, {"n": s}) for s in range(first, first + count)]


async def _settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


def test_every_subscriber_gets_every_batch_in_order_across_slices() -> None:
    async def run() -> list[Recorder]:
        hub = EventHub(str)
        hub.bind(asyncio.get_running_loop())
        sinks = [Recorder() for _ in range(3 * SLICE + 7)]
        for i, sink in enumerate(sinks):
            hub.go_live(hub.subscribe(f"display-{i}", "display"), sink, 0)
        seq = 1
        for size in (2, 1, 3, 2):  # batches arriving while the previous ones are handed out
            hub.deliver(_events(seq, size))
            seq += size
        await _settle()
        return sinks

    sinks = asyncio.run(run())
    assert all(sink.seqs == list(range(1, 9)) for sink in sinks)


def test_fan_out_yields_to_the_loop_between_slices() -> None:
    async def run() -> tuple[int, int]:
        hub = EventHub(str)
        hub.bind(asyncio.get_running_loop())
        sinks = [Recorder() for _ in range(4 * SLICE)]
        for i, sink in enumerate(sinks):
            hub.go_live(hub.subscribe(f"phone-{i}", "display"), sink, 0)
        hub.deliver(_events(1, 2))
        served_at_once = sum(1 for s in sinks if s.seqs)
        await _settle()
        return served_at_once, sum(1 for s in sinks if s.seqs)

    at_once, finally_served = asyncio.run(run())
    assert at_once == SLICE  # an HTTP request waiting on the loop runs after one slice
    assert finally_served == 4 * SLICE


def test_a_subscriber_that_falls_behind_is_let_go_at_once() -> None:
    async def run() -> tuple[EventHub, Recorder, Recorder, bool]:
        hub = EventHub(str)
        hub.bind(asyncio.get_running_loop())
        slow, fast = Recorder(room=2), Recorder()
        slow_sub = hub.subscribe("display-slow", "display")
        hub.go_live(slow_sub, slow, 0)
        hub.go_live(hub.subscribe("display-fast", "display"), fast, 0)
        for seq in range(1, 6):
            hub.deliver(_events(seq, 1))
        await _settle()
        return hub, slow, fast, slow_sub.ended.is_set()

    hub, slow, fast, ended = asyncio.run(run())
    assert slow.dropped == TOO_SLOW and ended
    assert slow.seqs == [1, 2, 3]  # nothing more after the cut
    assert [s.name for s in hub.subscribers] == ["display-fast"]  # not held until it closes
    assert fast.seqs == [1, 2, 3, 4, 5]
    assert hub.cut == 1


def test_events_wait_while_a_stream_catches_up_and_only_the_newer_are_sent() -> None:
    async def run() -> Recorder:
        hub = EventHub(str)
        hub.bind(asyncio.get_running_loop())
        sub = hub.subscribe("display", "display")
        hub.deliver(_events(10, 3))  # arrive while the stream replays from the log
        await _settle()
        sink = Recorder()
        hub.go_live(sub, sink, 11)  # the replay reached seq 11
        hub.deliver(_events(13, 1))
        await _settle()
        return sink

    assert asyncio.run(run()).seqs == [12, 13]


def test_a_stream_too_long_in_catch_up_is_cut_and_its_backlog_freed() -> None:
    async def run() -> tuple[EventHub, bool, int]:
        hub = EventHub(str)
        hub.bind(asyncio.get_running_loop())
        sub = hub.subscribe("display", "display")
        hub.deliver(_events(1, QUEUE_LIMIT + 1))
        await _settle()
        return hub, sub.ended.is_set(), len(sub.held)

    hub, ended, held = asyncio.run(run())
    assert ended and held == 0 and not hub.subscribers


def test_a_logout_ends_the_streams_of_that_session_only() -> None:
    async def run() -> tuple[Recorder, Recorder, Recorder]:
        hub = EventHub(str)
        hub.bind(asyncio.get_running_loop())
        gone, other, device = Recorder(), Recorder(), Recorder()
        hub.go_live(hub.subscribe("t03", "teller", "session-a"), gone, 0)
        hub.go_live(hub.subscribe("t04", "teller", "session-b"), other, 0)
        hub.go_live(hub.subscribe("display", "display"), device, 0)
        await asyncio.to_thread(hub.session_ended, "session-a")  # logouts run in a thread
        await _settle()
        hub.deliver(_events(1, 1))
        await _settle()
        return gone, other, device

    gone, other, device = asyncio.run(run())
    assert gone.dropped == SESSION_ENDED and gone.seqs == []
    assert other.seqs == [1] and device.seqs == [1]


def test_an_event_is_framed_once_as_a_server_frame() -> None:
    small = text_frame(b"x" * 125)
    assert small[:2] == bytes([0x81, 125])
    medium = text_frame(b"x" * 300)
    assert medium[:4] == bytes([0x81, 126, 1, 44])
    large = text_frame(b"x" * 70000)
    assert large[:2] == bytes([0x81, 127]) and int.from_bytes(large[2:10], "big") == 70000
    event = Event(7, "ticket.called", 0.0, {"ticket": {"number": "A012"}})
    out = Outgoing.of(event, lambda at: "T")
    assert out.frame[2:] == out.text.encode()
    assert out.text == hub_module.encode(event, lambda at: "T")


def test_memory_goes_back_once_the_last_of_many_leaving_streams_has_gone() -> None:
    async def run() -> tuple[list[int], list[int]]:
        loop = asyncio.get_running_loop()
        now = [1000.0]
        loop.time = lambda: now[0]  # type: ignore[method-assign]  # the loop's clock, moved by hand

        async def later(seconds: float) -> None:
            now[0] += seconds
            await _settle()  # the loop runs the timers now due

        trims: list[int] = []
        hub = EventHub(str, release_memory=lambda: trims.append(len(hub.subscribers)))
        hub.bind(loop)
        subs = [hub.subscribe(f"phone-{i}", "display") for i in range(hub_module.TRIM_AFTER)]
        for sub in subs[:150]:  # past half of the peak: a trim is due...
            hub.unsubscribe(sub)
        for sub in subs[150:]:  # ...but streams keep leaving, for longer than its delay
            await later(hub_module.TRIM_DELAY_S / 4)
            hub.unsubscribe(sub)
        await later(hub_module.TRIM_DELAY_S * 1.5)
        first = list(trims)
        for sub in [hub.subscribe(f"display-{i}", "display") for i in range(10)]:
            hub.unsubscribe(sub)  # a few streams: nothing worth giving back
        await later(hub_module.TRIM_DELAY_S * 2)
        return first, trims

    first, trims = asyncio.run(run())
    assert first == [0]  # once, after the last of them had gone
    assert trims == [0]
