"""Who is calling and what they may do: tokens, staff logins, roles, rate limits.

Roles (docs/api-v1.md): kiosk issues tickets; display and sign read and subscribe; a teller acts on
its own counter; lobby does everything a teller can on any counter plus queue management;
admin everything. Added here: a ``sign`` device may act on the counters that have a hardware
keypad (``keypad_address``), as that counter's keypad; a ``rating`` device posts ratings for
its own counter.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from queue_core.config import BranchConfig, SecuritySettings
from queue_core.domain.errors import Forbidden, InvalidInput, TooMany, Unauthorized
from queue_core.security import hash_pin, hash_token, new_token, verify_pin
from queue_core.store import Store
from queue_core.store.models import LoginFailure, SessionRow

log = logging.getLogger(__name__)
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


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket per caller: ``per_minute`` sustained, ``burst`` at once.

    The buckets live in the database and are taken inside the issuing transaction
    (``IssueTicket``), so every worker of ``serve --workers N`` counts against the same one."""

    per_minute: float
    burst: int

    def take(self, bucket: tuple[float, float] | None, now: float) -> tuple[float, float]:
        """The bucket ``(tokens, stamp)`` after spending one token at ``now`` (a new bucket
        starts full), or ``TooMany``."""
        if bucket is None:
            tokens = float(self.burst)
        else:
            tokens = refill(bucket[0], bucket[1], now, self.per_minute / 60.0, self.burst)
        if tokens < 1:
            raise TooMany("too many tickets from this kiosk; wait a moment", "rate_limited")
        return tokens - 1, now


class HealthReportLimit:
    """How often a device may report its health: a token bucket per device (``per_minute``
    sustained, ``burst`` at once), kept in this process's memory.

    Kiosks stand in the public hall, so their token is the easiest to steal. A refused report
    must cost nothing: these buckets are checked before any transaction (a flood of refusals
    taking the write lock would hold up call-next), which is why they are not rows like the
    kiosk's ticket buckets. With ``serve --workers N`` each worker counts on its own, so a
    device gets at most N times the rate. Real devices report on a change and every 30 s."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, device: str) -> None:
        """Spend one of the device's reports or raise ``TooMany``."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.get(device, (float(self.burst), now))
            tokens = refill(tokens, stamp, now, self.rate, self.burst)
            if tokens < 1:
                wait = max(1, math.ceil((1 - tokens) / self.rate - 1e-9))
                raise TooMany(
                    f"too many health reports from {device}; send the next in {wait} s",
                    "health_reports_too_often",
                )
            self._buckets[device] = (tokens - 1, now)


class LoginThrottle:
    """Wrong PINs slow down the client that types them, not the teller.

    Two attacks pull against each other: guessing a 4-digit PIN (10 000 tries) wants a login
    locked after a few failures; locking a login lets anyone in the hall keep a teller out
    with a wrong PIN a minute. So failures are counted per *client* of a login (the scheme
    of OWASP's "device cookies"):

    - a client that has logged in as this login before holds a **device key** (a cookie the
      engine signed with the branch secret for that login); its failures count in a bucket
      of its own (``device:<nonce>``);
    - every other client shares the login's **untrusted** bucket (keyed by the login).

    Each bucket locks after ``max_failed_logins`` failures, for ``lockout_s``, then 4 times
    longer at each further lock (capped at a day); a success empties a device's bucket, and
    a bucket left alone for a day is forgotten. An attacker without the teller's device key
    locks only the untrusted bucket: the teller at their own counter logs in as usual. And
    all the untrusted clients together get about 25 guesses a day (5 + 5 + … before locks of
    5, 20, 80, 320 and 1 280 minutes): a 4-digit PIN holds for years, and each lock is logged
    for the IT department. A login that does not exist is never stored (a PIN typed into the
    login field must not end up in the database).
    """

    ESCALATION = 4
    MAX_LOCK_S = 24 * 3600.0
    FORGET_S = 24 * 3600.0
    DEVICE_PREFIX = "device:"

    def __init__(self, settings: SecuritySettings, secret: bytes) -> None:
        self.settings = settings
        self._key = hmac.new(secret, b"branchq device keys", "sha256").digest()

    def new_device_key(self, login: str) -> str:
        nonce = secrets.token_hex(8)
        return f"{nonce}.{self._mac(login, nonce)}"

    def _mac(self, login: str, nonce: str) -> str:
        return hmac.new(self._key, f"{login}\x00{nonce}".encode(), "sha256").hexdigest()[:32]

    def bucket(self, login: str, device: str | None) -> str:
        """The bucket this attempt counts in: the device's, if its key is genuine for this
        login, else the login's untrusted one."""
        if device and device.count(".") == 1:
            nonce, mac = device.split(".")
            if len(nonce) == 16 and hmac.compare_digest(mac, self._mac(login, nonce)):
                return self.DEVICE_PREFIX + nonce
        return login

    def locked_for(self, session: Session, bucket: str, now: float) -> int:
        """Whole seconds the bucket stays locked (0: not locked)."""
        row = session.get(LoginFailure, bucket)
        if row is None or row.locked_until <= now:
            return 0
        return int(row.locked_until - now) + 1

    def failed(self, session: Session, login: str, bucket: str, now: float) -> None:
        row = session.get(LoginFailure, bucket)
        if row is None:
            row = LoginFailure(login=bucket, failures=0, locked_until=0.0, last_at=now)
            session.add(row)
        if now - row.last_at > self.FORGET_S:
            row.failures = 0
        row.failures += 1
        row.last_at = now
        per_lock = self.settings.max_failed_logins
        if row.failures % per_lock == 0:
            locks = row.failures // per_lock
            lock = min(self.MAX_LOCK_S, self.settings.lockout_s * self.ESCALATION ** (locks - 1))
            row.locked_until = now + lock
            who = "one known client" if bucket.startswith(self.DEVICE_PREFIX) else "other clients"
            log.warning(
                "login %s locked for %s for %d s after %d wrong PINs",
                login,
                who,
                lock,
                row.failures,
            )

    def succeeded(self, session: Session, bucket: str) -> None:
        if bucket.startswith(self.DEVICE_PREFIX):
            session.execute(delete(LoginFailure).where(LoginFailure.login == bucket))

    def purge(self, session: Session, now: float) -> None:
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.last_at < now - self.FORGET_S, LoginFailure.locked_until < now
            )
        )


class Access:
    """Authentication and authorization against the branch config and the sessions table."""

    SESSION_CACHE_S = 30.0

    def __init__(
        self,
        config: BranchConfig,
        store: Store,
        clock: Callable[[], float],
        secret: bytes | None = None,
    ) -> None:
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
        self.throttle = LoginThrottle(config.security, secret or secrets.token_bytes(32))
        rate = float(config.kiosk.get("rate_per_minute", 30))
        burst = int(config.kiosk.get("burst", 5))
        self.kiosk_limit = RateLimit(rate, burst)
        self.health_limit = HealthReportLimit(
            config.security.health_reports_per_minute, config.security.health_report_burst, clock
        )

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

    def login(
        self, login: str, pin: str, counter: int | None, device: str | None = None
    ) -> tuple[str, Principal, str]:
        """Check a staff PIN and open a session; return the session token, the principal and
        a fresh device key for the client to keep (see ``LoginThrottle``)."""
        now = self.clock()
        sec = self.config.security
        staff = self._staff.get(login)
        bucket = self.throttle.bucket(login, device)
        if staff is not None:
            with self.store.read() as session:
                wait = self.throttle.locked_for(session, bucket, now)
            if wait > 0:
                raise TooMany(f"too many wrong PINs; try again in {wait} s", "login_locked", wait)
        # An unknown login costs the same scrypt as a known one: no timing oracle.
        stored = self._pin_hash(login) if staff else self._pin_hash_for_unknown()
        if staff is None or not verify_pin(pin, stored):
            if staff is not None:  # what was typed as an unknown login is never stored
                with self.store.write() as uow:
                    self.throttle.failed(uow.session, login, bucket, now)
            raise Unauthorized("wrong login or PIN", "bad_credentials")
        if staff.role == "teller" and counter is None:
            raise InvalidInput("a teller logs in at a counter", "counter_required")
        if counter is not None and self.config.counter(counter) is None:
            raise InvalidInput(f"no counter {counter}", "unknown_counter")
        token = new_token()
        principal = Principal("staff", staff.login, staff.role, counter)
        with self.store.write() as uow:
            self.throttle.succeeded(uow.session, bucket)
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
        return token, principal, self.throttle.new_device_key(staff.login)

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

    def failures(self, login: str, device: str | None = None) -> int:
        """Wrong PINs in a row counted against this login from this client."""
        with self.store.read() as session:
            fail = session.get(LoginFailure, self.throttle.bucket(login, device))
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
        with self.store.write() as uow:
            self.throttle.purge(uow.session, now)
        return len(gone)


# Authorization: one function per kind of right, used by the endpoints.
def require(principal: Principal, *roles: str) -> None:
    if principal.role not in roles and principal.role != "admin":
        raise Forbidden(f"the {principal.role} role may not do this", "forbidden")


#: What a teller's keypad can press (``drivers/serial/keypad.py``): a signs agent may do these
#: and no other counter action (no calling a given number, closing, taking over).
KEYPAD_ACTIONS = frozenset(
    {"call-next", "recall", "start", "skip", "finish", "transfer", "pause", "resume", "open"}
)


def require_counter(
    principal: Principal, counter: int, config: BranchConfig, action: str | None = None
) -> None:
    """Act on a counter: its own teller; lobby, admin; and a signs agent, as the keypad of
    a counter on its own bus, for what a keypad can press (``action``)."""
    if principal.is_manager:
        return
    if principal.role == "teller" and principal.counter == counter:
        return
    if principal.role == "sign":
        c = config.counter(counter)
        keypad = c is not None and c.keypad_address is not None
        if keypad and counter in config.bus_counters(principal.name):
            if action is None or action in KEYPAD_ACTIONS:
                return
            raise Forbidden(f"a keypad has no {action!r} key (counter {counter})", "forbidden")
    raise Forbidden(f"the {principal.role} role may not act on counter {counter}", "forbidden")


def rating_counters(principal: Principal, config: BranchConfig) -> frozenset[int] | None:
    """The counters whose finished tickets this caller may rate (None: any counter).

    The customer rates, never the teller who served them: the counter's rating tablet, and
    the keypads and evaluators of a signs agent's bus; the lobby manager may enter a rating a
    customer gave by word. A teller gets ``Forbidden``, also for ``finish {rating}``."""
    if principal.is_manager:
        return None
    if principal.role == "rating" and principal.counter is not None:
        return frozenset({principal.counter})
    if principal.role == "sign":
        return config.bus_counters(principal.name)
    if principal.role == "teller":
        raise Forbidden(
            "a teller cannot rate their own customer: the customer rates on the counter's "
            "tablet or evaluation keys",
            "rating_by_customer_only",
        )
    raise Forbidden(f"the {principal.role} role may not rate", "forbidden")


def require_staff(principal: Principal) -> None:
    if principal.role not in STAFF_ROLES:
        raise Forbidden("staff only", "forbidden")


def require_device(principal: Principal) -> None:
    if principal.kind != "device":
        raise Forbidden("only devices report their health", "forbidden")


def acting_teller(principal: Principal) -> str | None:
    """The teller acting, who then holds the counter; the lobby manager, an admin and a keypad
    act on a counter without holding it (``domain.counters``)."""
    return principal.name if principal.role == "teller" else None


def now_default() -> float:
    return time.time()
