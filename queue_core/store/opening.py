"""Opening the database for an engine: a URL BranchQ can use, a one-line reason when it cannot
be opened, and one engine per SQLite file, held for the engine's life.

Two engines on one SQLite file would keep numbers unique (the write transaction is the
database's) but each pushes events only to its own subscribers: a display on one would miss the
calls made on the other. So ``branchq serve`` takes an exclusive ``flock`` on ``FILE.lock``
beside the database and keeps it until it exits; the kernel drops it when the process ends,
even on ``kill -9``, so a crash never leaves a stale lock. PostgreSQL needs none: its engines
share one event stream (``serve --workers N``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy import exc as sa
from sqlalchemy.engine import make_url

#: What ``--db`` may be, as the command line says it.
KINDS = "sqlite:///FILE.db or postgresql+psycopg://USER@HOST/DBNAME"


class DatabaseProblem(Exception):
    """The database cannot be used; ``str()`` is one line: what is wrong and what to type."""


class EngineAlreadyRunning(DatabaseProblem):
    """Another engine holds the database; ``str()`` says which and what to do."""


def check_url(url: str) -> None:
    """Refuse, with what to type instead, a URL the engine cannot open."""
    try:
        parsed = make_url(url)
    except sa.ArgumentError:
        raise DatabaseProblem(f"--db {url!r} is not a database URL: give {KINDS}") from None
    driver = parsed.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg2"):
        fixed = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
        raise DatabaseProblem(
            f"--db {driver}://… is not a driver BranchQ ships: PostgreSQL goes through psycopg 3, "
            f"so write --db {fixed}"
        )
    if driver not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise DatabaseProblem(f"--db {driver}://… is not a database BranchQ runs on: give {KINDS}")


def explain(error: Exception, url: str) -> str:
    """One line for an error met opening the database (no traceback, no password)."""
    shown = make_url(url).render_as_string(hide_password=True)
    cause = error.orig if isinstance(error, sa.DBAPIError) and error.orig is not None else error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0].rstrip(".")
    hint = (
        "Is the folder there and writable?"
        if shown.startswith("sqlite")
        else "Is PostgreSQL running there, and are the user, password and database right?"
    )
    return f"cannot open the database {shown}: {reason}. {hint}"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


class EngineLock:
    """An exclusive lock on ``<database>.lock`` with the holder's process id in it."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> EngineLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseProblem(
                f"cannot open the database {self.database}: {exc.strerror} ({self.path}). "
                "Is the folder there and writable?"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise EngineAlreadyRunning(
                f"another engine already runs on {self.database} (process {holder}); devices "
                "on one engine would miss the other's calls. Stop it first, or give this "
                "engine its own database (--db sqlite:///OTHER.db)."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> EngineLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
