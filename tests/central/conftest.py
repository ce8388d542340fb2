"""The head office started for real: its NATS server (JetStream, leaf nodes over TLS), its
PostgreSQL database and a consumer process; branches join through leaf nodes of their own."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.central.traffic import play_day
from tests.reliability.load import last_seq
from tests.support import nats as nats_support
from tests.support.central import (
    USERS,
    CentralProcess,
    SigningKey,
    branch_toml,
    central_toml,
    signing_key,
    wait_until,
)
from tests.support.engine import RunningEngine, free_port
from tests.support.nats import Centre, NatsServer, leaf_for, start_centre
from tests.support.postgres import PostgresServer

#: The branches every head office of the tests knows (east: 0101, 0102; west: 0201).
BRANCHES = {"0101": "east", "0102": "east", "0201": "west"}
_db_counter = itertools.count()


@dataclass
class HeadOffice:
    root: Path
    centre: Centre
    db_url: str
    key: SigningKey
    config: Path
    consumer: CentralProcess
    leaves: dict[str, NatsServer] = field(default_factory=dict)

    def leaf(self, code: str, via_port: int | None = None) -> NatsServer:
        leaf = leaf_for(self.root / "nats", self.centre, code, via_port)
        self.leaves[code] = leaf.start()
        return leaf


@contextlib.contextmanager
def open_head_office(root: Path, postgres: PostgresServer) -> Iterator[HeadOffice]:
    """The centre's NATS server, a fresh central database and a consumer process."""
    if not nats_support.available():
        pytest.fail("nats-server is required: apt-get install nats-server")
    centre = start_centre(root / "nats", list(BRANCHES))
    db_url = postgres.create_database(f"central_{os.getpid()}_{next(_db_counter)}")
    key = signing_key(root)
    config = central_toml(root, db_url, centre.url, key, BRANCHES)
    consumer = CentralProcess("consume", config, root).start()
    office = HeadOffice(root, centre, db_url, key, config, consumer)
    try:
        yield office
    finally:
        consumer.stop()
        for leaf in office.leaves.values():
            leaf.stop()
        centre.server.stop()
        shutil.rmtree(root / "nats", ignore_errors=True)


@pytest.fixture
def head_office(tmp_path: Path, postgres: PostgresServer) -> Iterator[HeadOffice]:
    with open_head_office(tmp_path, postgres) as office:
        yield office


@dataclass
class Bank:
    """Two branches (east and west) that played a day, seen by a running console."""

    office: HeadOffice
    engines: dict[str, RunningEngine]
    console: CentralProcess
    console_url: str

    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, login: str) -> str:
        if login not in self.tokens:
            password = USERS[login][2]
            r = httpx.post(f"{self.console_url}/api/central/v1/login",
                           json={"login": login, "password": password}, timeout=10)  # fmt: skip
            r.raise_for_status()
            self.tokens[login] = str(r.json()["token"])
        return self.tokens[login]

    def get(self, login: str, path: str, **params: object) -> httpx.Response:
        return httpx.get(
            f"{self.console_url}/api/central/v1{path}",
            params=params,  # type: ignore[arg-type]
            headers={"Authorization": f"Bearer {self.token(login)}"},
            timeout=10,
        )


@pytest.fixture(scope="package")
def bank(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> Iterator[Bank]:
    root = tmp_path_factory.mktemp("bank")
    with open_head_office(root, postgres) as office:
        engines: dict[str, RunningEngine] = {}
        console = CentralProcess("console", office.config, root, ("--port", str(free_port())))
        try:
            for code, name in (("0101", "城东支行"), ("0201", "西城支行")):
                leaf = office.leaf(code)
                work = root / f"branch-{code}"
                work.mkdir()
                config = branch_toml(work, code, leaf.url, office.key.public, name)
                engines[code] = RunningEngine(workdir=work, config=config).start()
            console.start()
            url = f"http://127.0.0.1:{console.extra[1]}"
            wait_until(lambda: _answers(url), 30, "the console answers")
            for engine in engines.values():
                play_day(engine)
            bank = Bank(office, engines, console, url)
            for code, engine in engines.items():
                head = last_seq(engine)
                wait_until(lambda c=code, h=head: _on_board(bank, c, h), 60, f"{code} on board")
            yield bank
        finally:
            console.stop()
            for engine in engines.values():
                engine.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).is_success
    except httpx.TransportError:
        return False


def _on_board(bank: Bank, code: str, head: int) -> bool:
    body = bank.get("hq-admin", "/branches").json()
    lines = body["branches"]
    return any(line["code"] == code and line["applied_seq"] == head for line in lines)
