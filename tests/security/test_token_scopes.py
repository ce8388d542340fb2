"""What each device token reaches, against a real engine: a signs agent presses only the
keypads of the counters on its own bus, and only what a keypad can press; the customer rates,
never the teller who served them; a counter's rating tablet sees only its counter."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.engine import DEMO_CONFIG, LOBBY, RATING_TOKEN, SIGN_TOKEN, RunningEngine

API = "/api/v1"


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    """The demo branch with its signs agent's bus holding counters 1 and 2 only."""
    folder = tmp_path_factory.mktemp("scopes")
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert 'token = "demo-signs"\n' in text
    config = folder / "branch.toml"
    config.write_text(
        text.replace('token = "demo-signs"\n', 'token = "demo-signs"\ncounters = [1, 2]\n'),
        encoding="utf-8",
    )
    engine = RunningEngine(workdir=folder, config=config).start()
    try:
        yield engine
    finally:
        engine.stop()


def _post(engine: RunningEngine, path: str, token: str, body: object = None) -> httpx.Response:
    return httpx.post(
        f"{engine.url}{API}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def _get(engine: RunningEngine, path: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{engine.url}{API}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def _served(engine: RunningEngine, lobby: str, counter: int) -> str:
    """A ticket called and finished at ``counter`` by the lobby manager; its id."""
    ticket = _post(engine, "/tickets", lobby, {"service": "A"}).json()
    _post(engine, f"/counters/{counter}/open", lobby)
    called = _post(engine, f"/counters/{counter}/call", lobby, {"number": ticket["number"]})
    assert called.status_code == 200, called.text
    assert _post(engine, f"/counters/{counter}/finish", lobby, {}).status_code == 200
    return str(ticket["id"])


def test_a_signs_agent_presses_only_the_keypads_on_its_own_bus(scoped: RunningEngine) -> None:
    lobby = scoped.login(*LOBBY)
    _post(scoped, "/tickets", lobby, {"service": "A"})
    assert _post(scoped, "/counters/1/open", SIGN_TOKEN).status_code == 200
    assert _post(scoped, "/counters/1/call-next", SIGN_TOKEN).status_code in (200, 204)
    for counter in (3, 4):  # keypads too, but on another bus
        r = _post(scoped, f"/counters/{counter}/open", SIGN_TOKEN)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    # On its own counters, only what a keypad can press.
    for action, body in (("call", {"number": "A001"}), ("close", None), ("rating-request", None)):
        r = _post(scoped, f"/counters/1/{action}", SIGN_TOKEN, body)
        assert r.status_code == 403, (action, r.text)
        assert "keypad" in r.json()["error"]["message"]


def test_the_keypads_rate_only_what_was_served_on_their_bus(scoped: RunningEngine) -> None:
    lobby = scoped.login(*LOBBY)
    elsewhere = _served(scoped, lobby, 4)
    r = _post(scoped, f"/tickets/{elsewhere}/rating", SIGN_TOKEN, {"rating": 1})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "wrong_counter")
    here = _served(scoped, lobby, 2)
    assert _post(scoped, f"/tickets/{here}/rating", SIGN_TOKEN, {"rating": 5}).status_code == 200


def test_a_teller_cannot_rate_their_own_customer(scoped: RunningEngine) -> None:
    lobby = scoped.login(*LOBBY)
    teller = scoped.teller_token(3)
    served = _served(scoped, lobby, 3)
    r = _post(scoped, f"/tickets/{served}/rating", teller, {"rating": 5})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "rating_by_customer_only")
    assert "tablet" in r.json()["error"]["message"]
    # Nor by finishing with a rating: refused whole, the customer stays at the desk.
    ticket = _post(scoped, "/tickets", lobby, {"service": "A"}).json()
    _post(scoped, "/counters/3/open", teller)
    assert _post(scoped, "/counters/3/call", teller, {"number": ticket["number"]}).is_success
    r = _post(scoped, "/counters/3/finish", teller, {"rating": 5})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "rating_by_customer_only")
    assert _get(scoped, f"/tickets/{ticket['id']}", lobby).json()["status"] == "called"
    assert _post(scoped, "/counters/3/finish", teller, {}).status_code == 200
    # The customer then rates on the counter's tablet.
    r = _post(scoped, f"/tickets/{ticket['id']}/rating", RATING_TOKEN, {"rating": 4})
    assert r.status_code == 200 and r.json()["rating"] == 4


def test_a_rating_tablet_sees_only_its_own_counter(scoped: RunningEngine) -> None:
    assert _get(scoped, "/counters/3", RATING_TOKEN).status_code == 200
    assert _get(scoped, "/counters/4", RATING_TOKEN).status_code == 403
    assert [c["number"] for c in _get(scoped, "/counters", RATING_TOKEN).json()] == [3]
