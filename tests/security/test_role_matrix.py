"""Every role against every endpoint: each may do what its role allows and gets 403 (401 with
no token) for everything else. The matrix must name every endpoint of the OpenAPI document, so
a new endpoint cannot ship without saying who may call it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.support.engine import (
    ADMIN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    LOBBY,
    RATING_TOKEN,
    SIGN_TOKEN,
    RunningEngine,
)

API = "/api/v1"
DEVICES = {"kiosk", "display", "sign", "rating"}
STAFF = {"teller", "lobby", "admin"}
ANY = DEVICES | STAFF
MANAGERS = {"lobby", "admin"}
#: A counter action: the counter's own teller (counter 3 here), the signs agent (every demo
#: counter has a keypad), lobby and admin. "teller" means acting on counter 3.
ON_COUNTER = {"teller", "sign", "lobby", "admin"}
#: What a keypad cannot press: the signs agent may not do it.
BY_STAFF_ON_COUNTER = {"teller", "lobby", "admin"}
PUBLIC = {"anonymous"} | ANY

#: Tomorrow's first booking window in the demo branch's time zone.
_TOMORROW = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
_WINDOW = {"day": _TOMORROW.isoformat(), "start": f"{_TOMORROW.isoformat()}T09:00:00+08:00"}

#: (method, path) -> (roles allowed, JSON body that passes validation).
MATRIX: dict[tuple[str, str], tuple[set[str], Any]] = {
    ("post", "/auth/logout"): (ANY, None),
    ("get", "/auth/me"): (ANY, None),
    ("post", "/tickets"): ({"kiosk", "lobby", "admin"}, {"service": "A"}),
    ("get", "/tickets"): ({"teller", "lobby", "admin"}, None),
    ("get", "/tickets/{ticket_id}"): (STAFF, None),
    ("get", "/tickets/{ticket_id}/public"): (PUBLIC, None),
    ("get", "/tickets/{ticket_id}/public/events"): (PUBLIC, None),
    ("post", "/tickets/{ticket_id}/public/cancel"): (PUBLIC, None),
    ("post", "/tickets/{ticket_id}/public/notify"): (PUBLIC, {"sms": {"phone": "13812345678"}}),
    ("delete", "/tickets/{ticket_id}/public/notify"): (PUBLIC, None),
    ("get", "/phone/branch"): (PUBLIC, None),
    ("post", "/phone/tickets"): (PUBLIC, {"service": "A", "browser": "0" * 32}),
    ("post", "/phone/check-in"): (PUBLIC, {"code": "0" * 20, "tickets": ["x"]}),
    # The check-in code of the moment is shown at the branch, never read from a phone.
    ("get", "/phone/door"): ({"kiosk", "display", "lobby", "admin"}, None),
    ("get", "/phone/door.svg"): ({"kiosk", "display", "lobby", "admin"}, None),
    ("get", "/phone/code.svg"): (PUBLIC, None),
    ("get", "/phone/remote"): (MANAGERS, None),
    # The customer types their code at the kiosk; the lobby types it for them.
    ("post", "/phone/check-in-code"): ({"kiosk", "lobby", "admin"}, {"code": "00000000"}),
    ("get", "/phone/appointments/slots"): (PUBLIC, None),
    ("post", "/phone/appointments"): (PUBLIC, {"service": "A", "browser": "0" * 32, **_WINDOW}),
    ("get", "/appointments/{appointment_id}/public"): (PUBLIC, None),
    ("post", "/appointments/{appointment_id}/public/cancel"): (PUBLIC, None),
    ("post", "/appointments/{appointment_id}/public/notify"): (
        PUBLIC,
        {"sms": {"phone": "13812345678"}},
    ),
    ("delete", "/appointments/{appointment_id}/public/notify"): (PUBLIC, None),
    ("get", "/appointments"): (MANAGERS, None),
    ("get", "/appointments/slots"): (MANAGERS, None),
    ("post", "/appointments"): (MANAGERS, {"service": "A", **_WINDOW}),
    ("post", "/appointments/{appointment_id}/cancel"): (MANAGERS, None),
    ("post", "/appointments/{appointment_id}/check-in"): (MANAGERS, None),
    ("post", "/tickets/{ticket_id}/cancel"): (MANAGERS, None),
    ("post", "/tickets/{ticket_id}/reassign"): (MANAGERS, {"position": "back"}),
    ("post", "/tickets/{ticket_id}/move"): (MANAGERS, {"service": "B"}),
    # A kiosk says how its print went; the lobby puts a held ticket back or has it reprinted.
    ("post", "/tickets/{ticket_id}/printed"): ({"kiosk", "lobby", "admin"}, None),
    ("post", "/tickets/{ticket_id}/print-failed"): (
        {"kiosk", "lobby", "admin"},
        {"code": "paper_out"},
    ),
    ("post", "/tickets/{ticket_id}/release"): (MANAGERS, None),
    ("post", "/tickets/{ticket_id}/reprint"): (MANAGERS, {}),
    ("post", "/tickets/{ticket_id}/rating"): (
        {"rating", "sign", "lobby", "admin"},  # the customer rates, not the teller
        {"rating": 5},
    ),
    ("get", "/queue"): ({"teller", "lobby", "admin"}, None),
    ("get", "/services"): (ANY, None),
    ("get", "/counters"): (ANY, None),
    ("get", "/counters/{number}"): (ANY, None),
    ("post", "/counters/{number}/call-next"): (ON_COUNTER, None),
    ("post", "/counters/{number}/call"): (BY_STAFF_ON_COUNTER, {"number": "A001"}),
    ("post", "/counters/{number}/recall"): (ON_COUNTER, None),
    ("post", "/counters/{number}/start"): (ON_COUNTER, None),
    ("post", "/counters/{number}/skip"): (ON_COUNTER, None),
    ("post", "/counters/{number}/finish"): (ON_COUNTER, {}),
    ("post", "/counters/{number}/rating-request"): (BY_STAFF_ON_COUNTER, None),
    ("post", "/counters/{number}/transfer"): (ON_COUNTER, {"service": "B"}),
    ("post", "/counters/{number}/pause"): (ON_COUNTER, {}),
    ("post", "/counters/{number}/resume"): (ON_COUNTER, None),
    ("post", "/counters/{number}/open"): (ON_COUNTER, None),
    ("post", "/counters/{number}/close"): (BY_STAFF_ON_COUNTER, None),
    # Only a teller holds a counter, so only a teller takes one over.
    ("post", "/counters/{number}/take-over"): ({"teller"}, None),
    ("get", "/branch"): (ANY, None),
    ("get", "/announcements"): (ANY, None),
    ("post", "/announcements"): (MANAGERS, {"text": "请保管好随身物品"}),
    ("delete", "/announcements/{ident}"): (MANAGERS, None),
    # The kiosk's "请大堂经理帮忙"; the display shows the open ones, the lobby answers them.
    ("post", "/help"): ({"kiosk", "admin"}, None),
    ("get", "/help"): ({"display", "lobby", "admin"}, None),
    ("post", "/help/{ident}/answer"): (MANAGERS, None),
    ("post", "/privacy/erase"): ({"admin"}, {"ticket_id": "no-such-ticket"}),
    ("post", "/devices/health"): (DEVICES, {"status": "ok", "detail": {}}),
    ("get", "/devices"): (MANAGERS, None),
    ("get", "/stats/daily"): (MANAGERS, None),
    ("get", "/stats/daily.csv"): (MANAGERS, None),
    ("get", "/staffing"): (MANAGERS, None),
    ("get", "/staffing/plan"): (MANAGERS, None),
    ("post", "/staffing/look"): (MANAGERS, None),
    ("post", "/staffing/advice/{ident}"): (MANAGERS, {"state": "followed"}),
}
#: Outside the role model: the login itself, health, the contract, the metrics (own rule).
UNGUARDED = {("post", "/auth/login"), ("get", "/healthz"), ("get", "/metrics")}


def _tokens(engine: RunningEngine) -> dict[str, str | None]:
    return {
        "anonymous": None,
        "kiosk": KIOSK_TOKEN,
        "display": DISPLAY_TOKEN,
        "sign": SIGN_TOKEN,
        "rating": RATING_TOKEN,
        "teller": engine.teller_token(3),
        "lobby": engine.login(*LOBBY),
        "admin": engine.login(*ADMIN),
    }


def _fixtures(engine: RunningEngine, lobby: str) -> dict[str, str]:
    """A ticket served and finished at counter 3, and an announcement."""
    h = {"Authorization": f"Bearer {lobby}"}
    with httpx.Client(base_url=f"{engine.url}{API}", headers=h, timeout=10) as http:
        http.post("/counters/3/open")
        ticket = http.post("/tickets", json={"service": "A"}).json()
        http.post("/counters/3/call-next")
        http.post("/counters/3/finish")
        announcement = http.post("/announcements", json={"text": "x"}).json()
        booked = http.post("/appointments", json={"service": "A", **_WINDOW}).json()
    return {
        "ticket_id": ticket["id"],
        "ident": str(announcement["id"]),
        "number": "3",
        "appointment_id": booked["id"],
    }


def _call(
    http: httpx.Client, method: str, path: str, token: str | None, body: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.request(method.upper(), path, json=body, headers=headers)


def test_the_matrix_names_every_endpoint(engine: RunningEngine) -> None:
    spec = httpx.get(f"{engine.url}/openapi.json").json()
    listed = {
        (method, path.removeprefix(API)) for path, ops in spec["paths"].items() for method in ops
    }
    assert listed - UNGUARDED == set(MATRIX)


def test_every_role_gets_exactly_its_rights(engine: RunningEngine) -> None:
    tokens = _tokens(engine)
    ids = _fixtures(engine, str(tokens["lobby"]))
    wrong: list[str] = []
    with httpx.Client(base_url=f"{engine.url}{API}", timeout=10) as http:
        for (method, template), (allowed, body) in MATRIX.items():
            path = template.format(**ids)
            for role, token in tokens.items():
                if (method, template) == ("post", "/auth/logout") and role in STAFF:
                    continue  # would end the session the other checks use
                status = _call(http, method, path, token, body).status_code
                denied = status in (401, 403)
                want_denied = role not in allowed
                expected = 401 if role == "anonymous" else 403
                if (want_denied and status != expected) or (not want_denied and denied):
                    wrong.append(f"{role} {method.upper()} {path}: {status}")
    assert wrong == []


def test_a_teller_cannot_act_on_another_counter(engine: RunningEngine) -> None:
    token = engine.teller_token(3)
    refused = []
    with httpx.Client(base_url=f"{engine.url}{API}", timeout=10) as http:
        for (method, template), (_, body) in MATRIX.items():
            if template.startswith("/counters/{number}/"):
                status = _call(http, method, template.format(number=4), token, body).status_code
                refused.append(status)
    assert refused and set(refused) == {403}


def test_the_rating_tablet_rates_only_its_own_counter(engine: RunningEngine) -> None:
    lobby = engine.login(*LOBBY)
    h = {"Authorization": f"Bearer {lobby}"}
    with httpx.Client(base_url=f"{engine.url}{API}", timeout=10) as http:
        http.post("/counters/4/open", headers=h)
        ticket = http.post("/tickets", json={"service": "B"}, headers=h).json()
        http.post("/counters/4/call-next", headers=h)
        http.post("/counters/4/finish", headers=h)
        r = _call(http, "post", f"/tickets/{ticket['id']}/rating", RATING_TOKEN, {"rating": 1})
    assert r.status_code in (403, 409)
    assert r.json()["error"]["code"] in ("forbidden", "wrong_counter")
