"""A ticket counts only once printed: the kiosk's print-failed holds it, the lobby reprints,
releases or cancels it; over real HTTP and the real event stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from queue_core.client import events_url
from tests.api.helpers import error_of, kiosk, lobby, teller
from tests.support.engine import DISPLAY_TOKEN, RunningEngine


def _events_since(engine: RunningEngine, since: int) -> list[dict[str, Any]]:
    """The events after ``since``, replayed (the engine keeps them), until the stream idles."""

    async def read() -> list[dict[str, Any]]:
        out = []
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, since)) as ws:
            while True:
                try:
                    out.append(json.loads(await asyncio.wait_for(ws.recv(), 2.0)))
                except TimeoutError:
                    return out

    return asyncio.run(read())


def _last_seq(engine: RunningEngine) -> int:
    async def read() -> int:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
            return int(json.loads(await asyncio.wait_for(ws.recv(), 10.0))["seq"])

    return asyncio.run(read())


def test_a_ticket_whose_print_failed_is_held_not_called_nor_counted(
    any_engine: RunningEngine,
) -> None:
    k, lb, t2 = kiosk(any_engine), lobby(any_engine), teller(any_engine, 2)
    since = _last_seq(any_engine)
    lost = k.issue("A")
    assert lost["held"] is False and lost["issued_by"] == "kiosk-1"
    held = k.request("POST", f"/tickets/{lost['id']}/print-failed", {"code": "paper_out"})
    assert held["status"] == "waiting" and held["held"] is True
    assert held["held_reason"] == "paper_out" and held["held_at"] is not None
    assert held["ahead"] is None and held["estimated_wait_s"] is None
    # Nobody holds A001's paper: the next customer is not behind it, and nobody calls it.
    after = k.issue("A")
    assert after["ahead"] == 0
    services = {s["code"]: s for s in k.request("GET", "/services")}
    assert services["A"]["waiting"] == 1
    queue = {s["code"]: s for s in lb.request("GET", "/queue")["services"]}
    assert [t["number"] for t in queue["A"]["waiting"]] == [after["number"]]
    assert [t["number"] for t in queue["A"]["held"]] == [lost["number"]]
    refused = error_of(t2.request, "POST", "/counters/2/call", {"number": lost["number"]})
    assert (refused.status, refused.code) == (409, "cannot_call_held")
    assert lb.request("GET", f"/tickets/{lost['id']}/public")["held"] is True
    # The lobby lets it back in: at its own place, before the later ticket.
    back = lb.request("POST", f"/tickets/{lost['id']}/release")
    assert back["held"] is False and back["ahead"] == 0
    called = t2.call_next(2)
    assert called is not None and called["number"] == lost["number"]
    kinds = [(e["type"], e["data"].get("reason")) for e in _events_since(any_engine, since)]
    assert ("ticket.held", "paper_out") in kinds and ("ticket.released", "lobby") in kinds
    held_event = next(e for e in _events_since(any_engine, since) if e["type"] == "ticket.held")
    assert held_event["data"]["queue"]["A"]["waiting"] == 0
    assert held_event["data"]["ticket"]["held"] is True


def test_reprint_goes_to_the_issuing_kiosk_and_a_printed_report_releases(
    engine: RunningEngine,
) -> None:
    k, lb = kiosk(engine), lobby(engine)
    t = k.issue("B")
    k.request("POST", f"/tickets/{t['id']}/print-failed", {"code": "cover_open"})
    since = _last_seq(engine)
    asked = lb.request("POST", f"/tickets/{t['id']}/reprint", {})
    assert asked["held"] is True  # held until the kiosk says it printed
    (reprint,) = [e for e in _events_since(engine, since) if e["type"] == "ticket.reprint"]
    assert reprint["data"]["kiosk"] == "kiosk-1"
    assert reprint["data"]["ticket"]["number"] == t["number"]
    assert reprint["data"]["ticket"]["ahead"] == 0  # printed with its place back in line
    elsewhere = lb.request("POST", f"/tickets/{t['id']}/reprint", {"kiosk": "kiosk-2"})
    assert elsewhere["held"] is True
    released = k.request("POST", f"/tickets/{t['id']}/printed")
    assert released["held"] is False
    again = k.request("POST", f"/tickets/{t['id']}/printed")  # nothing more to release
    assert again["held"] is False
    kinds = [(e["type"], e["data"].get("reason")) for e in _events_since(engine, since)]
    assert kinds.count(("ticket.released", "printed")) == 1


def test_lobby_cancels_a_held_ticket_and_refusals_say_why(engine: RunningEngine) -> None:
    k, lb, t2 = kiosk(engine), lobby(engine), teller(engine, 2)
    t = k.issue("A")
    bad = error_of(k.request, "POST", f"/tickets/{t['id']}/print-failed", {"code": "Paper Out"})
    assert bad.status == 422
    assert error_of(lb.request, "POST", f"/tickets/{t['id']}/release").code == "not_held"
    unknown = error_of(lb.request, "POST", f"/tickets/{t['id']}/reprint", {"kiosk": "nope"})
    assert (unknown.status, unknown.code) == (422, "unknown_kiosk")
    assert error_of(k.request, "POST", f"/tickets/{t['id']}/release").status == 403
    assert error_of(k.request, "POST", "/tickets/nope/print-failed", {"code": "x"}).status == 404
    k.request("POST", f"/tickets/{t['id']}/print-failed", {"code": "offline"})
    assert lb.request("POST", f"/tickets/{t['id']}/cancel")["status"] == "cancelled"
    assert t2.call_next(2) is None
    # A report that comes after the call changes nothing: the customer was there.
    late = k.issue("A")
    assert t2.call_next(2) is not None
    still = k.request("POST", f"/tickets/{late['id']}/print-failed", {"code": "offline"})
    assert (still["status"], still["held"]) == ("called", False)
    staff_issued = lb.issue("A")
    lb.request("POST", f"/tickets/{staff_issued['id']}/print-failed", {"code": "offline"})
    refused = error_of(lb.request, "POST", f"/tickets/{staff_issued['id']}/reprint", {})
    assert refused.code == "kiosk_required"
