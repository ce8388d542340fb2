"""The pages' pure modules (events in, screen model out), run in real Chromium, no engine."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

TICKET = {
    "id": "t1",
    "number": "A001",
    "service": "A",
    "service_name": "个人现金业务",
    "tier": "gold",
    "tier_name": "金卡客户",
    "is_vip": True,
    "green_channel": True,
    "status": "called",
    "counter": 3,
    "issued_at": "2026-03-02T09:00:00+08:00",
    "called_at": "2026-03-02T09:04:00+08:00",
    "started_at": None,
    "finished_at": None,
    "call_count": 1,
    "visit": 1,
}
COUNTER = {"number": 3, "name": "3号窗口", "services": ["A", "B"], "state": "open", "current": None}
NOW = 1772413500.0  # 2026-03-02T09:05:00+08:00


def run(page: Page, server: str, module: str, body: str, arg: Any = None) -> Any:
    page.goto(f"{server}/ui/js/rules.js")
    script = (
        "async (arg) => { const rules = await import('/ui/js/rules.js');"
        f" const m = await import('/ui/js/{module}'); {body} }}"
    )
    return page.evaluate(script, arg)


def test_rules_module_carries_the_domains_moves(page: Page, pages_server: str) -> None:
    moves = run(page, pages_server, "caller-state.js", "return rules.MOVES;")
    assert moves["start"] == {"from": ["called"], "to": "serving"}
    assert set(moves["finish"]["from"]) == {"called", "serving"}


def test_called_ticket_enables_start_skip_finish_but_not_call(
    page: Page, pages_server: str
) -> None:
    model = run(
        page,
        pages_server,
        "caller-state.js",
        """let s = m.initial(3);
        s = m.applyEvent(s, {seq: 1, type: 'snapshot', data: {counters: [arg.counter],
             queue: {A: {waiting: 4}, B: {waiting: 2}, C: {waiting: 9}}}});
        s = m.applyEvent(s, {seq: 2, type: 'ticket.called', data: {ticket: arg.ticket,
             queue: {A: {waiting: 3}, B: {waiting: 2}, C: {waiting: 9}}}});
        return m.model(s, arg.now, rules.MOVES, rules.COUNTER_MOVES);""",
        {"counter": COUNTER, "ticket": TICKET, "now": NOW},
    )
    assert model["ticket"]["number"] == "A001"
    assert model["ticket"]["waitedS"] == 240  # issue to call, not to now
    assert model["ticket"]["green"] and model["ticket"]["vip"]
    assert model["waiting"] == 5  # A + B, the counter's services; C is not ours
    acts = model["actions"]
    assert acts["start"] and acts["skip"] and acts["finish"] and acts["recall"]
    assert not acts["call_next"] and not acts["call"] and not acts["resume"]


def test_finished_elsewhere_clears_the_desk_and_serving_cannot_skip(
    page: Page, pages_server: str
) -> None:
    result = run(
        page,
        pages_server,
        "caller-state.js",
        """let s = m.initial(3);
        s = m.applyCounter(s, arg.counter);
        s = m.applyTicket(s, {...arg.ticket, status: 'serving',
                              started_at: '2026-03-02T09:04:30+08:00'});
        const serving = m.model(s, arg.now, rules.MOVES, rules.COUNTER_MOVES);
        s = m.applyEvent(s, {seq: 9, type: 'ticket.finished',
                             data: {ticket: {...arg.ticket, status: 'finished'}}});
        return [serving, m.model(s, arg.now, rules.MOVES, rules.COUNTER_MOVES)];""",
        {"counter": COUNTER, "ticket": TICKET, "now": NOW},
    )
    serving, after = result
    assert serving["ticket"]["servingS"] == 30
    assert not serving["actions"]["skip"] and not serving["actions"]["start"]
    assert serving["actions"]["finish"]
    assert after["ticket"] is None and after["actions"]["call_next"]


def test_paused_counter_offers_resume_and_close_but_no_call(page: Page, pages_server: str) -> None:
    acts = run(
        page,
        pages_server,
        "caller-state.js",
        """let s = m.applyEvent(m.initial(3), {seq: 4, type: 'counter.updated',
             data: {counter: {...arg, state: 'paused', paused_reason: '用餐'}}});
        return m.model(s, 0, rules.MOVES, rules.COUNTER_MOVES).actions;""",
        COUNTER,
    )
    assert [a for a, on in acts.items() if on] == ["resume", "close", "rating_request"]


def test_a_counter_another_teller_holds_offers_only_taking_it_over(
    page: Page, pages_server: str
) -> None:
    acts = run(
        page,
        pages_server,
        "caller-state.js",
        """let s = m.applyEvent(m.initial(3, 't05'), {seq: 4, type: 'counter.updated',
             data: {counter: {...arg, teller: 't03'}}});
        const held = m.model(s, 0, rules.MOVES, rules.COUNTER_MOVES).actions;
        s = m.applyEvent(s, {seq: 5, type: 'counter.updated',
             data: {counter: {...arg, teller: 't05'}}});
        return [held, m.model(s, 0, rules.MOVES, rules.COUNTER_MOVES).actions];""",
        COUNTER,
    )
    held, mine = acts
    assert [a for a, on in held.items() if on] == ["take_over"]
    assert mine["call_next"] and not mine["take_over"]


def test_refusals_are_explained_in_plain_words(page: Page, pages_server: str) -> None:
    words = run(
        page,
        pages_server,
        "api.js",
        """return [m.explain(new m.ApiError(409, 'cannot_finish_waiting', 'x'), 'zh'),
                   m.explain(new m.ApiError(409, 'cannot_skip_serving', 'x'), 'en'),
                   m.explain(new m.ApiError(0, 'engine_unavailable', 'x'), 'zh'),
                   m.explain(new m.ApiError(409, 'odd_state', 'Counter 3 closed'), 'en'),
                   m.explain(new m.ApiError(429, 'login_locked', 'x', 294), 'zh'),
                   m.explain(new m.ApiError(429, 'login_locked', 'x', 40), 'en')];""",
    )
    assert words[0] == "不能完成：当前状态为「等候中」"
    assert words[1] == "Cannot skip: it is being served now"
    assert "连接不上" in words[2]
    assert words[3] == "Refused: Counter 3 closed"
    assert words[4] == "密码错误次数过多，该工号已锁定，请 5 分钟后再试"
    assert words[5] == "Too many wrong PINs: this login is locked; try again in 40 s"


def test_a_late_event_does_not_bring_back_a_finished_customer(
    page: Page, pages_server: str
) -> None:
    model = run(
        page,
        pages_server,
        "caller-state.js",
        """let s = m.applyCounter(m.initial(3), arg.counter);
        const called = arg.ticket;
        s = m.applyTicket(s, called);                             // the call's answer
        s = m.applyTicket(s, {...called, status: 'finished'});    // the finish's answer
        s = m.applyEvent(s, {seq: 7, type: 'ticket.called', data: {ticket: called}});  // late
        s = m.applyEvent(s, {seq: 8, type: 'counter.updated',
                             data: {counter: {...arg.counter, current: called}}});     // late
        return m.model(s, arg.now, rules.MOVES, rules.COUNTER_MOVES);""",
        {"counter": COUNTER, "ticket": TICKET, "now": NOW},
    )
    assert model["ticket"] is None and model["actions"]["call_next"]
