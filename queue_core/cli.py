"""``branchq``: one command for every BranchQ program.

``serve`` runs the engine; the device programs (``display``, ``kiosk``, ``caller``, ``signs``,
``sign-sim``) and the tools (``simulate``, ``compare``, ``report``, ``hash-pin``) each live in
their own package and are imported only when asked for, so the engine starts quickly.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from queue_core import DEFAULT_PORT

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queue_core.config import BranchConfig

T = TypeVar("T")

DEFAULT_DB = "sqlite:///branchq.db"
#: What ``app_from_env`` reads (``serve --workers N`` sets them for its worker processes).
CONFIG_ENV = "BRANCHQ_CONFIG"
DB_ENV = "BRANCHQ_DB"
PUBLIC_URL_ENV = "BRANCHQ_PUBLIC_URL"
LOG_LEVEL_ENV = "BRANCHQ_LOG_LEVEL"
#: "off" when the workers are not to look ahead for staffing advice (``--no-staffing``).
STAFFING_ENV = "BRANCHQ_STAFFING"

#: Subcommands implemented elsewhere: name -> (module, help).
PROGRAMS: dict[str, tuple[str, str]] = {
    "demo": ("queue_core.demo.run", "the demo branch end to end: engine, printer, signs, logins"),
    "display": ("display.app", "the hall display (pygame) and its voice"),
    "voice": ("display.voice_cli", "the hall's voice: build the pack, say a call, list"),
    "kiosk": ("kiosk.app", "the ticket kiosk (pygame touch screen) with its printer"),
    "caller": ("counter_caller.app", "the teller's caller page for a counter"),
    "signs": ("drivers.agent", "the LED counter signs and keypads agent (RS-485)"),
    "sign-sim": ("drivers.simulator", "software signs and keypads on a pty, with a viewer"),
    "simulate": ("queue_core.sim.cli", "simulate branch days (or play one live to an engine)"),
    "compare": ("queue_core.sim.compare", "regenerate docs/routing.md and docs/wait-estimate.md"),
    "report": ("queue_core.report", "write the day's one-page HTML report"),
    "central": ("queue_core.central.cli", "the head office: consumer, console, branch files"),
}


def _serve(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="branchq serve", description="Run the queue engine.")
    parser.add_argument("--config", help="branch TOML file (default: the bundled demo branch)")
    parser.add_argument(
        "--db",
        default=os.environ.get("BRANCHQ_DB", DEFAULT_DB),
        help=f"database URL (default: {DEFAULT_DB}; postgresql+psycopg://…)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (more than one needs PostgreSQL)",
    )
    parser.add_argument(
        "--public-url",
        help="the address phones open the ticket pages at (overrides [branch] public_url)",
    )
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="close a connection that has not sent a whole request in this time (default 10)",
    )
    parser.add_argument(
        "--no-staffing",
        dest="staffing",
        action="store_false",
        help="do not look ahead for staffing advice in this engine (another one does; "
        "the lobby can still ask: POST /staffing/look)",
    )
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="no line per request (when the reverse proxy logs them: deploy/nginx does)",
    )
    args = parser.parse_args(argv)
    # The database, its WAL and the secret hold the day's customers: owner only, also when
    # the engine is started by hand (the systemd unit sets UMask=0077 itself).
    os.umask(0o077)

    from queue_core.central.files import load_branch_config
    from queue_core.config import ConfigError

    try:
        config = load_branch_config(args.config).with_public_url(args.public_url)
    except ConfigError as exc:
        print(f"branchq: configuration error:\n{exc}", file=sys.stderr)
        return 2
    if not args.staffing:
        config = without_staffing(config)
    if args.workers > 1 and args.db.startswith("sqlite"):
        print(
            "branchq: --workers > 1 needs PostgreSQL (--db postgresql+psycopg://…)", file=sys.stderr
        )
        return 2
    from queue_core.api.app import install_log_redaction
    from queue_core.store import opening

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_log_redaction()
    for warning in config.warnings():
        logging.getLogger("queue_core").warning("%s", warning)
    try:
        opening.check_url(args.db)
        with contextlib.ExitStack() as held:
            if (file := opening.sqlite_file(args.db)) is not None:
                held.enter_context(opening.EngineLock(file))
            if args.workers > 1:
                return _serve_workers(args, config.branch.name)
            return _serve_one(args, config)
    except opening.DatabaseProblem as exc:
        print(f"branchq: {exc}", file=sys.stderr)
        return 2


def _serve_one(args: argparse.Namespace, config: BranchConfig) -> int:
    """One engine process: the app on uvicorn, the database opened first."""
    import uvicorn

    from queue_core.security import load_secret

    app = _open(args.db, lambda: engine_app(config, args.db, load_secret()))
    print(
        f"BranchQ engine for {config.branch.name} on http://{args.host}:{args.port} "
        f"(database {args.db.split('@')[-1]})",
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, **_uvicorn_options(args))
    )
    if config.uplink is None:
        server.run()
        return 0
    from queue_core.central import uplink

    # A branch file from the centre is applied by a restart: stop serving, exit for systemd.
    uplink.stop_serving = lambda: setattr(server, "should_exit", True)
    server.run()
    return uplink.RESTART_EXIT if uplink.restart_requested() else 0


def _open(url: str, build: Callable[[], T]) -> T:
    """``build()`` (which opens the database), its failure turned into one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from queue_core.store import opening

    try:
        return build()
    except SQLAlchemyError as exc:
        raise opening.DatabaseProblem(opening.explain(exc, url)) from exc


#: The staff pages (caller, lobby console, rating tablet) the engine serves beside its API.
PAGES = "counter_caller.pages"


def engine_app(config: BranchConfig, db_url: str, secret: bytes) -> FastAPI:
    """The engine as ``branchq serve`` runs it: the API, and the staff pages beside it."""
    from queue_core.api.app import create_app

    pages = importlib.import_module(PAGES).router
    return create_app(config, db_url, secret, pages=[pages])


def without_staffing(config: BranchConfig) -> BranchConfig:
    """The branch with the engine's own staffing look-ahead off (``--no-staffing``)."""
    staffing = config.staffing.model_copy(update={"enabled": False})
    return config.model_copy(update={"staffing": staffing})


def app_from_env() -> FastAPI:
    """The app factory uvicorn's worker processes import (``--factory``): the branch file
    from ``BRANCHQ_CONFIG`` (the demo branch when unset), the database from ``BRANCHQ_DB``,
    the secret from ``BRANCHQ_SECRET_FILE`` (see ``queue_core.security.load_secret``)."""
    from queue_core.api.app import install_log_redaction
    from queue_core.central.files import load_branch_config
    from queue_core.security import load_secret

    level = os.environ.get(LOG_LEVEL_ENV, "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    config = load_branch_config(os.environ.get(CONFIG_ENV) or None)
    config = config.with_public_url(os.environ.get(PUBLIC_URL_ENV) or None)
    if os.environ.get(STAFFING_ENV) == "off":
        config = without_staffing(config)
    return engine_app(config, os.environ.get(DB_ENV, DEFAULT_DB), load_secret())


def _uvicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    """What one engine process and a pool of workers run with alike: logging, the engine's
    protocols (a deadline for reading a request, direct event frames), websocket pings (a
    client that misses them reconnects with its last seq), a short shutdown."""
    from queue_core.api.server import REQUEST_TIMEOUT_ENV, uvicorn_protocols

    if args.request_timeout is not None:
        os.environ[REQUEST_TIMEOUT_ENV] = str(args.request_timeout)
    _raise_open_files_limit()
    return {
        "log_level": args.log_level,
        "access_log": args.access_log,
        "ws_ping_interval": 10,
        "ws_ping_timeout": 20,
        "timeout_graceful_shutdown": 3,
        **uvicorn_protocols(),
    }


def _raise_open_files_limit() -> None:
    """Every display, page and phone holds a connection, a file descriptor: take the hard
    limit (the systemd unit sets it with ``LimitNOFILE``) rather than the soft 1 024."""
    import contextlib
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):  # a hard limit we may not take
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _serve_workers(args: argparse.Namespace, branch_name: str) -> int:
    """Several uvicorn worker processes behind one port, each building the app from the
    environment (``app_from_env``); PostgreSQL LISTEN/NOTIFY carries each worker's events to
    the others' subscribers, and one elected writer takes every worker's writes
    (``queue_core.api.writer``)."""
    import uvicorn

    from queue_core.api.writer import SOCKET_ENV
    from queue_core.security import load_secret
    from queue_core.store import Store

    # Done once here, so the workers do not race: the secret file and the schema.
    load_secret()
    _open(args.db, lambda: Store(args.db)).dispose()
    if args.config:
        os.environ[CONFIG_ENV] = os.path.abspath(args.config)
    os.environ[DB_ENV] = args.db
    if args.public_url:
        os.environ[PUBLIC_URL_ENV] = args.public_url
    os.environ[LOG_LEVEL_ENV] = args.log_level
    os.environ["BRANCHQ_WORKER_POOL"] = "1"  # a new branch file restarts the pool (SIGHUP)
    # Fresh interpreters: the workers run on the C allocator, whose freed memory goes back to
    # the system when many streams leave (the systemd unit sets it for one process too).
    os.environ.setdefault("PYTHONMALLOC", "malloc")
    # The writer's socket (queue_core.api.writer), in a folder of the engine's user only.
    os.environ[SOCKET_ENV] = os.path.join(tempfile.mkdtemp(prefix="branchq-"), "writer.sock")
    if not args.staffing:
        os.environ[STAFFING_ENV] = "off"
    print(
        f"BranchQ engine for {branch_name} on http://{args.host}:{args.port} "
        f"({args.workers} workers, database {args.db.split('@')[-1]})",
        flush=True,
    )
    uvicorn.run(
        "queue_core.cli:app_from_env",
        factory=True,
        workers=args.workers,
        # uvicorn kills a worker that has not answered its ping in 5 s; one still importing
        # the app on a loaded machine takes longer, and was killed and restarted for ever.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        host=args.host,
        port=args.port,
        **_uvicorn_options(args),
    )
    return 0


#: How long a worker of ``serve --workers N`` may take to answer its supervisor's ping.
WORKER_HEALTHCHECK_S = 60


def _hash_pin(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="branchq hash-pin", description="Print a pin_hash for the branch file."
    )
    parser.parse_args(argv)
    from queue_core.security import hash_pin

    pin = getpass.getpass("PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        print("a PIN is 4 to 12 digits", file=sys.stderr)
        return 2
    print(hash_pin(pin))
    return 0


def _erase(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="branchq erase",
        description="Erase one customer's card from the engine's tickets, or one ticket's card "
        "(a customer's request under PIPL). The card number is read from standard input, "
        "never from the command line (ps and the shell's history would keep it).",
    )
    parser.add_argument("--engine", default="http://127.0.0.1:8080")
    parser.add_argument("--login", required=True, help="an admin's login (the PIN is asked)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--card", action="store_true", help="read the card number from stdin")
    what.add_argument("--ticket", metavar="ID", help="the ticket's id")
    args = parser.parse_args(argv)
    from queue_core.client import EngineClient, EngineError

    pin = os.environ.get("BRANCHQ_PIN") or getpass.getpass("PIN: ")
    body = {"card": sys.stdin.readline().strip()} if args.card else {"ticket_id": args.ticket}
    try:
        with EngineClient(args.engine) as client:
            client.login(args.login, pin)
            done = client.request("POST", "/privacy/erase", body)
    except EngineError as exc:
        print(f"branchq erase: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    print(f"erased from {done['erased']} ticket(s)")
    return 0


def _check_config(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="branchq check-config")
    parser.add_argument("config")
    args = parser.parse_args(argv)
    from queue_core.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for warning in config.warnings():
        print(f"{args.config}: warning: {warning}", file=sys.stderr)
    print(f"{args.config}: ok ({len(config.services)} services, {len(config.counters)} counters)")
    return 0


def _vapid_keys(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="branchq vapid-keys",
        description="Make the branch's Web Push (VAPID) key pair: the private key goes to FILE "
        "(owner-only), for [notify.push] vapid_private_key; the public key is printed.",
    )
    parser.add_argument("file")
    args = parser.parse_args(argv)
    from pathlib import Path

    from queue_core.notify.push import new_vapid_key

    try:
        public = new_vapid_key(Path(args.file))
    except FileExistsError:
        print(f"{args.file} exists: keep it (phones subscribed with it) or remove it first")
        return 2
    print(f"private key written to {args.file}\npublic key (applicationServerKey): {public}")
    return 0


BUILTIN: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "serve": (_serve, "run the queue engine (FastAPI on uvicorn)"),
    "hash-pin": (_hash_pin, "hash a staff PIN for the branch file"),
    "check-config": (_check_config, "validate a branch TOML file"),
    "erase": (_erase, "erase a customer's card (or one ticket's) from the engine's records"),
    "vapid-keys": (_vapid_keys, "make the branch's Web Push key pair"),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: branchq COMMAND [options]\n\ncommands:")
        for name, (_, text) in BUILTIN.items():
            print(f"  {name:<13} {text}")
        for name, (_, text) in PROGRAMS.items():
            print(f"  {name:<13} {text}")
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name in BUILTIN:
        return BUILTIN[name][0](rest)
    if name in PROGRAMS:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in our output
        module = importlib.import_module(PROGRAMS[name][0])
        result: int = module.main(rest)
        return result
    print(f"branchq: unknown command {name!r} (try branchq --help)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
