"""``branchq demo``: the demo branch end to end on one machine, from one command.

It starts the engine on SQLite (``./branchq.db``), opens every counter (a real branch's tellers
open their own), starts a network printer simulator that saves each ticket as a picture
(``./tickets/``), the software LED signs and keypads on a pty pair and the signs agent that
drives them; then prints what to open and what to type, with the branch's own logins. Each
part is the real program (``branchq serve``, ``branchq sign-sim``, ``branchq signs``, the
printer simulator) in its own process; Ctrl+C stops them all.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from queue_core import DEFAULT_PORT
from queue_core.client import EngineClient, EngineError
from queue_core.config import BranchConfig, ConfigError, load_config

if TYPE_CHECKING:
    from drivers.serial.ptypair import PtyPair

DEMO_DB = "sqlite:///branchq.db"
PRINTER_PORT = 9100
#: Where the printer simulator saves each ticket it prints, as a PNG (relative to the folder
#: the demo runs in).
TICKETS = "tickets"


@dataclass
class Parts:
    """The demo's child processes, stopped together."""

    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    pairs: list[PtyPair] = field(default_factory=list)

    def start(
        self,
        name: str,
        args: Sequence[str],
        stdin: int | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """``python -m ARGS`` with this interpreter, so the demo runs the installed programs."""
        proc = subprocess.Popen([sys.executable, "-m", *args], stdin=stdin, env=env)
        self.procs[name] = proc
        return proc

    def ended(self) -> str | None:
        """The name of a part that has stopped, if any."""
        return next((n for n, p in self.procs.items() if p.poll() is not None), None)

    def stop(self) -> None:
        for proc in reversed(self.procs.values()):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pair in self.pairs:
            pair.stop()


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str, wanted: int) -> int:
    """``wanted`` when it is free, else any free port."""
    if not port_taken(host, wanted):
        return wanted
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_engine(url: str, engine: subprocess.Popen[bytes], patience: float = 20.0) -> bool:
    """Poll ``/healthz`` until it answers (True) or the engine process ends (False, it said
    why on stderr). No deadline: a loaded machine may take minutes, and giving up on a live
    engine would leave it running with no banner; past ``patience`` seconds it says it waits."""
    told = time.monotonic() + patience
    while engine.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return True
        if time.monotonic() > told:
            print(f"branchq demo: the engine is still starting on {url} (Ctrl+C to stop)…",
                  file=sys.stderr, flush=True)  # fmt: skip
            told = float("inf")
        time.sleep(0.2)
    return False


def lobby_client(url: str, config: BranchConfig) -> EngineClient:
    """A client logged in as the branch's lobby manager (the demo sets the hall up as one)."""
    lobby = next(s for s in config.staff if s.role in ("lobby", "admin") and s.pin)
    client = EngineClient(url, timeout=30.0)  # a PIN's check is slow on a loaded machine
    client.login(lobby.login, lobby.pin or "")
    return client


def open_counters(lobby: EngineClient) -> list[int]:
    """Open every closed counter; the numbers opened."""
    opened = []
    for counter in lobby.counters():
        if counter["state"] == "closed":
            lobby.counter_action(counter["number"], "open")
            opened.append(counter["number"])
    return opened


def token_of(config: BranchConfig, role: str) -> str:
    return next((d.token or "" for d in config.devices if d.role == role), "")


def program(cwd: Path) -> str:
    """How the user types ``branchq`` from ``cwd``: the venv's script unless it is on the PATH."""
    script = Path(sys.executable).parent / "branchq"
    if not script.exists() or shutil.which("branchq") == str(script):
        return "branchq"
    if script.is_relative_to(cwd):
        return str(script.relative_to(cwd))
    return str(script)


def _example(config: BranchConfig) -> tuple[int, str, str]:
    """A counter, a teller login and PIN to try first (the rating tablet's counter)."""
    rating = next((d.counter for d in config.devices if d.role == "rating" and d.counter), None)
    number = rating or config.counters[0].number
    tellers = [s for s in config.staff if s.role == "teller" and s.pin]
    teller = next((s for s in tellers if s.login.endswith(f"{number:02d}")), tellers[0])
    return number, teller.login, teller.pin or ""


def banner(
    config: BranchConfig, url: str, opened: list[int], printer: int, bq: str, phones: str = ""
) -> str:
    """What a newcomer needs first: what already runs, what to start, who to log in as —
    all read from the branch file, so the logins shown are the ones that work."""
    number, login, pin = _example(config)
    counter = config.counter(number)
    keypad = counter.keypad_address if counter else None
    pins = [f"{s.login} {s.pin}" for s in config.staff if s.role == "teller" and s.pin]
    rows = [" · ".join(pins[i : i + 4]) for i in range(0, len(pins), 4)]
    lead = "                 tellers, PINs: "
    tellers = ("\n" + " " * len(lead)).join(rows)
    others = [s for s in config.staff if s.role != "teller" and s.pin]
    rating = next((d for d in config.devices if d.role == "rating"), None)
    sec = config.security
    lockout = f"{sec.lockout_s // 60} min" if sec.lockout_s >= 60 else f"{sec.lockout_s} s"
    lines = [
        "",
        f"BranchQ demo branch {config.branch.name}: {url}",
        "Running here: the engine, with counters "
        + (", ".join(map(str, opened)) or "(already)")
        + " opened for the demo;",
        f"  a ticket printer simulator on 127.0.0.1:{printer} (each ticket it prints is saved as",
        f"  a picture in {TICKETS}/); the LED signs and teller keypads in software (the lines",
        "  'sign N │ …' below) with the signs agent driving them.",
        "Start or open:",
        f"  kiosk          {bq} kiosk --engine {url} --token {token_of(config, 'kiosk')} \\",
        f"                     --printer-url tcp://127.0.0.1:{printer}",
        f"  hall display   {bq} display --engine {url} --token {token_of(config, 'display')}",
        f"  teller         {url}/caller   e.g. {login} / PIN {pin} at counter {number}",
        lead + tellers,
    ]
    for s in others:
        lines.append(f"  {s.role + ' console':<14} {url}/lobby   {s.login} / PIN {s.pin}")
    if rating:
        lines.append(
            f"  rating tablet  {url}/rating   device token {rating.token}"
            f" (counter {rating.counter})"
        )
    if keypad is not None:
        lines.append(
            f"  keypad         type '{keypad} call' and Enter here: counter {number}'s keypad"
            " calls the next customer"
        )
    lines += [
        f"  phones         {phones or url}/t/…   (a ticket's QR code opens its live page there)",
        f"  API            {url}/openapi.json and docs/api.md",
        f"{sec.max_failed_logins} wrong PINs in a row lock a login for {lockout}.",
        "Stop with Ctrl+C. Data stays in ./branchq.db (delete it to start afresh).",
        "",
    ]
    return "\n".join(lines)


def _forward_stdin(target: subprocess.Popen[bytes]) -> None:
    """Key presses typed here (``103 call``) go to the software keypads."""
    if target.stdin is None:
        return
    with contextlib.suppress(OSError, ValueError):
        for line in sys.stdin.buffer:
            target.stdin.write(line)
            target.stdin.flush()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="branchq demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="the engine's port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--printer-port", type=int, default=PRINTER_PORT,
                   help="the printer simulator's port (another free one if taken)")  # fmt: skip
    p.add_argument("--no-signs", action="store_true", help="no software signs and agent")
    p.add_argument("--public-url",
                   help="the address phones reach this machine at (e.g. http://192.168.1.20:8080 "
                   "with --host 0.0.0.0), for the tickets' QR codes")  # fmt: skip
    return p


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # stop the parts too, as on Ctrl+C
    url = f"http://{args.host}:{args.port}"
    if port_taken(args.host, args.port):
        print(
            f"branchq demo: port {args.port} on {args.host} is taken (another engine?). "
            f"Stop it, or pick another port: make demo PORT={args.port + 1}",
            file=sys.stderr,
        )
        return 2
    try:
        config = load_config(None)
    except ConfigError as exc:  # pragma: no cover - the bundled file is checked by the tests
        print(f"branchq demo: {exc}", file=sys.stderr)
        return 2
    parts = Parts()
    try:
        engine = parts.start(
            "engine",
            ["queue_core", "serve", "--host", args.host, "--port", str(args.port),
             "--db", DEMO_DB, "--no-access-log",
             *(["--public-url", args.public_url] if args.public_url else [])],
        )  # fmt: skip
        if not wait_for_engine(url, engine):
            return engine.returncode or 1  # the engine said why on stderr
        with lobby_client(url, config) as lobby:
            opened = open_counters(lobby)
            printer = free_port("127.0.0.1", args.printer_port)
            parts.start(
                "printer",
                ["drivers.printer.simulator", "--port", str(printer), "--out", TICKETS],
            )
            sign = None if args.no_signs else _start_signs(parts, url, config)
            _wait_for_parts(printer, lobby, sign)
        phones = args.public_url or url
        print(banner(config, url, opened, printer, program(Path.cwd()), phones), flush=True)
        return _watch(parts)
    except EngineError as exc:
        print(f"branchq demo: the engine refused the demo's set-up: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        parts.stop()


def _wait_for_parts(printer: int, lobby: EngineClient, sign: str | None) -> None:
    """Until the printer simulator listens and the signs agent follows the engine (15 s at
    most), so the banner comes after their start-up lines rather than lost among them."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", printer), 1):
            break
        time.sleep(0.2)
    while sign is not None and time.monotonic() < deadline:
        if any(d["name"] == sign and d["connected"] for d in lobby.request("GET", "/devices")):
            return
        time.sleep(0.2)


def _start_signs(parts: Parts, url: str, config: BranchConfig) -> str | None:
    """The software signs on one end of a pty pair, the signs agent on the other; the sign
    device's name (None when they could not start)."""
    sign = next((d for d in config.devices if d.role == "sign" and d.token), None)
    if sign is None:
        return None
    if shutil.which("socat") is None:
        print("branchq demo: no LED sign simulator: it needs socat (sudo apt-get install socat)",
              file=sys.stderr)  # fmt: skip
        return None
    from drivers.serial.ptypair import PtyPair

    pair = PtyPair().start()
    parts.pairs.append(pair)
    sim = parts.start("signs", ["queue_core", "sign-sim", "--port", pair.b], stdin=subprocess.PIPE)
    threading.Thread(target=_forward_stdin, args=(sim,), daemon=True).start()
    parts.start(
        "signs agent",
        ["queue_core", "signs", "--engine", url, "--port", pair.a],
        env={**os.environ, "BRANCHQ_TOKEN": sign.token or ""},
    )
    return sign.name


def _watch(parts: Parts) -> int:
    """Run until Ctrl+C or until a part stops (then say which, and stop the rest)."""
    while (ended := parts.ended()) is None:
        time.sleep(0.5)
    code = parts.procs[ended].returncode
    print(f"branchq demo: the {ended} stopped (exit code {code}); stopping the demo",
          file=sys.stderr)  # fmt: skip
    return code or 1


if __name__ == "__main__":
    raise SystemExit(main())
