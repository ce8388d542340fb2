"""The phone page's event stream over real HTTP: refusals are JSON before the stream, a closed
ticket's stream ends and tells the browser not to come back, a page cannot be multiplied."""

from __future__ import annotations

import json

import httpx

from tests.api.helpers import kiosk, teller
from tests.support.engine import RunningEngine

API = "/api/v1"


def _events(response: httpx.Response) -> list[dict[str, str]]:
    out, current = [], {}
    for line in response.iter_lines():
        if not line:
            if current:
                out.append(current)
            current = {}
            continue
        key, _, value = line.partition(":")
        current[key] = value.strip()
    return out


def test_the_stream_refuses_in_json_ends_when_closed_and_caps_pages(engine: RunningEngine) -> None:
    k, t3 = kiosk(engine), teller(engine, 3)
    served = k.issue("A")
    waiting = k.issue("A")
    t3.call_next(3)
    t3.counter_action(3, "finish")
    with httpx.Client(base_url=f"{engine.url}{API}", timeout=10) as http:
        unknown = http.get("/tickets/NoSuchTicket/public/events")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "ticket_not_found"

        with http.stream("GET", f"/tickets/{served['id']}/public/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            (only,) = _events(r)  # the stream ends by itself after the final state
        assert only["event"] == "ticket" and only["retry"] == "86400000"
        state = json.loads(only["data"])
        assert (state["status"], state["final"], state["number"]) == ("finished", True, "A001")

        streams = [http.stream("GET", f"/tickets/{waiting['id']}/public/events") for _ in range(9)]
        answers = []
        try:
            for s in streams:
                answers.append(s.__enter__())
            codes = [a.status_code for a in answers]
            assert codes[:8] == [200] * 8 and codes[8] == 429
            answers[8].read()
            assert answers[8].json()["error"]["code"] == "too_many_pages_for_ticket"
            first = next(answers[0].iter_lines())
            assert first == "event: ticket"
        finally:
            for s in streams[: len(answers)]:
                s.__exit__(None, None, None)
