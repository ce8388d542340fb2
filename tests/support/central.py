"""The head office for the tests: its TOML file, a consumer process, branch files with an
uplink, and a look into the central database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from queue_core.central.db import conninfo
from queue_core.central.files import new_signing_key
from queue_core.security import hash_pin
from tests.support.engine import DEMO_CONFIG
from tests.support.process import spawn, stop

#: The console users of the test head office, with their passwords.
USERS = {
    "hq-admin": ("admin", "", "admin-password-1"),
    "hq-viewer": ("viewer", "", "viewer-password-1"),
    "east-manager": ("region", "east", "east-password-1"),
}


@dataclass(frozen=True)
class SigningKey:
    path: Path
    public: str


def signing_key(folder: Path) -> SigningKey:
    pem, public = new_signing_key()
    path = folder / "signing.pem"
    path.write_bytes(pem)
    return SigningKey(path, public)


def branch_toml(
    folder: Path,
    code: str,
    nats_url: str,
    verify_key: str,
    name: str | None = None,
    hours: tuple[str, str] | None = None,
) -> Path:
    """The demo branch as branch ``code``, with an uplink to its leaf node at ``nats_url``;
    ``hours`` (opening, closing) in place of the demo's 09:00–17:00."""
    text = DEMO_CONFIG.read_text("utf-8").replace('code = "0101"', f'code = "{code}"', 1)
    if name:
        text = text.replace('name = "城东支行"', f'name = "{name}"', 1)
    if hours:
        text = text.replace('opening = "09:00"', f'opening = "{hours[0]}"', 1)
        text = text.replace('closing = "17:00"', f'closing = "{hours[1]}"', 1)
    text += (
        f'\n[uplink]\nnats_url = "{nats_url}"\nverify_key = "{verify_key}"\n'
        'files_dir = "central"\npoll_s = 0.2\nstatus_s = 1.0\n'
    )
    path = folder / f"branch-{code}.toml"
    path.write_text(text, "utf-8")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def sections_file(folder: Path, version: int) -> Path:
    """The demo branch's sections as the centre would send them: a new service E served at
    counter 2, a new teller t09, every PIN as a hash."""
    demo = tomllib.loads(DEMO_CONFIG.read_text("utf-8"))
    demo["services"].append({"code": "E", "name": "外汇业务", "name_en": "Foreign exchange"})
    for counter in demo["counters"]:
        if counter["number"] == 2:
            counter["services"] = ["A", "E"]
    staff = [
        {**{k: v for k, v in s.items() if k != "pin"}, "pin_hash": hash_pin(s["pin"])}
        for s in demo["staff"]
    ]
    staff.append({"login": "t09", "name": "吴刚", "pin_hash": hash_pin("9999"), "role": "teller"})
    lines = [f"# branch file version {version}"]
    for section, rows in (("services", demo["services"]), ("tiers", demo["tiers"]),
                          ("counters", demo["counters"]), ("staff", staff)):  # fmt: skip
        for row in rows:
            lines.append(f"[[{section}]]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in row.items()]
    path = folder / f"sections-{version}.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def central_toml(
    folder: Path,
    db_url: str,
    nats_url: str,
    key: SigningKey,
    regions: dict[str, str] | None = None,
) -> Path:
    """The head office's file: regions ``{branch: region}`` (east or west), the test users."""
    regions = regions or {}
    lines = [
        "[central]",
        f'db = "{db_url}"',
        f'nats = ["{nats_url}"]',
        f'signing_key = "{key.path}"',
        "link_timeout_s = 5",
        "",
        '[[regions]]\ncode = "east"\nname = "华东区"\nname_en = "East"\n',
        '[[regions]]\ncode = "west"\nname = "西部区"\nname_en = "West"\n',
    ]
    for code, region in regions.items():
        lines.append(f'[[branches]]\ncode = "{code}"\nregion = "{region}"\n')
    for login, (role, region, password) in USERS.items():
        lines.append(
            f'[[users]]\nlogin = "{login}"\nrole = "{role}"\nregion = "{region}"\n'
            f'password_hash = "{hash_pin(password)}"\n'
        )
    path = folder / "central.toml"
    path.write_text("\n".join(lines), "utf-8")
    return path


@dataclass
class CentralProcess:
    """``branchq central consume`` or ``console`` in a subprocess."""

    command: str
    config: Path
    workdir: Path
    extra: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"central-{self.command}.log"

    def start(self) -> CentralProcess:
        cmd = [sys.executable, "-m", "queue_core", "central", self.command,
               "--config", str(self.config), *self.extra]  # fmt: skip
        self.proc = spawn(cmd, self.log_path, cwd=self.workdir)
        return self

    def stop(self, kill: bool = False) -> None:
        stop(self.proc, kill)


def query(db_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo(db_url)) as conn:
        return conn.execute(sql, args).fetchall()


def applied_seq(db_url: str, code: str) -> int:
    try:
        rows = query(db_url, "SELECT applied_seq FROM branches WHERE code = %s", code)
    except psycopg.errors.UndefinedTable:
        return 0
    return int(rows[0][0]) if rows else 0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition until it holds (the deadline only bounds a failing test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.1)


class WanLink:
    """A branch's WAN link to the centre that a test can cut: a TCP relay (``Cable``) on an
    event loop of its own thread, so blocking tests can pull and put back the cable."""

    def __init__(self, host: str, port: int) -> None:
        import asyncio
        import threading

        from tests.reliability.proxy import Cable

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.cable = Cable(host, port)
        asyncio.run_coroutine_threadsafe(self.cable.start(), self.loop).result(10)

    @property
    def port(self) -> int:
        return self.cable.port

    def cut(self) -> None:
        self.loop.call_soon_threadsafe(self.cable.cut)

    def restore(self) -> None:
        self.loop.call_soon_threadsafe(self.cable.restore)

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.cable.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
