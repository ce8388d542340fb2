"""What ``deploy/`` ships works: the systemd units pass ``systemd-analyze verify``, the example
branch file loads, the alert rules name metrics the engine serves, a backup restores every
ticket, and the watchdog wrapper pings systemd only while the engine answers."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from queue_core.client import EngineClient
from queue_core.config import load_config
from tests.support.engine import LOBBY, RunningEngine, free_port
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is required: apt-get install systemd")
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        # Installed under /opt/branchq; point the paths at this checkout so they exist.
        text = unit.read_text().replace("/opt/branchq/.venv", str(Path(sys.executable).parents[1]))
        text = text.replace("/opt/branchq/deploy", str(DEPLOY))
        (tmp_path / unit.name).write_text(text)
        units.append(tmp_path / unit.name)
    result = subprocess.run([analyze, "verify", *map(str, units)], capture_output=True, text=True)
    problems = [
        line
        for line in result.stderr.splitlines()
        # A build machine has no such device; the unit's BindsTo names what udev creates.
        if "branchq\\x2drs485.device" not in line and "dev-branchq" not in line
    ]
    assert result.returncode == 0 and problems == [], result.stderr
    for unit in units:
        text = unit.read_text()
        if unit.name.endswith(("-backup.service", ".timer")):
            continue
        assert re.search(r"^Restart=(on-failure|always)$", text, re.M)
        assert re.search(r"^WatchdogSec=\d+", text, re.M)
        assert re.search(r"^User=branchq", text, re.M)
        assert "StandardOutput=journal" in text


def test_the_kiosk_can_read_its_printer_and_run_libusb() -> None:
    """The deployed printer path reads status back, and the sandbox lets libusb's hotplug
    (netlink) and the common Chinese printer board (0416:5011) through."""
    unit = (DEPLOY / "systemd" / "branchq-kiosk.service").read_text()
    families = re.search(r"^RestrictAddressFamilies=(.*)$", unit, re.M)
    assert families is not None and "AF_NETLINK" in families.group(1).split()
    assert re.search(r"^SupplementaryGroups=.*\blp\b", unit, re.M)
    env = (DEPLOY / "env" / "device.env.example").read_text()
    assert "BRANCHQ_PRINTER=usblp:///dev/branchq-printer" in env
    rules = (DEPLOY / "udev" / "99-branchq.rules").read_text()
    assert 'ATTRS{idVendor}=="0416", ATTRS{idProduct}=="5011"' in rules


def test_the_engine_may_hold_thousands_of_connections(tmp_path: Path) -> None:
    unit = (DEPLOY / "systemd" / "branchq-engine.service").read_text()
    found = re.search(r"^LimitNOFILE=(\d+)$", unit, re.M)
    assert found and int(found.group(1)) >= 8192  # 2 000 displays and phones, and room
    # and gives their memory back when they leave (CPython's arenas stay pinned)
    assert re.search(r"^Environment=PYTHONMALLOC=malloc$", unit, re.M)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))  # the usual default
    try:
        engine = RunningEngine(workdir=tmp_path).start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        assert engine.proc is not None
        limits = Path(f"/proc/{engine.proc.pid}/limits").read_text()
    finally:
        engine.stop()
    row = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert row.split()[3] == (str(hard) if hard != resource.RLIM_INFINITY else "unlimited")


def test_example_branch_file_loads_and_keeps_secrets_hashed() -> None:
    config = load_config(DEPLOY / "branch.example.toml")
    assert config.staff and all(s.pin is None and s.pin_hash for s in config.staff)
    assert config.devices and all(d.token is None and d.token_hash for d in config.devices)


def test_alert_rules_name_only_metrics_the_engine_serves(engine: RunningEngine) -> None:
    served = set()
    for line in httpx.get(f"{engine.url}/metrics").text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            served.add(name)
            if kind == "histogram":
                served |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
            if kind == "counter":
                served.add(f"{name}_total")
    rules = yaml.safe_load((DEPLOY / "prometheus" / "branchq-alerts.yml").read_text())
    named = {
        name
        for group in rules["groups"]
        for rule in group["rules"]
        for name in re.findall(r"\bbranchq_[a-z_]+", rule["expr"])
    }
    assert named and named <= served, named - served


def _issue(engine: RunningEngine, n: int) -> list[str]:
    client = EngineClient(engine.url)
    client.login(*LOBBY)
    return [client.issue("ABCDV"[i % 5])["id"] for i in range(n)]


def _backup_and_restore(engine: RunningEngine, restored_db: str, tmp_path: Path) -> None:
    env = {**os.environ, "BRANCHQ_PYTHON": sys.executable}
    before = _issue(engine, 25)
    backup = tmp_path / "branchq.backup"
    subprocess.run(
        [DEPLOY / "bin" / "branchq-backup", engine.db, backup], check=True, env=env, timeout=60
    )
    after = _issue(engine, 3)  # issued after the backup: not in it
    engine.stop()
    subprocess.run(
        [DEPLOY / "bin" / "branchq-restore", backup, restored_db],
        check=True,
        env=env,
        timeout=60,
    )
    folder = tmp_path / "restored"
    folder.mkdir()
    shutil.copy(engine.workdir / "secret.key", folder / "secret.key")
    restored = RunningEngine(workdir=folder, db_url=restored_db).start()
    try:
        lobby = EngineClient(restored.url)
        lobby.login(*LOBBY)
        for ticket_id in before:
            assert lobby.ticket(ticket_id)["status"] == "waiting"
        missing = [i for i in after if _exists(lobby, i)]
        assert missing == []
        assert lobby.issue("A")["number"] == "A006"  # numbering goes on from the backup
    finally:
        restored.stop()


def _exists(client: EngineClient, ticket_id: str) -> bool:
    from queue_core.client import EngineError

    try:
        client.ticket(ticket_id)
        return True
    except EngineError:
        return False


def test_sqlite_backup_taken_while_running_restores_every_ticket(
    engine: RunningEngine, tmp_path: Path
) -> None:
    _backup_and_restore(engine, f"sqlite:///{tmp_path / 'restored.db'}", tmp_path)


@pytest.mark.postgres
def test_postgres_backup_restores_every_ticket(tmp_path: Path, postgres: PostgresServer) -> None:
    stamp = int(time.time())
    source = postgres.create_database(f"backup_src_{stamp}")
    target = postgres.create_database(f"backup_dst_{stamp}")
    engine = RunningEngine(workdir=tmp_path, db_url=source).start()
    try:
        _backup_and_restore(engine, target, tmp_path)
    finally:
        engine.stop()


def _messages(sock: socket.socket, seconds: float) -> list[str]:
    out: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            out.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return out


def _first(sock: socket.socket, timeout: float) -> str:
    sock.settimeout(timeout)
    return sock.recv(4096).decode()


def test_watchdog_pings_only_while_the_engine_answers(tmp_path: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    port = free_port()
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "WATCHDOG_USEC": "1000000",
        "BRANCHQ_SECRET_FILE": str(tmp_path / "secret.key"),
    }
    serve = [sys.executable, "-m", "queue_core", "serve", "--port", str(port)]
    serve += ["--db", f"sqlite:///{tmp_path / 'branchq.db'}"]
    health = f"http://127.0.0.1:{port}/healthz"
    wrapper = subprocess.Popen(
        [sys.executable, DEPLOY / "bin" / "branchq-watchdog", "--health", health, "--", *serve],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _first(notify, 30).startswith("READY=1")
        assert "WATCHDOG=1" in _messages(notify, 2)
        child = int(Path(f"/proc/{wrapper.pid}/task/{wrapper.pid}/children").read_text().split()[0])
        os.kill(child, signal.SIGSTOP)  # a hung engine: /healthz stops answering
        _messages(notify, 1.5)  # a ping may have been on its way
        assert "WATCHDOG=1" not in _messages(notify, 4)
        os.kill(child, signal.SIGCONT)
        assert "WATCHDOG=1" in _messages(notify, 8)
        wrapper.send_signal(signal.SIGTERM)  # passed on: the engine stops, then the wrapper
        assert wrapper.wait(20) == 0
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
        notify.close()
