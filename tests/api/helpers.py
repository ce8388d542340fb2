"""Small helpers shared by the API tests: clients for the demo branch's roles."""

from __future__ import annotations

from queue_core.client import EngineClient, EngineError
from tests.support.engine import KIOSK_TOKEN, LOBBY, RunningEngine


def kiosk(engine: RunningEngine) -> EngineClient:
    return EngineClient(engine.url, KIOSK_TOKEN)


def lobby(engine: RunningEngine) -> EngineClient:
    client = EngineClient(engine.url)
    client.login(*LOBBY)
    return client


def teller(engine: RunningEngine, counter: int, open_counter: bool = True) -> EngineClient:
    client = EngineClient(engine.url, engine.teller_token(counter))
    if open_counter:
        client.counter_action(counter, "open")
    return client


def error_of(call: object, *args: object, **kwargs: object) -> EngineError:
    try:
        call(*args, **kwargs)  # type: ignore[operator]
    except EngineError as exc:
        return exc
    raise AssertionError("expected an engine error")
