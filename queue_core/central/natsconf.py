"""The NATS configuration of the head-office link: who may do what on the centre's cluster.

Each branch's leaf node logs in to the centre as its own user (``branch-<b>``, a random
password the centre keeps only as a bcrypt hash) whose rights name that branch's subjects
only: it can send its event batches and status, read its own stream position, receive and
acknowledge its own branch files, and read replies under its own inbox. So a branch can
neither write as another branch nor read another branch's files (staff PIN hashes).

``branchq central nats-branch <b>`` prints a branch's user entry for the centre and the
password for the branch's leaf; ``deploy/nats`` holds the server configurations that include
them.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import bcrypt

from queue_core.central.protocol import (
    DOMAIN,
    STREAM_DOWN,
    STREAM_UP,
    check_branch_code,
    deliver_subject,
    down_consumer,
    inbox_prefix,
    status_subject,
    up_subject,
)

#: The centre's account, holding the streams, the consumer and every branch's user.
ACCOUNT = "BANK"


def branch_user(code: str) -> str:
    return f"branch-{check_branch_code(code)}"


def branch_permissions(code: str, domain: str = DOMAIN) -> dict[str, Any]:
    """The subjects a branch's leaf connection may send to (publish) and receive (subscribe)."""
    check_branch_code(code)
    direct_get = f"DIRECT.GET.{STREAM_UP}.{up_subject(code)}"
    return {
        "publish": {
            "allow": [
                up_subject(code),
                status_subject(code),
                f"$JS.{domain}.API.{direct_get}",
                f"$JS.API.{direct_get}",
                f"$JS.ACK.{STREAM_DOWN}.{down_consumer(code)}.>",
            ]
        },
        "subscribe": {"allow": [f"{inbox_prefix(code)}.>", deliver_subject(code)]},
    }


def new_password() -> str:
    return secrets.token_hex(24)


def hash_password(password: str, rounds: int = 10) -> str:
    """A bcrypt hash nats-server accepts (``$2a$``) for a leaf's password."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds, prefix=b"2a")).decode()


def branch_entry(code: str, password_hash: str, domain: str = DOMAIN) -> dict[str, Any]:
    """One branch's user in the centre's account."""
    return {
        "user": branch_user(code),
        "password": password_hash,
        "permissions": branch_permissions(code, domain),
    }


def render(value: Any) -> str:
    """NATS configuration text (the server reads JSON)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def centre_accounts(
    central_password_hash: str, branches: dict[str, str], domain: str = DOMAIN
) -> dict[str, Any]:
    """The ``accounts`` block of the centre: the bank's account with JetStream, the consumer's
    and console's user, and one user per branch (code -> password hash)."""
    users = [{"user": "central", "password": central_password_hash}]
    users += [branch_entry(code, h, domain) for code, h in sorted(branches.items())]
    return {
        ACCOUNT: {"jetstream": "enabled", "users": users},
        "SYS": {"users": [{"user": "system", "password": hash_password(new_password())}]},
    }


def centre_config(
    *,
    name: str,
    listen: str,
    http: str,
    store_dir: str,
    leaf_listen: str,
    accounts: dict[str, Any],
    tls: dict[str, str] | None = None,
    domain: str = DOMAIN,
    cluster: dict[str, Any] | None = None,
    advertise: str | None = None,
) -> dict[str, Any]:
    """One server of the centre's cluster: JetStream in ``domain``, the branches' leaf nodes
    on ``leaf_listen`` (over TLS when ``tls`` names ``cert_file`` and ``key_file``). The
    cluster tells each leaf every server's leaf address, to fail over to: ``advertise`` is
    this server's as the branches reach it (its WAN name, not its listening address)."""
    leafnodes: dict[str, Any] = {"listen": leaf_listen}
    if advertise:
        leafnodes["advertise"] = advertise
    if tls:
        leafnodes["tls"] = {**tls, "timeout": 5}
    config: dict[str, Any] = {
        "server_name": name,
        "listen": listen,
        "http": http,
        "jetstream": {
            "domain": domain,
            "store_dir": store_dir,
            "max_memory_store": 256 * 1024 * 1024,
            "max_file_store": 64 * 1024**3,
        },
        "accounts": accounts,
        "system_account": "SYS",
        "leafnodes": leafnodes,
    }
    if cluster:
        config["cluster"] = cluster
    return config


def leaf_config(
    *,
    code: str,
    listen: str,
    http: str,
    remotes: list[str],
    password: str,
    ca_file: str | None = None,
) -> dict[str, Any]:
    """A branch's own NATS server: loopback only for the engine, one leaf connection (over
    TLS when ``ca_file`` is given) to the centre's cluster as the branch's user."""
    user = branch_user(code)
    scheme = "tls" if ca_file else "nats"
    urls = [f"{scheme}://{user}:{password}@{host}" for host in remotes]
    remote: dict[str, Any] = {"urls": urls}
    if ca_file:
        remote["tls"] = {"ca_file": ca_file, "timeout": 5}
    return {
        "server_name": f"leaf-{code}",
        "listen": listen,
        "http": http,
        "leafnodes": {"reconnect": 2, "remotes": [remote]},
    }
