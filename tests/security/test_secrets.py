"""Secrets stay secret: no PIN, token or card number in any log line of a full run nor in the
database; the public ticket page shows number, status, position and counter only; the staff
pages carry the security headers; cross-origin requests get no CORS grant."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from queue_core.client import events_url
from tests.support.engine import DEMO_CONFIG, RunningEngine

API = "/api/v1"
# Distinctive secrets, so that finding one in a log cannot be a coincidence.
PINS = {"t03": "73915286", "lobby": "58203917"}
TOKENS = {"kiosk-1": "kiosk-7Qw2Zr9Lp4Xv8Nm3", "hall-display": "display-4Hs8Kd2Jf6Tq1Wz9"}
CARD = "6225881907364518"


def _branch(folder: Path) -> Path:
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace('pin = "1234"', f'pin = "{PINS["t03"]}"')
    text = text.replace('pin = "6789"', f'pin = "{PINS["lobby"]}"')
    text = text.replace('token = "demo-kiosk-1"', f'token = "{TOKENS["kiosk-1"]}"')
    text = text.replace('token = "demo-display"', f'token = "{TOKENS["hall-display"]}"')
    out = folder / "branch.toml"
    out.write_text(text, encoding="utf-8")
    return out


@pytest.fixture
def secret_engine(tmp_path: Path) -> Iterator[RunningEngine]:
    engine = RunningEngine(
        workdir=tmp_path, config=_branch(tmp_path), extra_args=["--log-level", "debug"]
    ).start()
    try:
        yield engine
    finally:
        engine.stop()


def _full_day(engine: RunningEngine) -> list[str]:
    """Everything that carries a secret: logins (right and wrong), a card swipe, an event
    stream with its token in the query, device calls, logout. Returns the session tokens."""
    sessions = []
    with httpx.Client(base_url=f"{engine.url}{API}", timeout=10) as http:
        for login, pin, counter in (("t03", PINS["t03"], 3), ("lobby", PINS["lobby"], None)):
            body = {"login": login, "pin": pin, "counter": counter}
            sessions.append(http.post("/auth/login", json=body).json()["token"])
        http.post("/auth/login", json={"login": "t03", "pin": "00000000", "counter": 3})
        kiosk = {"Authorization": f"Bearer {TOKENS['kiosk-1']}"}
        teller = {"Authorization": f"Bearer {sessions[0]}"}
        lobby = {"Authorization": f"Bearer {sessions[1]}"}
        issued = http.post("/tickets", json={"service": "A", "card": CARD}, headers=kiosk)
        assert issued.status_code == 201, issued.text
        http.post("/tickets", json={"service": "A", "card": "12"}, headers=kiosk)  # invalid
        http.get("/services", headers={"Authorization": "Bearer wrong-" + TOKENS["kiosk-1"]})
        http.post("/counters/3/open", headers=teller)
        http.post("/counters/3/call-next", headers=teller)
        http.post("/counters/3/finish", json={"rating": 5}, headers=teller)
        http.get(f"/tickets/{issued.json()['id']}", headers=lobby)
        display = {"Authorization": f"Bearer {TOKENS['hall-display']}"}
        http.post("/devices/health", json={"status": "ok", "detail": {}}, headers=display)
        http.post("/auth/logout", headers=teller)

    async def stream() -> None:
        url = events_url(engine.url, TOKENS["hall-display"], 0)
        async with websockets.connect(url) as ws:
            await ws.recv()

    asyncio.run(stream())
    return sessions


def test_no_secret_in_any_log_line(secret_engine: RunningEngine) -> None:
    sessions = _full_day(secret_engine)
    secret_engine.stop()
    log = secret_engine.log_path.read_text(encoding="utf-8", errors="replace")
    assert "/api/v1/events" in log and "/auth/login" in log  # the run was logged
    for secret in [*PINS.values(), *TOKENS.values(), CARD, *sessions]:
        assert secret not in log, f"a secret is in the log: {secret[:4]}…"


def test_no_secret_in_the_database(secret_engine: RunningEngine) -> None:
    sessions = _full_day(secret_engine)
    secret_engine.stop()
    db = secret_engine.workdir / "branchq.db"
    raw = b"".join(p.read_bytes() for p in db.parent.glob("branchq.db*"))
    for secret in [*PINS.values(), *TOKENS.values(), CARD, *sessions]:
        assert secret.encode() not in raw
    key = bytes.fromhex((secret_engine.workdir / "secret.key").read_text())
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT card_hash FROM tickets")}
        session_rows = [row[0] for row in conn.execute("SELECT token_hash FROM sessions")]
    assert hmac.new(key, CARD.encode(), hashlib.sha256).hexdigest() in stored
    assert hashlib.sha256(sessions[1].encode()).hexdigest() in session_rows
    assert oct((secret_engine.workdir / "secret.key").stat().st_mode & 0o777) == "0o600"
    for path in db.parent.glob("branchq.db*"):  # the database, its WAL and index: owner only
        assert oct(path.stat().st_mode & 0o777) == "0o600", path.name


def test_the_public_ticket_page_shows_only_number_status_position_counter(
    engine: RunningEngine,
) -> None:
    lobby = engine.lobby_token()
    h = {"Authorization": f"Bearer {lobby}"}
    with httpx.Client(base_url=f"{engine.url}{API}", timeout=10) as http:
        body = {"service": "V", "tier": "gold", "green_channel": True, "card": CARD}
        ticket = http.post("/tickets", json=body, headers=h).json()
        waiting = http.get(f"/tickets/{ticket['id']}/public").json()
        http.post("/counters/7/open", headers=h)
        http.post("/counters/7/call-next", headers=h)
        called = http.get(f"/tickets/{ticket['id']}/public").json()
        unknown = http.get("/tickets/not-a-ticket/public")
    allowed = {"number", "service", "status", "ahead", "estimated_wait_s", "counter"}
    allowed |= {"estimated_wait_range_s"}
    # What the phone page adds: names of the service, counter and branch, the day, the calls.
    allowed |= {"service_name", "service_name_en", "counter_name", "counter_name_en"}
    allowed |= {"call_count", "business_day", "expired", "final", "lapsed", "branch"}
    allowed |= {"held"}  # its paper did not print: the page says to have it reprinted
    for page in (waiting, called):
        assert set(page) <= allowed
        assert not {"id", "tier", "teller", "card_hash", "green_channel", "holder"} & set(page)
        assert set(page["branch"]) == {"name", "name_en", "bank", "bank_en"}
    assert called["status"] == "called" and called["counter"] == 7
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}


def test_staff_pages_carry_security_headers_and_cors_is_closed(engine: RunningEngine) -> None:
    with httpx.Client(base_url=engine.url, timeout=10) as http:
        for page in ("/caller", "/lobby", "/rating"):
            r = http.get(page)
            assert r.status_code == 200
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
        api = http.get(f"{API}/tickets/x/public")
        assert api.headers["cache-control"] == "no-store"
        evil = {"Origin": "https://evil.example"}
        preflight = http.options(
            f"{API}/tickets",
            headers={**evil, "Access-Control-Request-Method": "POST"},
        )
        simple = http.get(f"{API}/tickets/x/public", headers=evil)
    for r in (preflight, simple):
        assert not any(re.match(r"access-control-allow", k) for k in r.headers)
