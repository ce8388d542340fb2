"""The phone pages' pure modules (taking a number, booking, checking in, reminders), in
Chromium: the engine's public answers in, what the customer reads out."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.caller.test_state_modules import run
from tests.caller.test_ticket_state import WAITING

BRANCH = {
    "branch": {
        "name": "城东支行",
        "name_en": "Chengdong",
        "bank": "示范银行",
        "bank_en": "Demo Bank",
    },
    "today": "2026-11-12",
    "open": True,
    "opening": "09:00",
    "closing": "17:00",
    "services": [
        {
            "code": "A",
            "name": "个人现金业务",
            "name_en": "Personal cash",
            "waiting": 6,
            "estimated_wait_s": 610,
            "remote": True,
        },
        {
            "code": "B",
            "name": "个人非现金业务",
            "name_en": "Personal non-cash",
            "waiting": 0,
            "estimated_wait_s": 20,
            "remote": False,
            "remote_reason": "remote_share_full",
        },
        {
            "code": "V",
            "name": "贵宾业务",
            "name_en": "VIP",
            "waiting": 1,
            "estimated_wait_s": None,
            "remote": True,
        },
    ],
    "remote": {"enabled": True, "place": "check_in", "valid_s": 5400},
    "appointments": {
        "phone": True,
        "services": ["A"],
        "days": ["2026-11-12", "2026-11-13", "2026-11-16"],
    },
    "notify": {"ahead": 3, "push_key": "BKey", "sms": True},
}


def call(page: Page, server: str, module: str, body: str, arg: Any) -> Any:
    return run(page, server, module, body, arg)


def test_each_service_shows_its_queue_and_whether_a_phone_may_take_a_number(
    page: Page, pages_server: str
) -> None:
    rows = call(page, pages_server, "phone-state.js", "return m.rows(arg, 'zh');", BRANCH)
    assert [(r["code"], r["take"], r["book"]) for r in rows] == [
        ("A", True, True),
        ("B", False, False),
        ("V", True, False),
    ]
    assert rows[0]["queue"] == ["queue.wait", {"n": 6, "m": 11}]
    assert rows[1]["queue"] == ["queue.short", {"n": 0}]
    assert rows[1]["why"] == ["why.remote_share_full", {}]
    assert rows[2]["queue"] == ["queue.closed", {"n": 1}]
    closed = call(
        page,
        pages_server,
        "phone-state.js",
        "return [m.rows(arg, 'en'), m.intro(arg)];",
        {**BRANCH, "open": False},
    )
    assert not any(r["take"] for r in closed[0]) and closed[0][0]["why"] == ["why.closed", {}]
    assert closed[0][0]["name"] == "Personal cash"
    assert closed[1] == ["intro.closed", {"from": "09:00", "to": "17:00"}]
    kiosk_only = {**BRANCH, "remote": {"enabled": False}}
    intro = call(page, pages_server, "phone-state.js", "return m.intro(arg);", kiosk_only)
    assert intro == ["intro.kiosk_only", {}]


def test_booking_offers_the_branchs_days_and_only_windows_with_room(
    page: Page, pages_server: str
) -> None:
    slots = {
        "windows": [
            {"start": "2026-11-13T09:00:00+08:00", "end": "2026-11-13T09:30:00+08:00", "free": 2},
            {"start": "2026-11-13T09:30:00+08:00", "end": "2026-11-13T10:00:00+08:00", "free": 0},
        ]
    }
    days, windows = call(
        page,
        pages_server,
        "phone-state.js",
        "return [m.days(arg.branch), m.windows(arg.slots)];",
        {"branch": BRANCH, "slots": slots},
    )
    assert [d["label"] for d in days] == [
        ["day.today", {"m": 11, "d": 12}],
        ["day.tomorrow", {"m": 11, "d": 13}],
        ["day.date", {"m": 11, "d": 16}],
    ]
    assert [(w["label"], w["enabled"]) for w in windows] == [
        ("09:00–09:30", True),
        ("09:30–10:00", False),
    ]


def test_a_remote_ticket_asks_for_check_in_and_a_lapsed_one_says_take_another(
    page: Page, pages_server: str
) -> None:
    remote = {
        **WAITING,
        "status": "remote",
        "ahead": None,
        "remote_until": "2026-11-12T10:45:00+08:00",
        "check_in_code": "40213377",
        "remote_place": "check_in",
        "queue": {"waiting": 4, "estimated_wait_s": 500},
    }
    got = call(
        page,
        pages_server,
        "ticket-state.js",
        "return arg.map((t) => m.screen(t, {lang: 'zh'}));",
        [
            remote,
            {**remote, "remote_place": "taking"},
            {**remote, "status": "cancelled", "lapsed": True},
            {**remote, "expired": True},
        ],
    )
    assert got[0]["tone"] == "remote" and got[0]["headline"] == ["remote", {}]
    assert got[0]["detail"] == ["remote.until", {"time": "10:45"}]
    assert got[0]["code"] == "40213377" and got[0]["queue"] == ["queue.now", {"n": 4, "m": 9}]
    assert got[0]["advice"] == ["advice.remote", {}] and not got[0]["final"]
    assert got[1]["advice"] == ["advice.remote.taking", {}]
    assert got[2]["headline"] == ["lapsed", {}] and got[2]["final"]
    assert got[3]["headline"] == ["expired", {}] and got[3]["final"]


def test_reminders_are_offered_while_the_ticket_waits_and_say_what_is_on(
    page: Page, pages_server: str
) -> None:
    called = {**WAITING, "status": "called", "counter": 3}
    got = call(
        page,
        pages_server,
        "ticket-state.js",
        """return [
          m.notifyPanel(arg.t, arg.n, {pushSupported: true}),
          m.notifyPanel(arg.t, arg.n, {on: {push: true}, pushSupported: true}),
          m.notifyPanel(arg.t, arg.n, {pushSupported: false}),
          m.notifyPanel(arg.t, {...arg.n, sms: false}, {pushSupported: false}),
          m.notifyPanel(arg.called, arg.n, {pushSupported: true}),
          m.cancellable(arg.t), m.cancellable(arg.called),
        ];""",
        {"t": WAITING, "called": called, "n": BRANCH["notify"]},
    )
    assert got[0] == {
        "show": True,
        "push": "offer",
        "sms": "offer",
        "stop": False,
        "stopped": False,
        "ahead": 3,
    }
    assert got[1]["push"] == "on"
    assert got[2]["push"] == "none" and got[2]["sms"] == "offer"  # no Web Push in this browser
    assert got[3]["show"] is False  # nothing this phone could use
    assert got[4]["show"] is False  # called: too late for "you're next"
    assert got[5:] == [True, False]


def test_a_customer_who_asked_is_offered_to_stop_and_then_told_it_is_stopped(
    page: Page, pages_server: str
) -> None:
    called = {**WAITING, "status": "called", "counter": 3}
    done = {**WAITING, "status": "finished"}
    got = call(
        page,
        pages_server,
        "ticket-state.js",
        """const p = (t, o) => m.notifyPanel(t, arg.n, {pushSupported: true, ...o});
        return [
          p(arg.t, {on: {sms: true}}),
          p(arg.t, {on: {push: false, sms: false}, stopped: true}),
          p(arg.called, {on: {sms: true}}),
          p(arg.called, {stopped: true}),
          p(arg.called, {}),
          p(arg.done, {on: {sms: true}}),
        ];""",
        {"t": WAITING, "called": called, "done": done, "n": BRANCH["notify"]},
    )
    assert got[0]["stop"] and got[0]["sms"] == "on" and got[0]["push"] == "offer"
    assert not got[0]["stopped"]
    # Stopped: the line says so and both channels are offered again.
    assert got[1]["stopped"] and not got[1]["stop"]
    assert (got[1]["push"], got[1]["sms"]) == ("offer", "offer")
    # Called: a recall still texts, so the panel stays to stop it, offering nothing new.
    assert got[2]["show"] and got[2]["stop"] and (got[2]["push"], got[2]["sms"]) == ("none", "on")
    assert got[3]["show"] and got[3]["stopped"] and got[3]["sms"] == "none"
    assert got[4]["show"] is False
    assert got[5]["show"] is False  # finished: nothing more will be sent

    appointment = {
        "status": "booked",
        "start": "2026-11-13T10:00:00+08:00",
        "remind_at": "2026-11-13T09:30:00+08:00",
    }
    options = {"push_key": "k", "sms_reminder": True}
    got = call(
        page,
        pages_server,
        "phone-state.js",
        """return [
          m.remindPanel(arg.a, arg.o, {on: {push: true}, pushSupported: true}),
          m.remindPanel(arg.a, arg.o, {stopped: true, pushSupported: true}),
          m.remindPanel({...arg.a, status: "cancelled"}, arg.o, {on: {push: true}}),
        ];""",
        {"a": appointment, "o": options},
    )
    assert got[0]["stop"] and got[0]["push"] == "on" and got[0]["at"] == "09:30"
    assert got[1]["stopped"] and (got[1]["push"], got[1]["sms"]) == ("offer", "offer")
    assert got[2]["show"] is False


def test_a_mobile_number_is_checked_as_the_engine_checks_it(page: Page, pages_server: str) -> None:
    got = call(
        page,
        pages_server,
        "ticket-state.js",
        "return arg.map((x) => m.phoneNumber(x));",
        ["138 1234 5678", "+86 138-1234-5678", "008613812345678", "12812345678", "1381234567", ""],
    )
    assert got == ["13812345678", "13812345678", "13812345678", None, None, None]


def test_check_in_says_what_this_phone_checked_in_and_where_to_follow_it(
    page: Page, pages_server: str
) -> None:
    done = {"tickets": [{"id": "x", "number": "A007", "status": "waiting", "public_url": "/t/x"}]}
    got = call(
        page,
        pages_server,
        "phone-state.js",
        """return [m.checkin({held: 0}), m.checkin({held: 1}), m.checkin({held: 1, result: arg}),
                   m.checkin({held: 1, error: 'check_in_code_stale'})];""",
        done,
    )
    assert got[0]["headline"] == ["checkin.none", {}]
    assert got[1]["headline"] == ["checkin.working", {}]
    assert got[2]["headline"] == ["checkin.done", {"numbers": "A007"}] and got[2]["go"] == "/t/x"
    assert got[3]["error"] == "check_in_code_stale"


def test_an_appointment_shows_its_code_until_checked_in_then_leads_to_the_ticket(
    page: Page, pages_server: str
) -> None:
    booked = {
        "id": "a1",
        "code": "51820934",
        "service": "A",
        "day": "2026-11-13",
        "start": "2026-11-13T10:00:00+08:00",
        "end": "2026-11-13T10:30:00+08:00",
        "status": "booked",
    }
    got = call(
        page,
        pages_server,
        "phone-state.js",
        "return arg.map((a) => m.appointment(a));",
        [
            booked,
            {**booked, "status": "arrived", "ticket_url": "/t/x"},
            {**booked, "status": "no_show"},
            {**booked, "status": "cancelled"},
        ],
    )
    assert got[0]["code"] == "51820934" and got[0]["headline"] == ["appt.booked", {}]
    assert got[0]["detail"] == ["appt.when", {"day": "2026-11-13", "from": "10:00", "to": "10:30"}]
    assert got[1]["ticket"] == "/t/x" and got[1]["code"] == ""
    assert got[2]["advice"] == ["appt.no_show.what", {}]
    assert [g["final"] for g in got] == [False, True, True, True]
