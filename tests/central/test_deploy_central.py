"""What deploy/ ships for the head office works: the NATS configurations pass
``nats-server -t`` (with test certificates in place of the bank's), the example branch user
has exactly the rights the code gives a branch, and the example centre file loads."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from queue_core.central.natsconf import branch_permissions
from queue_core.central.settings import load_central
from tests.support import nats as nats_support
from tests.support.tls import make_tls

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _installed(tmp_path: Path) -> Path:
    """deploy/nats as installed, with a test CA and certificate where the bank's would be."""
    tls = make_tls(tmp_path / "tls")
    out = tmp_path / "nats"
    out.mkdir()
    for conf in (DEPLOY / "nats").glob("*.conf"):
        text = conf.read_text()
        for name, path in (("server.pem", tls.cert), ("server-key.pem", tls.key),
                           ("ca.pem", tls.ca)):  # fmt: skip
            text = re.sub(rf"/etc/branchq(-central)?/nats/{name}", str(path), text)
        text = text.replace("/var/lib/branchq-nats/jetstream", str(tmp_path / "js"))
        (out / conf.name).write_text(text)
    return out


@pytest.mark.parametrize("conf", ["central.conf", "leaf.conf"])
def test_nats_configurations_are_valid(tmp_path: Path, conf: str) -> None:
    if not nats_support.available():
        pytest.fail("nats-server is required: apt-get install nats-server")
    folder = _installed(tmp_path)
    result = subprocess.run(
        ["nats-server", "-t", "-c", str(folder / conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_branch_user_has_the_rights_of_a_branch() -> None:
    text = (DEPLOY / "nats" / "accounts.conf").read_text()
    rights = branch_permissions("0101")
    for subject in [*rights["publish"]["allow"], *rights["subscribe"]["allow"]]:
        assert f'"{subject}"' in text
    assert "bq.up.>" not in text and "bq.up.*" not in text  # no branch speaks for all


def test_the_example_centre_file_loads() -> None:
    config = load_central(DEPLOY / "central.example.toml")
    assert {u.role for u in config.users} == {"admin", "viewer", "region"}
    assert config.region_of("0101") == "east"
