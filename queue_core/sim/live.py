"""``branchq simulate --live``: play a scenario against a running engine over HTTP.

The scenario's customers are issued at their (sped-up) arrival times: normal tickets by a
kiosk, tier and green-channel tickets by the lobby manager on the customer's behalf (a kiosk may
not grant either). Each open counter calls the next ticket through the engine, so the engine's
own routing decides who is called; the simulated customer then comes (``start``, ``finish``
after their service time, with the customer's rating where the lobby login works the counter:
a teller may not rate their own service) or not (``skip`` after the grace time, when
they walked away or missed the call). Counters are worked by their teller when one is given
(``--teller 3=t03:1234``) and otherwise by the lobby login. Requests go only to the given
engine and stop at ``--max-requests``. Kiosks are rate-limited by the engine (``[kiosk]
rate_per_minute``): give several ``--token`` to issue in turn, or play slower.

The counters played are the scenario's that the engine has: a scenario may plan more than the
branch file sets up (pension day's flexible windows 9 and 10 against the demo branch's eight).
Those are left out, said so before the play with the branch-file tables that would add them,
and the engine's other counters serve their customers.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from queue_core.client import EngineClient, EngineError, EngineUnavailable, Json
from queue_core.sim.model import Customer, customers
from queue_core.sim.scenario import CounterSpec, Scenario, load

#: A kiosk issues at most the branch's ``[kiosk] rate_per_minute`` (30 in the demo): one ticket's
#: allowance comes back in two seconds there.
RATE_WAIT_S = 2.0
RATE_RETRIES = 5


@dataclass
class LiveTally:
    issued: int = 0
    called: int = 0
    served: int = 0
    skipped: int = 0
    errors: int = 0
    requests: int = 0
    rate_limited: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)


@dataclass
class LiveCounter:
    number: int
    client: EngineClient
    #: The called ticket's id, and whether its customer came to the counter.
    current: tuple[str, bool] | None = None
    busy: bool = False


class LivePlayer:
    """Plays one scenario day against an engine; ``clock``/``sleep`` are injected for tests."""

    def __init__(
        self,
        scenario: Scenario,
        people: list[Customer],
        kiosks: list[EngineClient],
        lobby: EngineClient,
        tellers: dict[int, EngineClient],
        *,
        speed: float,
        seed: int,
        max_requests: int,
        engine_counters: Collection[int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.scenario, self.people = scenario, people
        self.kiosks, self.lobby = kiosks, lobby
        #: The scenario's counters the engine lacks (``engine_counters``), not played.
        self.left_out = missing_counters(scenario, engine_counters)
        absent = {c.number for c in self.left_out}
        self.counters = {
            c.number: LiveCounter(c.number, tellers.get(c.number, lobby))
            for c in scenario.counters
            if c.open and c.open[0][0] <= 0.0 and c.number not in absent
        }
        self.speed, self.max_requests = speed, max_requests
        self.clock, self.sleep = clock, sleep
        self.rng = random.Random(seed)
        self.tally = LiveTally()
        self.events: list[tuple[float, int, str, object]] = []
        self.order = 0
        self.by_id: dict[str, Customer] = {}

    def push(self, at: float, kind: str, data: object) -> None:
        self.order += 1
        heapq.heappush(self.events, (at, self.order, kind, data))

    def request(self, action: Callable[[], Json | None]) -> Json | None:
        """One engine request; engine errors are counted (the day goes on), an unreachable
        engine ends the play."""
        if self.tally.requests >= self.max_requests:
            raise StopIteration("request limit reached")
        self.tally.requests += 1
        try:
            return action()
        except EngineUnavailable:
            raise
        except EngineError as exc:
            self.tally.errors += 1
            self.tally.error_codes[exc.code] = self.tally.error_codes.get(exc.code, 0) + 1
            return None

    def run(self) -> LiveTally:
        start = self.clock()
        for counter in self.counters.values():
            self.open(counter)
        for person in self.people:
            self.push(person.arrival, "arrival", person)
        try:
            while self.events:
                at, _, kind, data = heapq.heappop(self.events)
                delay = start + at / self.speed - self.clock()
                if delay > 0:
                    self.sleep(delay)
                if kind == "arrival":
                    assert isinstance(data, Customer)
                    self.arrive(data)
                else:
                    assert isinstance(data, int)
                    self.free(self.counters[data], at)
        except StopIteration:
            pass
        return self.tally

    def open(self, counter: LiveCounter) -> None:
        """Open the counter; one that is open already stays as it is."""
        self.tally.requests += 1
        try:
            counter.client.counter_action(counter.number, "open")
        except EngineUnavailable:
            raise
        except EngineError as exc:
            if exc.code != "cannot_open_open":
                raise

    def arrive(self, person: Customer) -> None:
        priority = person.green or person.tier != self.scenario.tiers[0][0]
        if priority:
            body = (person.service, person.tier, person.green)
            ticket = self.request(
                lambda: self.lobby.issue(body[0], tier=body[1], green_channel=body[2])
            )
        else:
            ticket = self.issue_at_kiosk(person.service)
        if ticket is None:
            return
        self.tally.issued += 1
        self.by_id[str(ticket["id"])] = person
        for counter in self.counters.values():
            if not counter.busy:
                self.call_next(counter, person.arrival)

    def issue_at_kiosk(self, service: str) -> Json | None:
        """Issue at the kiosks in turn; a kiosk over its rate limit (429) is retried after the
        time one ticket's allowance takes to come back, with the same idempotency key."""
        kiosk = self.kiosks[self.tally.issued % len(self.kiosks)]
        key = uuid.uuid4().hex
        for _ in range(RATE_RETRIES):
            if self.tally.requests >= self.max_requests:
                raise StopIteration("request limit reached")
            self.tally.requests += 1
            try:
                return kiosk.issue(service, idempotency_key=key)
            except EngineUnavailable:
                raise
            except EngineError as exc:
                if exc.code != "rate_limited":
                    self.tally.errors += 1
                    self.tally.error_codes[exc.code] = self.tally.error_codes.get(exc.code, 0) + 1
                    return None
                self.tally.rate_limited += 1
                self.sleep(RATE_WAIT_S)
        self.tally.errors += 1
        return None

    def call_next(self, counter: LiveCounter, now: float) -> None:
        ticket = self.request(lambda: counter.client.call_next(counter.number))
        if ticket is None:
            counter.busy = False
            return
        self.tally.called += 1
        person = self.by_id.get(str(ticket["id"]))
        counter.busy = True
        if person is None:  # a ticket this play did not issue: serve it for a cash-like time
            person = Customer(now, str(ticket["service"]), "", False, 1e9, False, 150.0)
        gone = now - person.arrival > person.patience_s
        counter.current = (str(ticket["id"]), not (gone or person.misses_call))
        if gone or person.misses_call:
            self.push(now + self.scenario.grace_s, "free", counter.number)
            return
        self.request(lambda: counter.client.counter_action(counter.number, "start"))
        self.push(now + person.service_s, "free", counter.number)

    def free(self, counter: LiveCounter, now: float) -> None:
        assert counter.current is not None
        _, came = counter.current
        if not came:
            if self.request(lambda: counter.client.counter_action(counter.number, "skip")):
                self.tally.skipped += 1
        else:
            rating = self.rng.choice((None, 5, 5, 5, 4, 4, 3))
            # The lobby login may enter the customer's rating with the finish; a teller may
            # not rate their own service, so a teller's counter finishes without one.
            by_lobby = counter.client is self.lobby
            body: Json = {"rating": rating} if rating is not None and by_lobby else {}
            if self.request(lambda: counter.client.counter_action(counter.number, "finish", body)):
                self.tally.served += 1
        counter.current = None
        self.call_next(counter, now)


def missing_counters(
    scenario: Scenario, engine_counters: Collection[int] | None
) -> tuple[CounterSpec, ...]:
    """The scenario's counters that are not among the engine's (none when not known)."""
    if engine_counters is None:
        return ()
    have = set(engine_counters)
    return tuple(c for c in scenario.counters if c.number not in have)


def counter_tables(counters: tuple[CounterSpec, ...], indent: str = "") -> str:
    """Counters as the branch file's ``[[counters]]`` tables, each after a new line."""
    out: list[str] = []
    for c in counters:
        lines = [
            "[[counters]]",
            f"number = {c.number}",
            f"services = {json.dumps(list(c.services))}",
        ]
        if c.may_take:
            lines.append(f"may_take = {json.dumps(list(c.may_take))}")
        if c.prefers_green:
            lines.append("prefers_green = true")
        out.extend(f"\n{indent}{line}" for line in lines)
    return "".join(out)


def left_out_note(scenario: Scenario, left_out: tuple[CounterSpec, ...]) -> str:
    """What the operator reads when the engine lacks some of the scenario's counters: which,
    what that changes, and the branch-file tables that would add them."""
    if not left_out:
        return ""
    numbers = [str(c.number) for c in left_out]
    named = " and ".join([", ".join(numbers[:-1]), numbers[-1]] if numbers[:-1] else numbers)
    noun = "counter" if len(left_out) == 1 else "counters"
    return (
        f"branchq simulate --live: the engine has no {noun} {named}, which the scenario "
        f"{scenario.name} plans: the day is played without them, and waits run longer than "
        "its staffing would give. To play that staffing, add to the branch file and restart "
        f"the engine:{counter_tables(left_out, '    ')}"
    )


def _login(url: str, login: str, pin: str, counter: int | None = None) -> EngineClient:
    client = EngineClient(url)
    client.login(login, pin, counter)
    return client


def run_live(args: argparse.Namespace) -> int:
    """The ``--live`` entry: log in, play, print what was done."""
    scenario = load(args.scenario)
    people = customers(scenario, random.Random(args.seed))
    if args.minutes is not None:
        people = [p for p in people if p.arrival < args.minutes * 60.0]
    try:
        lobby = _login(args.engine, args.login, args.pin)
        tellers = {}
        for spec in args.teller or []:
            number, _, cred = spec.partition("=")
            login, _, pin = cred.partition(":")
            tellers[int(number)] = _login(args.engine, login, pin, int(number))
        kiosks = [EngineClient(args.engine, token) for token in args.token]
        player = LivePlayer(
            scenario, people, kiosks, lobby, tellers, speed=args.speed, seed=args.seed,
            max_requests=args.max_requests,
            engine_counters=[int(c["number"]) for c in lobby.counters()],
        )  # fmt: skip
        if player.left_out:
            print(left_out_note(scenario, player.left_out))
        started = time.monotonic()
        tally = player.run()
    except EngineUnavailable as exc:
        print(f"branchq simulate --live: the engine at {args.engine} cannot be reached: {exc}")
        return 1
    except EngineError as exc:
        print(f"branchq simulate --live: {exc}")
        return 1
    elapsed = time.monotonic() - started
    print(
        f"{scenario.title} played live against {args.engine} in {elapsed:.1f} s: "
        f"{tally.issued} issued, {tally.called} called, {tally.served} served, "
        f"{tally.skipped} skipped, {tally.requests} requests, {tally.errors} errors, "
        f"{tally.rate_limited} kiosk retries after 429"
        + (f" {tally.error_codes}" if tally.error_codes else "")
    )
    return 0 if tally.errors == 0 else 1
