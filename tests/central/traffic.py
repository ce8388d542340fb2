"""A small but complete branch day played through the v1 API: every kind of event the centre
must rebuild (issue with tiers, a card, the green channel; call, start, finish with ratings,
skip and reassign, transfer, cancel, pause and resume, a device fault, tomorrow's
appointments booked and one cancelled), ending with every counter closed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from queue_core.client import EngineClient
from tests.support.engine import KIOSK_TOKEN, LOBBY, TELLERS, RunningEngine

CARD = "6225881234567890"  # a gold card of the demo branch's card rules


def rate(lobby: EngineClient, ticket: dict[str, Any] | None, rating: int) -> None:
    """The customer's rating, entered by the lobby manager: a teller may not rate their own
    service."""
    assert ticket is not None
    lobby.request("POST", f"/tickets/{ticket['id']}/rating", {"rating": rating})


def play_day(engine: RunningEngine, rounds: int = 1) -> None:
    lobby = EngineClient(engine.url)
    lobby.login(*LOBBY)
    tellers = {n: EngineClient(engine.url) for n in (1, 2, 7)}
    for n, client in tellers.items():
        client.login(*TELLERS[n], counter=n)
        client.counter_action(n, "open")
    for _ in range(rounds):
        for service in "AABABD":
            lobby.issue(service)
        lobby.issue("A", card=CARD)
        lobby.issue("V", tier="diamond")
        lobby.issue("A", green_channel=True)
        doomed = lobby.issue("B")
        lobby.request("POST", f"/tickets/{doomed['id']}/cancel")
        one, two, seven = tellers[1], tellers[2], tellers[7]
        one.call_next(1)
        one.counter_action(1, "skip")
        skipped = [t for t in lobby.request("GET", "/tickets", params={"status": "skipped"})]
        lobby.request("POST", f"/tickets/{skipped[-1]['id']}/reassign", {"position": "front"})
        one.call_next(1)
        one.counter_action(1, "start")
        one.counter_action(1, "transfer", {"service": "B"})
        two.counter_action(2, "pause", {"reason": "午休"})
        two.counter_action(2, "resume")
        served = seven.call_next(7)
        seven.counter_action(7, "start")
        seven.counter_action(7, "finish")
        rate(lobby, served, 5)
        rating = 4
        while True:
            busy = False
            for n, client in tellers.items():
                if (called := client.call_next(n)) is not None:
                    busy = True
                    client.counter_action(n, "finish")
                    rate(lobby, called, rating)
                    rating = 3 + rating % 3
            if not busy:
                break
    book_tomorrow(lobby)
    kiosk = EngineClient(engine.url, KIOSK_TOKEN)
    kiosk.report_health("error", {"printer": "paper_out"})
    for n, client in tellers.items():
        client.counter_action(n, "close")


def book_tomorrow(lobby: EngineClient) -> None:
    """Two of tomorrow's large-cash appointments, as the lobby prepares them; one cancelled."""
    today = date.fromisoformat(lobby.request("GET", "/phone/branch")["today"])
    tomorrow = (today + timedelta(days=1)).isoformat()
    slots = lobby.request("GET", "/appointments/slots", params={"service": "A", "day": tomorrow})
    start = next(w["start"] for w in slots["windows"] if w["free"] >= 2)  # a day played again
    for note in ("50 000 元", "80 000 元"):
        booked = lobby.request(
            "POST", "/appointments", {"service": "A", "day": tomorrow, "start": start, "note": note}
        )
    lobby.request("POST", f"/appointments/{booked['id']}/cancel")
