"""The phone ticket page's pure module (public state in, what the page says out), in Chromium."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.caller.test_state_modules import run

WAITING = {
    "number": "A012",
    "service": "A",
    "service_name": "个人现金业务",
    "service_name_en": "Personal cash",
    "status": "waiting",
    "ahead": 3,
    "estimated_wait_s": 430,
    "counter": None,
    "counter_name": None,
    "counter_name_en": None,
    "call_count": 0,
    "expired": False,
}


def screens(page: Page, server: str, tickets: list[dict[str, Any]], lang: str = "zh") -> Any:
    return run(
        page,
        server,
        "ticket-state.js",
        "return arg.tickets.map((t) => m.screen(t, {lang: arg.lang}));",
        {"tickets": tickets, "lang": lang},
    )


def test_each_state_says_where_the_customer_stands_and_what_to_do(
    page: Page, pages_server: str
) -> None:
    called = {**WAITING, "status": "called", "ahead": None, "counter": 3, "call_count": 1}
    called |= {"counter_name": "3号窗口", "counter_name_en": "Counter 3"}
    states = [
        WAITING,
        {**WAITING, "ahead": 0, "estimated_wait_s": 40},
        called,
        {**called, "status": "serving"},
        {**called, "status": "finished"},
        {**called, "status": "skipped"},
        {**WAITING, "status": "cancelled"},
        {**WAITING, "expired": True},  # the day ended before the ticket was called
        {**called, "status": "finished", "expired": True},  # served yesterday: still served
        {**WAITING, "held": True, "ahead": None},  # its paper did not print: not in line
    ]
    got = screens(page, pages_server, states)
    assert [(s["tone"], s["headline"][0]) for s in got] == [
        ("wait", "ahead"),
        ("soon", "next"),
        ("called", "called"),
        ("serving", "serving"),
        ("done", "finished"),
        ("missed", "skipped"),
        ("void", "cancelled"),
        ("void", "expired"),
        ("done", "finished"),
        ("missed", "held"),
    ]
    assert got[0]["headline"][1] == {"n": 3} and got[0]["detail"] == ["wait.about", {"m": 8}]
    assert got[1]["detail"] == ["wait.under", {}]
    assert got[2]["headline"][1] == {"counter": "3号窗口"}
    assert got[5]["detail"] == ["skipped.what", {}]  # see the lobby manager
    assert got[9]["detail"] == ["held.what", {}]  # see the lobby manager for a reprint
    words = run(
        page,
        pages_server,
        "ticket-strings.js",
        "return ['zh', 'en'].map((l) => ['held', 'held.what', 'title.held']"
        ".map((k) => m.STRINGS[l][k]));",
    )
    assert words[0][1] == "请到大堂找大堂经理补打号票，补打后按您原来的取号时间排队。"
    assert all(all(w) for w in words) and "reprint" in words[1][1]
    assert [s["final"] for s in got] == [False] * 4 + [True, False] + [True] * 3 + [False]


def test_the_wait_is_a_range_when_the_engine_gives_one_and_nothing_when_it_cannot(
    page: Page, pages_server: str
) -> None:
    got = screens(
        page,
        pages_server,
        [
            {**WAITING, "estimated_wait_range_s": [470, 720]},
            {**WAITING, "estimated_wait_range_s": [60, 100]},
            {**WAITING, "estimated_wait_s": None},
        ],
        lang="en",
    )
    assert got[0]["detail"] == ["wait.range", {"lo": 8, "hi": 12}]
    assert got[1]["detail"] == ["wait.range", {"lo": 1, "hi": 2}]
    assert got[2]["detail"] == ["wait.none", {}]
    assert got[0]["service"] == "Personal cash"


def test_the_phone_buzzes_when_called_and_at_each_recall_only(
    page: Page, pages_server: str
) -> None:
    called = {**WAITING, "status": "called", "call_count": 1, "counter": 3}
    pairs = [
        (WAITING, called),
        (called, called),
        (called, {**called, "call_count": 2}),
        (called, {**called, "status": "serving"}),
        (None, called),
    ]
    got = run(
        page,
        pages_server,
        "ticket-state.js",
        "return arg.map(([a, b]) => m.alerts(a, b));",
        pairs,
    )
    assert got == [True, False, True, False, True]
