"""Throwaway ``nats-server`` processes for the tests: the centre (JetStream, leaf nodes over
TLS, one user per branch) and a leaf node per branch, on temporary folders and loopback ports,
with the configurations ``queue_core.central.natsconf`` writes for deployments too."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from queue_core.central import natsconf
from tests.support.engine import free_port
from tests.support.process import spawn, stop
from tests.support.tls import TlsFiles, make_tls


def available() -> bool:
    return shutil.which("nats-server") is not None


@dataclass
class NatsServer:
    """One nats-server; ``stop``/``start`` keep its ports, configuration and store."""

    root: Path
    name: str
    config: dict[str, Any]
    port: int
    http_port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def conf_path(self) -> Path:
        return self.root / f"{self.name}.conf"

    @property
    def log_path(self) -> Path:
        return self.root / f"{self.name}.log"

    def start(self, timeout: float = 30.0) -> NatsServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(natsconf.render(self.config))
        self.proc = spawn(["nats-server", "-c", str(self.conf_path)], self.log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1).is_success:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self, kill: bool = False) -> None:
        stop(self.proc, kill)

    def leaf_connected(self) -> bool:
        """For a leaf node: its connection to the centre is up."""
        try:
            body = httpx.get(f"http://127.0.0.1:{self.http_port}/leafz", timeout=1).json()
        except (httpx.TransportError, ValueError):
            return False
        return bool(body.get("leafnodes"))


@dataclass
class Centre:
    """The centre's NATS server and what the branches need to join it."""

    server: NatsServer
    leaf_port: int
    tls: TlsFiles
    central_password: str
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The consumer's and console's connection (the ``central`` user)."""
        return f"nats://central:{self.central_password}@127.0.0.1:{self.server.port}"


def start_centre(root: Path, branches: list[str]) -> Centre:
    """The centre on loopback: JetStream, leaf nodes over TLS, a user for each branch."""
    tls = make_tls(root / "tls")
    central_password = natsconf.new_password()
    passwords = {code: natsconf.new_password() for code in branches}
    accounts = natsconf.centre_accounts(
        natsconf.hash_password(central_password, rounds=4),
        {code: natsconf.hash_password(pw, rounds=4) for code, pw in passwords.items()},
    )
    port, http_port, leaf_port = free_port(), free_port(), free_port()
    config = natsconf.centre_config(
        name="central-1",
        listen=f"127.0.0.1:{port}",
        http=f"127.0.0.1:{http_port}",
        store_dir=str(root / "jetstream"),
        leaf_listen=f"127.0.0.1:{leaf_port}",
        accounts=accounts,
        tls={"cert_file": str(tls.cert), "key_file": str(tls.key)},
        # A leaf behind a test's WAN relay must not learn the way around it: nats-server 2.9
        # tells leaves its own leaf address even with no_advertise, so name a dead one.
        advertise="127.0.0.1:1",
    )
    server = NatsServer(root, "central", config, port, http_port).start()
    return Centre(server, leaf_port, tls, central_password, passwords)


def leaf_for(root: Path, centre: Centre, code: str, via_port: int | None = None) -> NatsServer:
    """A branch's leaf node (not started), reaching the centre directly or through a relay
    on ``via_port`` (a WAN link the test can cut)."""
    port, http_port = free_port(), free_port()
    config = natsconf.leaf_config(
        code=code,
        listen=f"127.0.0.1:{port}",
        http=f"127.0.0.1:{http_port}",
        remotes=[f"127.0.0.1:{via_port or centre.leaf_port}"],
        password=centre.passwords[code],
        ca_file=str(centre.tls.ca),
    )
    return NatsServer(root, f"leaf-{code}", config, port, http_port)
