"""``branchq central …``: the head office's programs and tools.

branchq central consume --config central.toml      the stream into the central database
branchq central console --config central.toml      the head-office web console
branchq central keygen --out signing.pem           the branch-file signing key
branchq central nats-branch CODE                   a branch's NATS user and leaf password
branchq central publish-file --config … --branch CODE --version N FILE.toml
branchq central marquee --config … --branch CODE --version N "text"
branchq central hash-password                      a console user's password_hash
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

from queue_core.config import ConfigError


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _consume(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="branchq central consume")
    parser.add_argument("--config", required=True, help="the head office's TOML file")
    parser.add_argument("--health-port", type=int, help="answer GET /healthz on loopback")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    from queue_core.central.consumer import Consumer
    from queue_core.central.settings import load_central

    _setup_logging(args.log_level)
    config = load_central(args.config)
    consumer = Consumer(
        config.nats_servers,
        config.db_url,
        replicas=config.central.replicas,
        health_port=args.health_port,
    )
    print(f"BranchQ central consumer into {config.db_url.split('@')[-1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(consumer.run())
    return 0


def _console(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="branchq central console")
    parser.add_argument("--config", required=True, help="the head office's TOML file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    import uvicorn

    from queue_core.central.console import create_console
    from queue_core.central.settings import load_central

    _setup_logging(args.log_level)
    app = create_console(load_central(args.config))
    print(f"BranchQ head-office console on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def _keygen(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="branchq central keygen")
    parser.add_argument("--out", required=True, help="where to write the private key (PEM)")
    args = parser.parse_args(argv)
    from queue_core.central.files import new_signing_key

    out = Path(args.out)
    if out.exists():
        print(f"{out} exists: not overwritten", file=sys.stderr)
        return 2
    pem, public = new_signing_key()
    out.touch(mode=0o600)
    out.write_bytes(pem)
    print(f"private key in {out} (keep it at the centre only)")
    print(f'for every branch file, [uplink] verify_key = "{public}"')
    return 0


def _nats_branch(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="branchq central nats-branch")
    parser.add_argument("code", help="the branch code")
    args = parser.parse_args(argv)
    from queue_core.central import natsconf

    password = natsconf.new_password()
    entry = natsconf.branch_entry(args.code, natsconf.hash_password(password))
    print("# add to the centre's deploy/nats/branches.conf users:")
    print(natsconf.render(entry))
    print(f"# the branch's leaf password (deploy/nats/leaf.conf): {password}")
    return 0


def _signer(config_path: str) -> tuple[object, object]:
    from queue_core.central.files import load_signing_key
    from queue_core.central.settings import load_central

    config = load_central(config_path)
    if not config.central.signing_key:
        raise ConfigError(f"{config_path}: [central] signing_key is not set")
    return config, load_signing_key(config.central.signing_key)


def _publish(argv: Sequence[str], kind: str) -> int:
    parser = argparse.ArgumentParser(prog=f"branchq central {kind}")
    parser.add_argument("--config", required=True, help="the head office's TOML file")
    parser.add_argument("--branch", required=True)
    parser.add_argument("--version", type=int, required=True)
    parser.add_argument("--by", default=getpass.getuser())
    if kind == "publish-file":
        parser.add_argument("file", help="a TOML file with the sections to send")
    else:
        parser.add_argument("text")
        parser.add_argument("--hours", type=float, default=None, help="shown for this long")
    args = parser.parse_args(argv)
    from queue_core.central import files
    from queue_core.central.publish import publish_down

    config, key = _signer(args.config)
    now = time.time()
    if kind == "publish-file":
        sections = tomllib.loads(Path(args.file).read_text("utf-8"))
        body = files.file_body(args.branch, args.version, sections, now, args.by)
    else:
        until = now + args.hours * 3600 if args.hours else None
        body = files.marquee_body(args.branch, args.version, args.text, until, now, args.by)
    asyncio.run(publish_down(config, key, body))  # type: ignore[arg-type]
    print(f"{body['kind']} version {args.version} for branch {args.branch} sent")
    return 0


def _hash_password(argv: Sequence[str]) -> int:
    argparse.ArgumentParser(prog="branchq central hash-password").parse_args(argv)
    from queue_core.security import hash_pin

    password = getpass.getpass("password: ")
    if len(password) < 10:
        print("a console password has at least 10 characters", file=sys.stderr)
        return 2
    print(hash_pin(password))
    return 0


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "consume": (_consume, "the branches' events from JetStream into the central database"),
    "console": (_console, "the head-office web console"),
    "keygen": (_keygen, "make the key that signs branch files"),
    "nats-branch": (_nats_branch, "a branch's NATS user (for the centre) and leaf password"),
    "publish-file": (lambda a: _publish(a, "publish-file"), "send a signed branch file"),
    "marquee": (lambda a: _publish(a, "marquee"), "send a signed marquee text"),
    "hash-password": (_hash_password, "hash a console user's password"),
}


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        print("usage: branchq central COMMAND [options]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<14} {text}")
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        return COMMANDS[args[0]][0](args[1:])
    except (ConfigError, ValueError) as exc:
        print(f"branchq central: {exc}", file=sys.stderr)
        return 2
