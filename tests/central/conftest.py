"""The head office started for real: its NATS server (JetStream, leaf nodes over TLS), its
PostgreSQL database and a consumer process; branches join through leaf nodes of their own."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import nats as nats_support
from tests.support.central import CentralProcess, SigningKey, central_toml, signing_key
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


@pytest.fixture
def head_office(tmp_path: Path, postgres: PostgresServer) -> Iterator[HeadOffice]:
    if not nats_support.available():
        pytest.fail("nats-server is required: apt-get install nats-server")
    centre = start_centre(tmp_path / "nats", list(BRANCHES))
    db_url = postgres.create_database(f"central_{os.getpid()}_{next(_db_counter)}")
    key = signing_key(tmp_path)
    config = central_toml(tmp_path, db_url, centre.url, key, BRANCHES)
    consumer = CentralProcess("consume", config, tmp_path).start()
    office = HeadOffice(tmp_path, centre, db_url, key, config, consumer)
    try:
        yield office
    finally:
        consumer.stop()
        for leaf in office.leaves.values():
            leaf.stop()
        centre.server.stop()
        shutil.rmtree(tmp_path / "nats", ignore_errors=True)
