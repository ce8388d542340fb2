"""Bad input and wrong callers get a JSON error with a stable code, and change nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.helpers import error_of, kiosk, lobby, teller
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN, RATING_TOKEN, RunningEngine

API = "/api/v1"


def _error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    assert set(body["error"]) <= {"code", "message", "retry_after_s"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/nowhere", None, (404, "not_found")),
        ("DELETE", "/tickets", None, (405, "method_not_allowed")),
        ("POST", "/tickets", {"service": "Z"}, (422, "unknown_service")),
        ("POST", "/tickets", {"servic": "A"}, (422, "validation_error")),
        ("POST", "/tickets", {"service": "A", "card": "12ab"}, (422, "invalid_card")),
        ("POST", "/tickets", {"service": "A", "tier": "gold"}, (403, "forbidden")),
        ("POST", "/tickets", {"service": "A", "green_channel": True}, (403, "forbidden")),
        ("POST", "/counters/3/call-next", None, (403, "forbidden")),
        ("GET", "/tickets/doesnotexist/public", None, (404, "ticket_not_found")),
        ("GET", "/queue", None, (403, "forbidden")),
    ],
)
def test_kiosk_errors(
    engine: RunningEngine, method: str, path: str, body: object, expected: tuple[int, str]
) -> None:
    r = httpx.request(
        method,
        f"{engine.url}{API}{path}",
        json=body,
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
    )
    assert _error(r) == expected


def test_malformed_json_is_422_and_nothing_is_issued(engine: RunningEngine) -> None:
    r = httpx.post(
        f"{engine.url}{API}/tickets",
        content=b"{not json",
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}", "Content-Type": "application/json"},
    )
    assert _error(r) == (422, "validation_error")
    assert all(s["waiting"] == 0 for s in kiosk(engine).services())


def test_missing_or_wrong_token_is_401(engine: RunningEngine) -> None:
    assert _error(httpx.get(f"{engine.url}{API}/services")) == (401, "unauthorized")
    r = httpx.get(f"{engine.url}{API}/services", headers={"Authorization": "Bearer nope"})
    assert _error(r) == (401, "unauthorized")
    assert httpx.get(f"{engine.url}/healthz").json()["status"] == "ok"


def test_teller_acts_on_own_counter_only(engine: RunningEngine) -> None:
    t3 = teller(engine, 3)
    assert error_of(t3.counter_action, 4, "open").status == 403
    assert error_of(t3.request, "POST", "/announcements", {"text": "x"}).status == 403
    assert error_of(t3.request, "GET", "/stats/daily").status == 403
    lb = lobby(engine)
    assert lb.counter_action(4, "open")["state"] == "open"  # lobby acts on any counter


def test_display_and_rating_devices_read_only(engine: RunningEngine) -> None:
    for token in (DISPLAY_TOKEN, RATING_TOKEN):
        r = httpx.post(
            f"{engine.url}{API}/tickets",
            json={"service": "A"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert _error(r) == (403, "forbidden")
        r = httpx.get(f"{engine.url}{API}/counters", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


def test_idempotency_key_gives_one_ticket(engine: RunningEngine) -> None:
    k = kiosk(engine)
    first = k.issue("A", idempotency_key="press-1")
    again = k.issue("A", idempotency_key="press-1")
    assert again["id"] == first["id"] and again["number"] == "A001"
    assert k.issue("A")["number"] == "A002"
    err = error_of(k.issue, "B", idempotency_key="press-1")
    assert (err.status, err.code) == (422, "idempotency_key_reused")


def test_a_retried_press_gets_the_first_answer_byte_for_byte_marked_replayed(
    engine: RunningEngine,
) -> None:
    url, auth = f"{engine.url}{API}/tickets", {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    press = {**auth, "Idempotency-Key": "press-7"}
    first = httpx.post(url, json={"service": "A"}, headers=press, timeout=10)
    again = httpx.post(url, json={"service": "A"}, headers=press, timeout=10)
    assert (first.status_code, again.status_code) == (201, 201)
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    # The ticket as its response model gives it (GET /tickets/{id}): the same bytes.
    staff = {"Authorization": f"Bearer {engine.login('lobby', '6789')}"}
    read = httpx.get(f"{url}/{first.json()['id']}", headers=staff, timeout=10)
    assert read.content == first.content


def test_kiosk_issuing_is_rate_limited(engine: RunningEngine) -> None:
    k = kiosk(engine)
    codes = []
    for _ in range(12):
        try:
            k.issue("A")
            codes.append(201)
        except Exception as exc:
            codes.append(getattr(exc, "status", 0))
    assert 429 in codes and codes[0] == 201
    issued = sum(1 for c in codes if c == 201)
    assert kiosk(engine).services()[0]["waiting"] == issued


def test_wrong_pins_lock_the_login(engine: RunningEngine) -> None:
    url = f"{engine.url}{API}/auth/login"
    codes = [
        httpx.post(url, json={"login": "lobby", "pin": "0000"}, timeout=10).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    locked = httpx.post(url, json={"login": "lobby", "pin": "6789"}, timeout=10)
    assert _error(locked) == (429, "login_locked")
    wait = locked.json()["error"]["retry_after_s"]  # how long, for the login page to say
    assert 290 <= wait <= 301 and locked.headers["retry-after"] == str(wait)
    log = engine.log_path.read_text()
    assert "6789" not in log and "0000" not in log


def test_announcement_round_trip(engine: RunningEngine) -> None:
    lb = lobby(engine)
    made = lb.request("POST", "/announcements", {"text": "今日养老金发放，请耐心等候"})
    assert made["active"] is True
    assert [a["text"] for a in kiosk(engine).request("GET", "/announcements")] == [made["text"]]
    ended = lb.request("DELETE", f"/announcements/{made['id']}")
    assert ended["active"] is False
    assert kiosk(engine).request("GET", "/announcements") == []


def test_rating_tablet_rates_its_counter_once(engine: RunningEngine) -> None:
    k, t3 = kiosk(engine), teller(engine, 3)
    k.issue("A")
    called = t3.call_next(3)
    assert called is not None
    t3.counter_action(3, "finish")
    from queue_core.client import EngineClient

    tablet = EngineClient(engine.url, RATING_TOKEN)
    rated = tablet.request("POST", f"/tickets/{called['id']}/rating", {"rating": 5})
    assert rated["rating"] == 5
    err = error_of(tablet.request, "POST", f"/tickets/{called['id']}/rating", {"rating": 1})
    assert (err.status, err.code) == (409, "already_rated")


def test_openapi_and_security_headers(engine: RunningEngine) -> None:
    r = httpx.get(f"{engine.url}/openapi.json")
    assert r.status_code == 200 and "/api/v1/tickets" in r.json()["paths"]
    r = httpx.get(f"{engine.url}/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in r.headers


def test_a_retried_press_is_answered_even_when_the_kiosk_is_rate_limited(
    engine: RunningEngine,
) -> None:
    k = kiosk(engine)
    first = k.issue("A", idempotency_key="press-0")
    for i in range(1, 12):
        try:
            k.issue("A", idempotency_key=f"press-{i}")
        except Exception:
            continue
    assert error_of(k.issue, "A", idempotency_key="press-new").code == "rate_limited"
    assert k.issue("A", idempotency_key="press-0")["id"] == first["id"]


def test_daily_figures_count_paused_time(any_engine: RunningEngine) -> None:
    import time

    t4 = teller(any_engine, 4)
    t4.counter_action(4, "pause", {"reason": "午休"})
    time.sleep(1.2)
    t4.counter_action(4, "resume")
    stats = lobby(any_engine).request("GET", "/stats/daily")
    block = stats["by_counter"]["4"]
    assert block["paused_s"] >= 1.0


def test_no_access_log_leaves_requests_out_of_the_log(tmp_path: Path) -> None:
    quiet = RunningEngine(workdir=tmp_path, extra_args=["--no-access-log"]).start()
    try:
        kiosk(quiet).issue("A")
        assert kiosk(quiet).services()
    finally:
        quiet.stop()
    log = quiet.log_path.read_text()
    assert "POST /api/v1/tickets" not in log and "GET /api/v1/services" not in log
    assert "Application startup complete" in log  # the rest of the log is still there


def test_the_engine_logs_each_request_by_default(engine: RunningEngine) -> None:
    kiosk(engine).issue("A")
    assert '"POST /api/v1/tickets HTTP/1.1" 201' in engine.log_path.read_text()
