"""Who is calling and what they may do: tokens, staff logins, roles, rate limits.

Roles (API.md): kiosk issues tickets; display and sign read and subscribe; a teller acts on
its own counter; lobby does everything a teller can on any counter plus queue management;
admin everything. Added here: a ``sign`` device may act on the counters that have a hardware
keypad (``keypad_address``), as that counter's keypad; a ``rating`` device posts ratings for
its own counter.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, text

from queue_core.config import BranchConfig
from queue_core.domain.errors import Forbidden, InvalidInput, TooMany, Unauthorized
from queue_core.security import hash_pin, hash_token, new_token, verify_pin
from queue_core.store import Store
from queue_core.store.models import LoginFailure, RateBucket, SessionRow

STAFF_ROLES = frozenset({"teller", "lobby", "admin"})
MANAGERS = frozenset({"lobby", "admin"})
#: The PostgreSQL notification channel on which an ended session's token hash travels.
SESSIONS_CHANNEL = "branchq_sessions"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request."""

    kind: str  # "staff" | "device"
    name: str  # staff login or device name
    role: str
    counter: int | None = None

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS


def refill(tokens: float, stamp: float, now: float, rate_per_s: float, burst: int) -> float:
    """A token bucket's tokens at ``now``: refilled at ``rate_per_s`` since ``stamp``, capped."""
    return min(float(burst), tokens + max(0.0, now - stamp) * rate_per_s)


class RateLimiter:
    """A token bucket per caller: ``per_minute`` sustained, ``burst`` at once.

    The buckets live in the database and are taken inside the issuing transaction, so every
    worker of ``serve --workers N`` counts against the same bucket."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float], store: Store
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.store = store

    def take(self, who: str) -> None:
        """Spend one token of ``who``'s bucket or raise ``TooMany`` (inside a write job)."""
        now = self.clock()
        session = self.store.current().session
        bucket = session.get(RateBucket, who)
        if bucket is None:
            bucket = RateBucket(name=who, tokens=float(self.burst), stamp=now)
            session.add(bucket)
        tokens = refill(bucket.tokens, bucket.stamp, now, self.rate, self.burst)
        if tokens < 1:
            raise TooMany("too many tickets from this kiosk; wait a moment", "rate_limited")
        bucket.tokens, bucket.stamp = tokens - 1, now


class Access:
    """Authentication and authorization against the branch config and the sessions table."""

    SESSION_CACHE_S = 30.0

    def __init__(self, config: BranchConfig, store: Store, clock: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        # PIN hashes are computed on first use (scrypt is deliberately slow), then kept.
        self._staff = {s.login: s for s in config.staff}
        self._pins: dict[str, str] = {}
        self._devices = [(d.hashed_token(), d) for d in config.devices]
        self._sessions: dict[str, tuple[Principal, float, float]] = {}
        self._lock = threading.Lock()
        #: Told the token hash of each staff session that ends here or in another process
        #: (logout, expiry), from any thread: the event hub closes its streams.
        self.session_ended: list[Callable[[str], None]] = []
        rate = float(config.kiosk.get("rate_per_minute", 30))
        burst = int(config.kiosk.get("burst", 5))
        self.kiosk_limit = RateLimiter(rate, burst, clock, store)

    # Authentication
    def authenticate(self, token: str | None) -> Principal:
        """The principal of a bearer token, or ``Unauthorized``."""
        if not token:
            raise Unauthorized("missing bearer token", "unauthorized")
        digest = hash_token(token)
        found: Principal | None = None
        for stored, device in self._devices:  # constant time per comparison, all compared
            if hmac.compare_digest(stored, digest):
                found = Principal("device", device.name, device.role, device.counter)
        if found is not None:
            return found
        return self._session(digest)

    def _session(self, digest: str) -> Principal:
        now = self.clock()
        with self._lock:
            cached = self._sessions.get(digest)
        if cached and cached[2] > now and cached[1] > now:
            return cached[0]
        with self.store.read() as session:
            row = session.get(SessionRow, digest)
            if row is None or row.expires_at <= now:
                raise Unauthorized("the token is unknown or has expired", "unauthorized")
            principal = Principal("staff", row.login, row.role, row.counter)
            expires = row.expires_at
        with self._lock:
            self._sessions[digest] = (principal, expires, now + self.SESSION_CACHE_S)
        return principal

    def login(self, login: str, pin: str, counter: int | None) -> tuple[str, Principal]:
        """Check a staff PIN (with lockout after repeated failures) and open a session."""
        now = self.clock()
        sec = self.config.security
        with self.store.write() as uow:
            fail = uow.session.get(LoginFailure, login)
            if fail and fail.locked_until > now:
                wait = int(fail.locked_until - now) + 1
                raise TooMany(f"too many wrong PINs; try again in {wait} s", "login_locked")
        staff = self._staff.get(login)
        # An unknown login costs the same scrypt as a known one: no timing oracle.
        stored = self._pin_hash(login) if staff else self._pin_hash_for_unknown()
        if staff is None or not verify_pin(pin, stored):
            self._record_failure(login, now)
            raise Unauthorized("wrong login or PIN", "bad_credentials")
        if staff.role == "teller" and counter is None:
            raise InvalidInput("a teller logs in at a counter", "counter_required")
        if counter is not None and self.config.counter(counter) is None:
            raise InvalidInput(f"no counter {counter}", "unknown_counter")
        token = new_token()
        principal = Principal("staff", staff.login, staff.role, counter)
        with self.store.write() as uow:
            uow.session.execute(delete(LoginFailure).where(LoginFailure.login == login))
            uow.session.add(
                SessionRow(
                    token_hash=hash_token(token),
                    login=staff.login,
                    role=staff.role,
                    counter=counter,
                    created_at=now,
                    expires_at=now + sec.session_hours * 3600,
                )
            )
        return token, principal

    def _pin_hash(self, login: str) -> str:
        with self._lock:
            if login not in self._pins:
                self._pins[login] = self._staff[login].hashed_pin()
            return self._pins[login]

    def _pin_hash_for_unknown(self) -> str:
        with self._lock:
            if "" not in self._pins:
                self._pins[""] = hash_pin(new_token())
            return self._pins[""]

    def _record_failure(self, login: str, now: float) -> None:
        sec = self.config.security
        with self.store.write() as uow:
            fail = uow.session.get(LoginFailure, login)
            if fail is None:
                fail = LoginFailure(login=login, failures=0, locked_until=0.0, last_at=now)
                uow.session.add(fail)
            if now - fail.last_at > sec.lockout_s:
                fail.failures = 0
            fail.failures += 1
            fail.last_at = now
            if fail.failures >= sec.max_failed_logins:
                fail.locked_until = now + sec.lockout_s
                fail.failures = 0

    def failures(self, login: str) -> int:
        with self.store.read() as session:
            fail = session.get(LoginFailure, login)
            return fail.failures if fail else 0

    def logout(self, token: str) -> None:
        """End a staff session. With several engine processes on PostgreSQL the others drop
        it from their caches when this commits (``SESSIONS_CHANNEL``, see ``forget``)."""
        digest = hash_token(token)
        self.forget(digest)
        with self.store.write() as uow:
            uow.session.execute(delete(SessionRow).where(SessionRow.token_hash == digest))
            if not self.store.is_sqlite:
                uow.session.execute(
                    text("SELECT pg_notify(:channel, :digest)"),
                    {"channel": SESSIONS_CHANNEL, "digest": digest},
                )

    def forget(self, digest: str) -> None:
        """Drop a session from this process's cache (it was ended here or in another), and
        tell whoever holds something opened with it."""
        with self._lock:
            self._sessions.pop(digest, None)
        for listener in self.session_ended:
            listener(digest)

    def purge_expired(self) -> int:
        now = self.clock()
        with self.store.write() as uow:
            rows = uow.session.scalars(select(SessionRow).where(SessionRow.expires_at <= now))
            gone = []
            for row in rows:
                gone.append(row.token_hash)
                uow.session.delete(row)
        for digest in gone:
            self.forget(digest)
        return len(gone)


# Authorization: one function per kind of right, used by the endpoints.
def require(principal: Principal, *roles: str) -> None:
    if principal.role not in roles and principal.role != "admin":
        raise Forbidden(f"the {principal.role} role may not do this", "forbidden")


def require_counter(principal: Principal, counter: int, config: BranchConfig) -> None:
    """Act on a counter: its own teller, the sign device of the counter's keypad or evaluator,
    lobby, admin."""
    if principal.is_manager:
        return
    if principal.role == "teller" and principal.counter == counter:
        return
    if principal.role == "sign":
        c = config.counter(counter)
        if c is not None and (c.keypad_address, c.evaluator_address) != (None, None):
            return
    raise Forbidden(f"the {principal.role} role may not act on counter {counter}", "forbidden")


def require_staff(principal: Principal) -> None:
    if principal.role not in STAFF_ROLES:
        raise Forbidden("staff only", "forbidden")


def now_default() -> float:
    return time.time()
