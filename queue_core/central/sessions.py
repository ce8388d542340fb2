"""Who may use the head-office console: users of the centre's file, logged in with a password.

Roles: ``admin`` (every branch, and may send marquee texts), ``viewer`` (every branch, read
only), ``region`` (the branches of one region only). Passwords are kept as scrypt hashes;
session tokens only as SHA-256, in the central database (so a console restart keeps them);
five wrong passwords lock a login for five minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from queue_core.central.db import CentralDB
from queue_core.central.settings import CentralConfig, User
from queue_core.domain.errors import Forbidden, TooMany, Unauthorized
from queue_core.security import hash_token, new_token, verify_pin

MAX_FAILURES = 5
LOCKOUT_S = 300.0


@dataclass(frozen=True)
class Viewer:
    """The person behind a request."""

    login: str
    name: str
    role: str
    region: str

    def sees(self, region: str) -> bool:
        return self.role != "region" or region == self.region

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden("only a head-office admin may do this", "forbidden")


class Sessions:
    def __init__(self, config: CentralConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.failures: dict[str, tuple[int, float]] = {}
        self.cache: dict[str, tuple[str, float]] = {}  # token hash -> (login, expires)

    def _viewer(self, user: User) -> Viewer:
        return Viewer(user.login, user.name or user.login, user.role, user.region)

    async def login(self, db: CentralDB, login: str, password: str) -> tuple[str, Viewer]:
        now = self.clock()
        count, until = self.failures.get(login, (0, 0.0))
        if until > now:
            raise TooMany(
                f"too many wrong passwords: try again in {int(until - now) + 1} s",
                "login_locked",
            )
        user = self.config.user(login)
        ok = user is not None and await run_in_threadpool(verify_pin, password, user.password_hash)
        if not ok or user is None:
            count += 1
            locked = now + LOCKOUT_S if count >= MAX_FAILURES else 0.0
            self.failures[login] = (0 if locked else count, locked)
            raise Unauthorized("wrong login or password", "bad_credentials")
        self.failures.pop(login, None)
        token = new_token()
        expires = now + self.config.central.session_hours * 3600
        await db.conn.execute(
            "INSERT INTO sessions (token_hash, login, expires_at) VALUES (%s, %s, %s)",
            (hash_token(token), login, expires),
        )
        await db.conn.execute("DELETE FROM sessions WHERE expires_at < %s", (now,))
        await db.conn.commit()
        self.cache[hash_token(token)] = (login, expires)
        return token, self._viewer(user)

    def cached(self, token: str | None) -> Viewer | None:
        """The viewer of a token seen before, without asking the database (most requests)."""
        found = self.cache.get(hash_token(token)) if token else None
        user = self.config.user(found[0]) if found else None
        if found is None or user is None or found[1] < self.clock():
            return None
        return self._viewer(user)

    async def viewer(self, db: CentralDB, token: str | None) -> Viewer:
        if not token:
            raise Unauthorized("log in first", "unauthorized")
        digest = hash_token(token)
        found = self.cache.get(digest)
        if found is None:
            cur = await db.conn.execute(
                "SELECT login, expires_at FROM sessions WHERE token_hash = %s", (digest,)
            )
            row = await cur.fetchone()
            await db.conn.rollback()
            if row is not None:
                found = (str(row[0]), float(row[1]))
                self.cache[digest] = found
        user = self.config.user(found[0]) if found else None
        if found is None or found[1] < self.clock() or user is None:
            raise Unauthorized("the session has ended: log in again", "unauthorized")
        return self._viewer(user)

    async def logout(self, db: CentralDB, token: str) -> None:
        digest = hash_token(token)
        self.cache.pop(digest, None)
        await db.conn.execute("DELETE FROM sessions WHERE token_hash = %s", (digest,))
        await db.conn.commit()
