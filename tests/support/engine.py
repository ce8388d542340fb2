"""Start a real engine (``branchq serve``) in a subprocess for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.process import spawn, stop

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "queue_core" / "demo" / "branch.toml"

# Tokens and PINs of the demo branch (queue_core/demo/branch.toml).
KIOSK_TOKEN = "demo-kiosk-1"
DISPLAY_TOKEN = "demo-display"
SIGN_TOKEN = "demo-signs"
RATING_TOKEN = "demo-rating-3"
LOBBY = ("lobby", "6789")
ADMIN = ("admin", "9876")
TELLERS = {
    n: (f"t0{n}", pin)
    for n, pin in {
        1: "1111",
        2: "2222",
        3: "1234",
        4: "4444",
        5: "5555",
        6: "6666",
        7: "7777",
        8: "8888",
    }.items()
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: How long an engine may take to answer its first /healthz. A bound, not a measure: beside
#: the suite's CPU-burning loops an engine's start (imports, migrations) took over 30 s once,
#: so a start counts as failed only if the engine exits or stays silent this long.
START_BOUND_S = 120.0


@dataclass
class RunningEngine:
    """An engine process on loopback; ``stop``/``start`` keep its port, config and database."""

    workdir: Path
    config: Path = DEMO_CONFIG
    db_url: str | None = None
    port: int = field(default_factory=free_port)
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    #: Whether the engine looks ahead for staffing advice every minute by itself (off: a test
    #: asks with POST /staffing/look, so no look-ahead competes with what it measures).
    staffing: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> str:
        return self.db_url or f"sqlite:///{self.workdir / 'branchq.db'}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "engine.log"

    def start(self, timeout: float = START_BOUND_S) -> RunningEngine:
        cmd = [
            sys.executable,
            "-m",
            "queue_core",
            "serve",
            "--config",
            str(self.config),
            "--db",
            self.db,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *([] if self.staffing else ["--no-staffing"]),
            *self.extra_args,
        ]
        env = {**os.environ, "BRANCHQ_SECRET_FILE": str(self.workdir / "secret.key"), **self.env}
        self.proc = spawn(cmd, self.log_path, cwd=self.workdir, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"engine exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop(kill=True)  # a fixture that gets no engine has nothing to stop
        raise RuntimeError(f"engine did not answer: {self.log_path.read_text()[-3000:]}")

    def stop(self, kill: bool = False) -> None:
        stop(self.proc, kill)

    def login(self, login: str, pin: str, counter: int | None = None) -> str:
        body: dict[str, object] = {"login": login, "pin": pin}
        if counter is not None:
            body["counter"] = counter
        r = httpx.post(f"{self.url}/api/v1/auth/login", json=body, timeout=5)
        r.raise_for_status()
        return str(r.json()["token"])

    def teller_token(self, counter: int) -> str:
        login, pin = TELLERS[counter]
        return self.login(login, pin, counter)

    def lobby_token(self) -> str:
        return self.login(*LOBBY)
