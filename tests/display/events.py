"""Engine events as the engine sends them (docs/api.md), for the display's pure tests: whole
bodies made by the engine's renderer, parsed as the display parses them (``wire.parse_event``)."""

from __future__ import annotations

from typing import Any

from queue_core import wire
from tests.support import wire as made
from tests.support.wire import iso, queue

__all__ = [
    "announcement",
    "called",
    "counter_updated",
    "help_event",
    "iso",
    "queue",
    "snapshot",
    "ticket",
]

SERVICES: list[wire.ServiceBody] = [
    {"code": c, "name": n, "name_en": e, "waiting": 0, "estimated_wait_s": None, "open": True}
    for c, n, e in (
        ("A", "个人现金业务", "Personal cash"),
        ("B", "个人非现金业务", "Personal non-cash"),
        ("V", "贵宾业务", "VIP banking"),
    )
]


def ticket(
    number: str,
    *,
    tier: str = "normal",
    green: bool = False,
    count: int = 1,
    counter: int | None = None,
) -> wire.TicketBody:
    return made.ticket(number, tier=tier, green=green, count=count, counter=counter)


def called(
    seq: int,
    number: str,
    counter: int,
    at: float,
    *,
    recall: bool = False,
    q: wire.QueueSummary | None = None,
    **kw: Any,
) -> wire.News:
    body = ticket(number, counter=counter, **kw)
    return made.ticket_event(seq, "recalled" if recall else "called", body, at, q)


def ticket_event(
    seq: int, kind: str, number: str, at: float, q: wire.QueueSummary | None = None
) -> wire.News:
    return made.ticket_event(seq, kind, ticket(number), at, q)


def last_call(number: str, counter: int, at: str) -> wire.CallBody:
    """One of the snapshot's recent calls."""
    return {
        "ticket": ticket(number, counter=counter),
        "counter": wire.counter_ref(counter, made.demo()),
        "at": at,
    }


def counter_updated(seq: int, number: int, state: str, reason: str | None = None) -> wire.News:
    return made.counter_event(seq, made.counter_body(number, state, reason=reason))


def announcement(
    seq: int, ident: int, text: str, until: str | None = None, active: bool = True
) -> wire.News:
    body: wire.AnnouncementBody = {"id": ident, "text": text, "until": until, "active": active}
    return made.message(seq, "announcement", dict(body))


def snapshot(
    seq: int,
    at: float,
    *,
    counters: list[wire.CounterBody] | None = None,
    queue: wire.QueueSummary | None = None,
    last_calls: list[wire.CallBody] | None = None,
    help: list[wire.HelpBody] | None = None,
) -> wire.News:
    return made.snapshot(
        seq, at, counters=counters, q=queue, services=SERVICES, last_calls=last_calls, help=help
    )


def help_event(seq: int, body: wire.HelpBody) -> wire.News:
    """A kiosk's call for the lobby manager, or its answer."""
    return made.message(seq, "help", dict(body))
