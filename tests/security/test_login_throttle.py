"""The login throttle holds against both attacks at once: nobody can keep a teller out with
wrong PINs, and nobody can guess a 4-digit PIN (``queue_core.access.LoginThrottle``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from queue_core.access import Access
from queue_core.config import load_config
from queue_core.domain.errors import TooMany, Unauthorized
from queue_core.store import Store
from tests.support.engine import TELLERS, RunningEngine

API = "/api/v1"
T08, PIN08 = TELLERS[8]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def access(tmp_path: Path) -> Iterator[tuple[Access, Clock]]:
    store = Store(f"sqlite:///{tmp_path / 'branchq.db'}")
    clock = Clock()
    try:
        yield Access(load_config(None), store, clock, b"s" * 32), clock
    finally:
        store.dispose()


def _attempt(access: Access, pin: str, device: str | None = None) -> str:
    try:
        access.login(T08, pin, 8, device)
    except TooMany:
        return "locked"
    except Unauthorized:
        return "wrong"
    return "in"


def test_an_attacker_cannot_keep_a_teller_out(access: tuple[Access, Clock]) -> None:
    guard, clock = access
    _, _, device = guard.login(T08, PIN08, 8)  # the teller's browser, from yesterday
    for minute in range(120):  # two hours of wrong PINs from the hall, one every minute
        clock.now += 60
        assert _attempt(guard, "0000") in ("wrong", "locked")
        if minute % 15 == 0:
            assert _attempt(guard, PIN08, device) == "in", f"teller kept out at minute {minute}"
        if minute == 60:
            assert _attempt(guard, PIN08) == "locked"  # while the hall's clients are locked out


def test_a_day_of_guessing_tries_too_few_pins_to_find_one(access: tuple[Access, Clock]) -> None:
    guard, clock = access
    tried = 0
    for second in range(0, 24 * 3600, 10):  # a guess every 10 s for a day (locks are minutes)
        clock.now += 10
        if _attempt(guard, f"{(second // 10) % 10000:04d}" if second else "9999") == "wrong":
            tried += 1
    assert tried <= 30  # of 10 000: a 4-digit PIN lasts years at this rate
    # A forged or copied-over device key buys nothing: it is signed for one login.
    assert _attempt(guard, "1234", "0123456789abcdef.00000000000000000000000000000000") == "locked"


def test_the_teller_s_own_typos_lock_only_their_own_client(access: tuple[Access, Clock]) -> None:
    guard, clock = access
    _, _, device = guard.login(T08, PIN08, 8)
    for _ in range(5):
        assert _attempt(guard, "1111", device) == "wrong"
    assert _attempt(guard, PIN08, device) == "locked"
    assert _attempt(guard, PIN08) == "in"  # another PC is not locked by these
    clock.now += 301
    assert _attempt(guard, PIN08, device) == "in"


def test_a_pin_typed_as_the_login_is_never_stored(
    access: tuple[Access, Clock], tmp_path: Path
) -> None:
    guard, _ = access
    for _ in range(3):
        with pytest.raises(Unauthorized):
            guard.login("73915286", "73915286", None)
    with sqlite3.connect(tmp_path / "branchq.db") as db:
        stored = [row[0] for row in db.execute("SELECT login FROM login_failures")]
    assert "73915286" not in stored


def test_the_caller_page_s_browser_keeps_its_login_through_an_attack(
    engine: RunningEngine,
) -> None:
    url = f"{engine.url}{API}/auth/login"
    body = {"login": T08, "pin": PIN08, "counter": 8}
    with httpx.Client(timeout=10) as teller:  # keeps its cookies, as a browser does
        assert teller.post(url, json=body).status_code == 200
        cookie = next(c for c in teller.cookies.jar if c.name == "branchq_device")
        assert cookie.path == "/api/v1/auth" and cookie.has_nonstandard_attr("HttpOnly")
        wrong = {**body, "pin": "0000"}
        codes = [httpx.post(url, json=wrong, timeout=10).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        assert httpx.post(url, json=body, timeout=10).status_code == 429  # a stranger
        assert teller.post(url, json=body).status_code == 200  # the teller
