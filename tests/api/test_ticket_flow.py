"""A teller's day over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from queue_core.client import EngineClient
from tests.api.helpers import error_of, kiosk, lobby, teller
from tests.support.engine import RATING_TOKEN, RunningEngine


def test_issued_ticket_numbers_run_per_service_and_carry_wait(any_engine: RunningEngine) -> None:
    k = kiosk(any_engine)
    teller(any_engine, 2)  # counter 2 serves A only: the A queue has an open counter
    a1, a2, b1 = k.issue("A"), k.issue("A"), k.issue("B")
    assert [a1["number"], a2["number"], b1["number"]] == ["A001", "A002", "B001"]
    assert a1["status"] == "waiting" and a1["ahead"] == 0 and a2["ahead"] == 1
    assert a2["estimated_wait_s"] > a1["estimated_wait_s"] >= 0
    assert b1["estimated_wait_s"] is None  # nobody serves B yet: no honest estimate
    assert datetime.fromisoformat(a1["issued_at"]).utcoffset() is not None


def test_people_ahead_and_the_wait_agree_across_a_shared_counter(engine: RunningEngine) -> None:
    # Counter 4 serves B, D then A; counter 2 serves A only. Five accounts customers (D) do
    # not stand in front of a cash customer while counter 2 is free for them.
    k, lb = kiosk(engine), lobby(engine)
    teller(engine, 2), teller(engine, 4)
    for _ in range(5):
        lb.issue("D")  # the lobby manager, on their behalf (a kiosk allows a few a minute)
    a1 = k.issue("A")
    assert a1["ahead"] == 0 and a1["estimated_wait_s"] == 0
    a2 = k.issue("A")
    assert a2["ahead"] >= 1 and a2["estimated_wait_s"] > 0


def test_call_start_finish_with_rating(any_engine: RunningEngine) -> None:
    k, t3 = kiosk(any_engine), teller(any_engine, 3)
    issued = k.issue("A")
    called = t3.call_next(3)
    assert called is not None
    assert called["number"] == issued["number"] and called["status"] == "called"
    assert called["counter"] == 3 and called["teller"] == "t03"
    assert t3.counter_action(3, "start")["status"] == "serving"
    # The rating is the customer's: never the teller's own, on the finish or after it.
    refused = error_of(t3.counter_action, 3, "finish", {"rating": 5})
    assert (refused.status, refused.code) == (403, "rating_by_customer_only")
    done = t3.counter_action(3, "finish")
    assert done is not None and done["status"] == "finished"
    rated = EngineClient(any_engine.url, RATING_TOKEN).request(
        "POST", f"/tickets/{done['id']}/rating", {"rating": 4}
    )  # counter 3's rating tablet
    assert rated["rating"] == 4
    assert t3.call_next(3) is None  # 204: nobody waits


def test_two_counters_never_get_the_same_ticket(any_engine: RunningEngine) -> None:
    k = kiosk(any_engine)
    tellers = {n: teller(any_engine, n) for n in (1, 2, 3)}
    for _ in range(3):
        k.issue("A")
    got = {n: c.call_next(n) for n, c in tellers.items()}
    numbers = sorted(t["number"] for t in got.values() if t)
    assert numbers == ["A001", "A002", "A003"]


def test_vip_card_raises_tier_and_is_called_first(any_engine: RunningEngine) -> None:
    k, t2 = kiosk(any_engine), teller(any_engine, 2)
    k.issue("A")
    vip = k.issue("A", card="6225882000111222")
    assert vip["tier"] == "diamond"
    assert "card" not in vip and all("6225882000111222" not in str(v) for v in vip.values())
    first = t2.call_next(2)
    assert first is not None and first["number"] == vip["number"]


def test_green_channel_from_lobby_goes_first(any_engine: RunningEngine) -> None:
    k, lb, t2 = kiosk(any_engine), lobby(any_engine), teller(any_engine, 2)
    k.issue("A")
    k.issue("A", card="6225881000000001")  # gold
    elder = lb.issue("A", green_channel=True)
    called = t2.call_next(2)
    assert called is not None and called["number"] == elder["number"]


def test_skip_then_reassign_front_is_next_for_that_counter(any_engine: RunningEngine) -> None:
    k, lb, t2 = kiosk(any_engine), lobby(any_engine), teller(any_engine, 2)
    first = k.issue("A")
    k.issue("A")
    t2.call_next(2)
    assert t2.counter_action(2, "skip")["status"] == "skipped"
    err = error_of(lb.request, "POST", f"/tickets/{first['id']}/reassign", {"position": "x"})
    assert err.status == 422
    back = lb.request("POST", f"/tickets/{first['id']}/reassign", {"position": "front"})
    assert back["status"] == "waiting"
    again = t2.call_next(2)
    assert again is not None and again["number"] == first["number"]
    again_err = error_of(
        lb.request, "POST", f"/tickets/{first['id']}/reassign", {"position": "front"}
    )
    assert again_err.status == 409


#: The public ticket's fields in the v1 contract (the engine adds the phone page's).
API_PUBLIC = ("number", "service", "status", "ahead", "estimated_wait_s", "counter")


def test_transfer_keeps_number_and_issue_time(any_engine: RunningEngine) -> None:
    k, t3, t5 = kiosk(any_engine), teller(any_engine, 3), teller(any_engine, 5)
    issued = k.issue("A")
    t3.call_next(3)
    new = t3.counter_action(3, "transfer", {"service": "C"})
    assert new["number"] == issued["number"] and new["service"] == "C"
    assert new["issued_at"] == issued["issued_at"] and new["status"] == "waiting"
    assert new["origin_id"] == issued["id"] and new["visit"] == 2
    old = lobby(any_engine).ticket(issued["id"])
    assert old["status"] == "transferred"
    called = t5.call_next(5)
    assert called is not None and called["id"] == new["id"]
    # The QR code on the paper ticket follows the customer to the new visit.
    public = k.public_ticket(issued["id"])
    assert {key: public[key] for key in API_PUBLIC} == {
        "number": issued["number"],
        "service": "C",
        "status": "called",
        "ahead": None,
        "estimated_wait_s": None,
        "counter": 5,
    }
    assert public["estimated_wait_range_s"] is None
    assert (public["counter_name"], public["final"]) == ("5号窗口", False)


def test_counter_states_and_refusals(any_engine: RunningEngine) -> None:
    t4 = teller(any_engine, 4, open_counter=False)
    assert error_of(t4.call_next, 4).code == "counter_closed"
    t4.counter_action(4, "open")
    paused = t4.counter_action(4, "pause", {"reason": "午休"})
    assert paused["state"] == "paused" and paused["paused_reason"] == "午休"
    assert error_of(t4.call_next, 4).code == "counter_paused"
    assert error_of(t4.counter_action, 4, "pause").status == 409
    assert t4.counter_action(4, "resume")["state"] == "open"
    err = error_of(t4.counter_action, 4, "finish")
    assert (err.status, err.code) == (409, "no_current_ticket")
    states = {c["number"]: c["state"] for c in t4.counters()}
    assert states[4] == "open" and states[5] == "closed"


def test_queue_lists_in_call_order_and_lobby_moves_and_cancels(any_engine: RunningEngine) -> None:
    k, lb = kiosk(any_engine), lobby(any_engine)
    teller(any_engine, 1)
    a1 = k.issue("A")
    k.issue("A")
    gold = k.issue("A", card="6225881000000001")
    q = {s["code"]: s["waiting"] for s in lb.queue()["services"]}
    assert [t["number"] for t in q["A"]] == [gold["number"], "A001", "A002"]
    assert [t["ahead"] for t in q["A"]] == [0, 1, 2]
    moved = lb.request("POST", f"/tickets/{a1['id']}/move", {"service": "B"})
    assert moved["service"] == "B" and moved["number"] == "A001"
    cancelled = lb.request("POST", f"/tickets/{moved['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    services = {s["code"]: s for s in lb.services()}
    assert services["A"]["waiting"] == 2 and services["B"]["waiting"] == 0


def test_call_a_given_number(any_engine: RunningEngine) -> None:
    k, t2 = kiosk(any_engine), teller(any_engine, 2)
    k.issue("A")
    second = k.issue("A")
    called = t2.counter_action(2, "call", {"number": second["number"]})
    assert called is not None and called["id"] == second["id"]
    recalled = t2.counter_action(2, "recall")
    assert recalled is not None and recalled["call_count"] == 2
    t2.counter_action(2, "finish")
    assert error_of(t2.counter_action, 2, "call", {"number": "B001"}).status == 404


def test_lobby_lists_the_days_skipped_tickets(any_engine: RunningEngine) -> None:
    k, lb, t2 = kiosk(any_engine), lobby(any_engine), teller(any_engine, 2)
    k.issue("A")
    k.issue("A")
    t2.call_next(2)
    t2.counter_action(2, "skip")
    skipped = lb.request("GET", "/tickets", params={"status": "skipped"})
    assert [t["number"] for t in skipped] == ["A001"]
    assert len(lb.request("GET", "/tickets")) == 2
    me = t2.request("GET", "/auth/me")
    assert (me["login"], me["name"], me["counter"]) == ("t02", "李娜", 2)
