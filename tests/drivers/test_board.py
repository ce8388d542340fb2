"""What signs and keypads show for the engine's events, and what key presses ask for."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from drivers.serial.board import Board
from drivers.serial.keypad import CounterAction, RateTicket, Refused
from drivers.serial.layout import BusLayout
from drivers.serial.messages import KeyCode, KeypadShow, ShowText
from drivers.serial.sign import columns_of, fit
from queue_core import wire
from tests.support import wire as made
from tests.support.engine import DEMO_CONFIG

K = KeyCode


def demo_branch(**signs: Any) -> dict[str, Any]:
    """``GET /branch`` of the demo branch, as far as the bus needs it."""
    config = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))
    return {"services": config["services"], "counters": config["counters"], "signs": signs}


def ticket(number: str, counter: int | None = 3, status: str = "called") -> wire.TicketBody:
    return made.ticket(number, counter=counter, status=status)


def counter(
    number: int, state: str = "open", current: wire.TicketBody | None = None
) -> wire.CounterBody:
    return made.counter_body(number, state, current)


def _queue(waiting: dict[str, int]) -> wire.QueueSummary:
    return {c: {"waiting": n, "estimated_wait_s": None, "next": []} for c, n in waiting.items()}


QUEUE = _queue({"A": 4, "B": 2, "C": 9})


def event(kind: str, **data: Any) -> wire.News:
    """An event as the engine sends it; a ticket event's queue is ``QUEUE`` unless given."""
    if kind == "snapshot":
        return made.snapshot(1, counters=data["counters"], q=data["queue"])
    if kind == "counter.updated":
        return made.counter_event(1, data["counter"])
    if kind == "device.updated":
        device = data["device"]
        return made.device_event(1, device["name"], device["detail"], device.get("status", "ok"))
    extra = {}
    if "counter" in data:
        extra["counter"] = wire.counter_ref(data["counter"]["number"], made.demo())
    q = data.get("queue", QUEUE)
    return made.ticket_event(1, kind.removeprefix("ticket."), data["ticket"], q=q, **extra)


@pytest.fixture
def board() -> Board:
    board = Board(BusLayout.from_branch(demo_branch()))
    snapshot = {"counters": [counter(n) for n in range(1, 9)], "queue": QUEUE}
    board.apply(event("snapshot", **snapshot))
    return board


def test_a_snapshot_puts_the_welcome_text_on_every_sign_and_counts_on_keypads() -> None:
    board = Board(BusLayout.from_branch(demo_branch()))
    counters = [counter(n) for n in range(1, 9)]
    counters[4] = counter(5, "paused")
    counters[2] = counter(3, current=ticket("A012"))
    out = board.apply(event("snapshot", counters=counters, queue=QUEUE))
    signs = {m.address: m.text for m in out if isinstance(m, ShowText)}
    assert signs[1] == "欢迎光临" and signs[5] == "暂停服务" and signs[3] == "A012"
    assert all(m.flash_s == 0 for m in out if isinstance(m, ShowText))
    keypads = {m.address: (m.number, m.waiting) for m in out if isinstance(m, KeypadShow)}
    assert keypads[103] == ("A012", 6)  # counter 3 serves A and B: 4 + 2
    assert keypads[105] == ("", 9)


def test_a_call_flashes_the_number_on_that_counters_sign_only(board: Board) -> None:
    out = board.apply(
        event("ticket.called", ticket=ticket("A012"), counter={"number": 3, "name": "3号窗口"})
    )
    assert ShowText(3, "A012", 6) in out
    assert [m.address for m in out if isinstance(m, ShowText)] == [3]
    assert KeypadShow(103, "A012", 6) in out


def test_a_recall_flashes_again_and_a_repeated_state_sends_nothing(board: Board) -> None:
    called = ticket("A012")
    board.apply(event("ticket.called", ticket=called, counter={"number": 3}))
    assert board.apply(event("counter.updated", counter=counter(3, current=called))) == []
    again = board.apply(event("ticket.recalled", ticket=called, counter={"number": 3}))
    assert again == [ShowText(3, "A012", 6)]


def test_pause_shows_the_pause_text_and_resume_brings_back_the_number(board: Board) -> None:
    called = ticket("B004", counter=4)
    board.apply(event("ticket.called", ticket=called, counter={"number": 4}))
    out = board.apply(event("counter.updated", counter=counter(4, "paused", called)))
    assert out == [ShowText(4, "暂停服务", 0)]
    out = board.apply(event("counter.updated", counter=counter(4, "open", called)))
    assert out == [ShowText(4, "B004", 0)]


def test_finishing_shows_the_welcome_text_again(board: Board) -> None:
    called = ticket("A012")
    board.apply(event("ticket.called", ticket=called, counter={"number": 3}))
    out = board.apply(event("ticket.finished", ticket=ticket("A012", status="finished")))
    assert ShowText(3, "欢迎光临", 0) in out


def test_a_ticket_issued_updates_the_waiting_count_of_the_counters_that_serve_it(
    board: Board,
) -> None:
    out = board.apply(
        event(
            "ticket.issued",
            ticket=ticket("C010", None, "waiting"),
            queue={**QUEUE, **_queue({"C": 10})},
        )
    )
    assert sorted(m.address for m in out) == [105, 106]
    assert KeypadShow(106, "", 12) in out


def test_sign_texts_come_from_the_branch_configuration() -> None:
    board = Board(BusLayout.from_branch(demo_branch(welcome="您好", number_format="请{number}")))
    out = board.apply(event("snapshot", counters=[counter(1)], queue={}))
    assert ShowText(1, "您好", 0) in out
    out = board.apply(event("ticket.called", ticket=ticket("A001", 1), counter={"number": 1}))
    assert ShowText(1, "请A001", 6) in out


def test_text_is_cut_to_the_signs_columns() -> None:
    assert columns_of("暂停服务") == 8 and columns_of("A012") == 4
    assert fit("请A012号到3号窗口", 8) == "请A012号"


def test_keypad_keys_become_counter_actions(board: Board) -> None:
    assert board.press(103, K.CALL_NEXT) == CounterAction(3, "call-next")
    assert board.press(103, K.RECALL) == CounterAction(3, "recall")
    assert board.press(103, K.SKIP) == CounterAction(3, "skip")
    assert board.press(103, K.START) == CounterAction(3, "start")
    assert board.press(103, K.FINISH) == CounterAction(3, "finish")
    assert board.press(103, K.PAUSE) == CounterAction(3, "pause")
    board.apply(event("counter.updated", counter=counter(3, "paused")))
    assert board.press(103, K.PAUSE) == CounterAction(3, "resume")
    board.apply(event("counter.updated", counter=counter(3, "closed")))
    assert board.press(103, K.PAUSE) == CounterAction(3, "open")


def test_transfer_digit_confirm_transfers_to_the_service_with_that_digit(board: Board) -> None:
    assert board.press(104, K.TRANSFER) is None
    assert board.press(104, K.DIGIT_3) is None
    assert board.press(104, K.CONFIRM) == CounterAction(4, "transfer", {"service": "C"})
    board.press(104, K.TRANSFER)
    board.press(104, K.DIGIT_9)
    assert isinstance(board.press(104, K.CONFIRM), Refused)
    board.press(104, K.TRANSFER)
    board.press(104, K.CANCEL)
    assert isinstance(board.press(104, K.DIGIT_1), Refused)


def test_evaluation_finishes_with_a_rating_or_rates_the_customer_just_finished(
    board: Board,
) -> None:
    called = ticket("A012")
    board.apply(event("ticket.called", ticket=called, counter={"number": 3}))
    assert board.press(103, K.EVAL_4) == CounterAction(3, "finish", {"rating": 4})
    board.apply(event("ticket.finished", ticket=ticket("A012", status="finished")))
    assert board.press(103, K.EVAL_5) == RateTicket("id-A012", 5)
    assert isinstance(board.press(101, K.EVAL_5), Refused)


def test_three_evaluation_keys_map_to_one_three_five() -> None:
    board = Board(BusLayout.from_branch(demo_branch(rating_keys=3)))
    board.apply(event("snapshot", counters=[counter(2, current=ticket("A001", 2))], queue={}))
    assert board.press(102, K.EVAL_1) == CounterAction(2, "finish", {"rating": 1})
    assert board.press(102, K.EVAL_3) == CounterAction(2, "finish", {"rating": 5})
    assert isinstance(board.press(102, K.EVAL_5), Refused)


def test_a_keypad_of_no_counter_is_refused(board: Board) -> None:
    assert isinstance(board.press(199, K.CALL_NEXT), Refused)


def announcing(number: str, counter_number: int, seconds: float) -> wire.News:
    detail = {"announcing": {"number": number, "counter": counter_number, "seconds": seconds}}
    return event("device.updated", device={"name": "display-1", "status": "ok", "detail": detail})


def test_the_sign_flashes_for_as_long_as_the_display_announces_its_call(board: Board) -> None:
    board.apply(event("ticket.called", ticket=ticket("A012"), counter={"number": 3}))
    assert board.apply(announcing("A012", 3, 8.2)) == [ShowText(3, "A012", 9)]
    idle = event("device.updated", device={"name": "display-1", "detail": {"announcing": None}})
    assert board.apply(idle) == []


def test_an_announcement_of_a_number_the_counter_has_left_flashes_nothing(board: Board) -> None:
    board.apply(event("ticket.called", ticket=ticket("A012"), counter={"number": 3}))
    board.apply(event("ticket.called", ticket=ticket("A013"), counter={"number": 3}))
    assert board.apply(announcing("A012", 3, 5)) == []
