"""The branch's TOML file, validated into settings.

Every error names the key and the line, e.g.
``branch.toml:57: counters[3].services[1]: unknown service 'X' (known: A, B, C)``.
PINs may be given in clear (``pin``, hashed on load and never kept) or as ``pin_hash``
(``branchq hash-pin``). Device tokens likewise: ``token`` or ``token_hash``.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from queue_core.domain.appointments import AppointmentRules
from queue_core.domain.care import PENSION_DAYS, CareDefault
from queue_core.domain.counters import default_name, default_name_en
from queue_core.domain.remote import RemoteRules
from queue_core.domain.routing import CounterView, Policy, PolicyKind, ServiceLevel
from queue_core.domain.staffing import StaffingRules
from queue_core.security import hash_pin, hash_token

CODE = r"^[A-Za-z][A-Za-z0-9_-]{0,15}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BranchInfo(_Strict):
    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1)
    name_en: str = ""
    bank: str = ""
    bank_en: str = ""
    timezone: str = "Asia/Shanghai"
    languages: list[Literal["zh", "en"]] = ["zh"]
    opening: str = "09:00"
    closing: str = "17:00"
    public_url: str = ""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("opening", "closing")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("expected HH:MM")
        return value

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// address, e.g. https://q.branch.bank")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("a base address has no query, fragment or login")
        return value.rstrip("/")

    def public_url_warning(self) -> str | None:
        """Why phones cannot reach the pages the tickets' QR codes open, or None when they can."""
        if not self.public_url:
            return (
                "[branch] public_url is not set: the QR codes point at the address the kiosk uses "
                "for the engine, which a customer's phone may not reach; set it to the address "
                "phones on the branch network use (e.g. https://q.branch.bank)"
            )
        host = urlsplit(self.public_url).hostname or ""
        if host == "localhost" or host.endswith(".localhost") or _is_loopback(host):
            return (
                f"[branch] public_url {self.public_url} is a loopback address: a customer's "
                "phone cannot open it; set the address phones on the branch network use"
            )
        return None


class TargetSettings(_Strict):
    """A service-level target: ``share`` of a class called within ``within_min`` minutes.

    The class is the green channel (``green_channel = true``) or the tickets of ``tiers``
    (every tier when empty) outside it (``green_channel = false``, the default when tiers are
    given) or in and out of it."""

    name: str = Field(min_length=1, max_length=40)
    name_en: str = ""
    within_min: float = Field(gt=0, le=600)
    share: float = Field(default=0.8, gt=0, le=1)
    tiers: list[str] = []
    green_channel: bool | None = None

    def level(self) -> ServiceLevel:
        green = self.green_channel
        if green is None and self.tiers:
            green = False
        return ServiceLevel(
            name=self.name_en or self.name,
            within_s=self.within_min * 60.0,
            share=self.share,
            tiers=tuple(self.tiers),
            green_channel=green,
        )


class RoutingSettings(_Strict):
    policy: PolicyKind = PolicyKind.AGING
    aging_rate: float = Field(default=1.0, ge=0)
    tier_step: float = Field(default=8.0, ge=0)
    green_bonus: float = Field(default=20.0, ge=0)
    preference_step: float = Field(default=3.0, ge=0)
    #: The ``sla`` policy's bound: whoever has waited this long goes first, oldest first.
    longest_wait_min: float = Field(default=30.0, gt=0, le=600)
    #: Service-level targets per class, first match wins (list the green channel first).
    targets: list[TargetSettings] = []

    def policy_object(self) -> Policy:
        return Policy(
            kind=self.policy,
            aging_rate=self.aging_rate,
            tier_step=self.tier_step,
            green_bonus=self.green_bonus,
            preference_step=self.preference_step,
            targets=tuple(t.level() for t in self.targets),
            longest_wait_s=self.longest_wait_min * 60.0,
        )


class ServiceSettings(_Strict):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1)
    name_en: str = ""
    prefix: str | None = Field(default=None, pattern=r"^[A-Z]{1,3}$")
    expected_service_s: float = Field(default=180.0, gt=0)

    @property
    def ticket_prefix(self) -> str:
        return self.prefix or self.code


class TierSettings(_Strict):
    code: str = Field(pattern=CODE)
    name: str = ""
    name_en: str = ""
    rank: int = Field(ge=0, le=100)


class CardTier(_Strict):
    prefix: str = Field(pattern=r"^\d{1,19}$")
    tier: str


class CounterSettings(_Strict):
    number: int = Field(ge=1, le=999)
    name: str = ""
    name_en: str = ""
    services: list[str] = Field(min_length=1)
    prefers_green: bool = False
    #: Services its teller can also take when the staffing advice asks (beyond ``services``).
    may_take: list[str] = []
    sign_address: int | None = Field(default=None, ge=0, le=255)
    # a wired keypad's bus address (1–254), or a wireless remote's 20–28-bit ID (rflink)
    keypad_address: int | None = Field(default=None, ge=0, le=0xFFFFFFF)
    evaluator_address: int | None = Field(default=None, ge=0, le=0xFFFFFFF)  # 评价器

    @property
    def display_name(self) -> str:
        """The counter's name, by default "N号窗口"."""
        return self.name or default_name(self.number)

    @property
    def display_name_en(self) -> str:
        """The counter's English name, by default "Counter N"."""
        return self.name_en or default_name_en(self.number)

    def view(self) -> CounterView:
        return CounterView(self.number, tuple(self.services), self.prefers_green)


class StaffSettings(_Strict):
    login: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    name: str = ""
    pin: str | None = Field(default=None, pattern=r"^\d{4,12}$", repr=False)
    pin_hash: str | None = None
    role: Literal["teller", "lobby", "admin"]

    @model_validator(mode="after")
    def _one_pin(self) -> StaffSettings:
        if (self.pin is None) == (self.pin_hash is None):
            raise ValueError("give exactly one of pin or pin_hash")
        return self

    def hashed_pin(self) -> str:
        return self.pin_hash or hash_pin(self.pin or "")


class DeviceSettings(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    role: Literal["kiosk", "display", "sign", "rating"]
    token: str | None = Field(default=None, min_length=8, repr=False)
    token_hash: str | None = None
    counter: int | None = None
    #: A signs agent: the counters whose keypads and evaluators are on its bus (default: every
    #: counter that has one, the usual one bus per branch). It acts on no other counter.
    counters: list[int] | None = None

    @model_validator(mode="after")
    def _one_token(self) -> DeviceSettings:
        if (self.token is None) == (self.token_hash is None):
            raise ValueError("give exactly one of token or token_hash")
        if self.role == "rating" and self.counter is None:
            raise ValueError("a rating device needs counter = N")
        return self

    def hashed_token(self) -> str:
        return self.token_hash or hash_token(self.token or "")


class StaffingSettings(_Strict):
    """``[staffing]``: the target the advice keeps the hall to, and how it is looked for."""

    #: At most this share of customers should wait longer than ``over_min`` minutes.
    max_over_share: float = Field(default=0.15, gt=0, lt=1)
    over_min: float = Field(default=3.0, gt=0, le=60)
    #: The bound beside the share, per hour: the mean wait and the longest wait (minutes) the
    #: day plan and the advice to close a counter must keep to.
    max_mean_min: float = Field(default=2.0, gt=0, le=120)
    max_longest_min: float = Field(default=20.0, gt=0, le=480)
    #: Minutes between an advice and the change being made (a teller reaching the counter).
    reaction_min: float = Field(default=10.0, ge=0, le=120)
    #: How often the engine looks ahead, in seconds (off the write path).
    every_s: float = Field(default=60.0, ge=10, le=3600)
    enabled: bool = True

    def rules(self) -> StaffingRules:
        return StaffingRules(
            max_over_share=self.max_over_share,
            over_s=self.over_min * 60.0,
            reaction_s=self.reaction_min * 60.0,
            max_mean_s=self.max_mean_min * 60.0,
            max_longest_s=self.max_longest_min * 60.0,
        )


class CareSettings(_Strict):
    """``[care]``: the kiosk's care mode for the elderly and the disabled (no age is asked)."""

    #: When the kiosk's first screen is in care mode: never, on pension days, or always.
    kiosk_default: CareDefault = CareDefault.PENSION_DAYS
    pension_days: list[int] = Field(default=list(PENSION_DAYS), max_length=31)
    #: The services care mode offers, in order (at most 4; empty: the first open ones).
    kiosk_services: list[str] = Field(default=[], max_length=4)
    #: A customer asking at the kiosk for the green channel (priority care): "confirm" (the
    #: lobby manager confirms it on the console) or "kiosk" (granted when asked).
    green_channel: Literal["confirm", "kiosk"] = "confirm"

    @field_validator("pension_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        bad = [d for d in value if not 1 <= d <= 31]
        if bad:
            raise ValueError(f"days of the month run from 1 to 31, not {bad[0]}")
        return value


class SecuritySettings(_Strict):
    max_failed_logins: int = Field(default=5, ge=1)
    lockout_s: int = Field(default=300, ge=1)
    session_hours: float = Field(default=14.0, gt=0)
    #: Each device's health reports (``POST /devices/health``): sustained and at once.
    health_reports_per_minute: float = Field(default=12.0, gt=0)
    health_report_burst: int = Field(default=10, ge=1)


class PrivacySettings(_Strict):
    """``[privacy]``: how long the engine keeps what identifies a customer (PIPL, JR/T 0171)."""

    #: Days a ticket keeps the keyed hash of the card that raised its tier; then it is erased.
    card_hash_days: int = Field(default=90, ge=1, le=3650)


class UplinkSettings(_Strict):
    """The branch's link to the head office (``queue_core.central``): absent, the branch runs
    on its own."""

    #: The branch's own NATS server (a leaf node of the centre's cluster).
    nats_url: str = "nats://127.0.0.1:4222"
    #: The centre's JetStream domain.
    domain: str = Field(default="central", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    #: The centre's file-signing public key (Ed25519, hex): only files it signed are applied.
    verify_key: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    #: Where received and applied branch files are kept (relative to the working folder).
    files_dir: str = "central"
    #: Events per batch sent up, and how often the log is looked at and the status exchanged.
    batch: int = Field(default=500, ge=1, le=5000)
    poll_s: float = Field(default=0.5, gt=0)
    status_s: float = Field(default=5.0, gt=0)


class PushSettings(_Strict):
    """Web Push with the branch's VAPID key pair (``branchq vapid-keys FILE`` makes one)."""

    vapid_private_key: str = Field(min_length=1)
    subject: str = Field(pattern=r"^(mailto:[^@\s]+@[^@\s]+\.[^@\s]+|https://\S+)$")
    #: Push services a subscription may point at (host names; ``*.`` for a domain).
    services: list[str] = [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "web.push.apple.com",
        "*.notify.windows.com",
    ]
    timeout_s: float = Field(default=5.0, gt=0, le=30)
    #: Also accept subscriptions of a push service on this machine over plain http (a test
    #: push service; never on a branch server).
    allow_loopback: bool = False


class SmsSettings(_Strict):
    """SMS through Tencent Cloud SMS (API 3.0 ``SendSms``); the key is read from a file."""

    provider: Literal["tencent"] = "tencent"
    secret_id: str = Field(min_length=1)
    secret_key_file: str = Field(min_length=1)
    sdk_app_id: str = Field(pattern=r"^\d{6,20}$")
    sign_name: str = Field(min_length=1)
    #: Approved templates: "next" gets {1} number, {2} people ahead; "called" {1} number,
    #: {2} counter.
    template_next: str = Field(pattern=r"^\d{1,20}$")
    template_called: str = Field(pattern=r"^\d{1,20}$")
    #: An appointment's reminder: {1} service, {2} the window's start (HH:MM). Without it,
    #: appointments are reminded by Web Push only.
    template_reminder: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    region: str = "ap-guangzhou"
    endpoint: str = "https://sms.tencentcloudapi.com"
    timeout_s: float = Field(default=3.0, gt=0, le=30)
    #: At most this many messages to one number per business day.
    per_number_per_day: int = Field(default=6, ge=1, le=50)


class NotifySettings(_Strict):
    """ "You're next": a customer who opted in is told when ``ahead`` are before them, and when
    called. Each channel is on only when configured."""

    ahead: int = Field(default=3, ge=0, le=50)
    #: How long before its window a customer who opted in on the appointment's page is
    #: reminded of it (once).
    remind_minutes: float = Field(default=30, ge=5, le=24 * 60)
    push: PushSettings | None = None
    sms: SmsSettings | None = None


class RemoteSettings(_Strict):
    """Tickets taken from a phone before arriving (``domain.remote``): off unless enabled."""

    enabled: bool = False
    #: A remote ticket's place in time when checked in: the check-in, or the taking.
    place: Literal["check_in", "taking"] = "check_in"
    valid_minutes: float = Field(default=90, gt=0, le=12 * 60)
    per_browser_open: int = Field(default=1, ge=1, le=5)
    per_browser_per_day: int = Field(default=3, ge=1, le=20)
    per_hour: int = Field(default=60, ge=1, le=10_000)
    #: The most of a service's queue (waiting and on the way) that may be remote tickets.
    max_share: float = Field(default=0.3, gt=0, le=1)
    min_allowed: int = Field(default=3, ge=0, le=100)
    #: How often the check-in code the kiosk and the door show changes.
    door_period_s: float = Field(default=120, ge=30, le=3600)

    def rules(self) -> RemoteRules:
        return RemoteRules(
            enabled=self.enabled,
            place=self.place,
            valid_s=self.valid_minutes * 60,
            per_browser_open=self.per_browser_open,
            per_browser_per_day=self.per_browser_per_day,
            per_hour=self.per_hour,
            max_share=self.max_share,
            min_allowed=self.min_allowed,
            door_period_s=self.door_period_s,
        )


class AppointmentSettings(_Strict):
    """Booked windows for one service (``domain.appointments``, docs/appointments.md): the
    lobby books them always; the phone page only where ``phone`` is on."""

    #: Whether customers may book from the branch's phone page.
    phone: bool = False
    #: The services that take appointments (none listed: every service).
    services: list[str] = []
    slot_minutes: float = Field(default=30, ge=5, le=240)
    per_slot: int = Field(default=4, ge=1, le=100)
    early_minutes: float = Field(default=15, ge=0, le=120)
    late_minutes: float = Field(default=0, ge=0, le=120)
    head_start_min: float = Field(default=15, ge=0, le=120)
    book_ahead_days: int = Field(default=7, ge=1, le=60)
    book_until_minutes: float = Field(default=60, ge=0, le=48 * 60)
    #: Appointments one phone may hold booked at a time.
    per_browser: int = Field(default=2, ge=1, le=10)

    def rules(self) -> AppointmentRules:
        return AppointmentRules(
            slot_s=self.slot_minutes * 60,
            per_slot=self.per_slot,
            early_s=self.early_minutes * 60,
            late_s=self.late_minutes * 60,
            head_start_s=self.head_start_min * 60,
            book_ahead_days=self.book_ahead_days,
            book_until_s=self.book_until_minutes * 60,
        )


class BranchConfig(_Strict):
    """The whole validated branch file."""

    branch: BranchInfo
    routing: RoutingSettings = RoutingSettings()
    staffing: StaffingSettings = StaffingSettings()
    security: SecuritySettings = SecuritySettings()
    privacy: PrivacySettings = PrivacySettings()
    care: CareSettings = CareSettings()
    notify: NotifySettings = NotifySettings()
    remote: RemoteSettings = RemoteSettings()
    appointments: AppointmentSettings = AppointmentSettings()
    services: list[ServiceSettings] = Field(min_length=1)
    tiers: list[TierSettings] = [TierSettings(code="normal", rank=0)]
    card_tiers: list[CardTier] = []
    counters: list[CounterSettings] = Field(min_length=1)
    staff: list[StaffSettings] = []
    devices: list[DeviceSettings] = []
    # Sections owned by the device programs, passed through to them by GET /branch.
    kiosk: dict[str, Any] = {}
    display: dict[str, Any] = {}
    voice: dict[str, Any] = {}
    printer: dict[str, Any] = {}
    signs: dict[str, Any] = {}
    rating: dict[str, Any] = {}
    uplink: UplinkSettings | None = None

    @model_validator(mode="after")
    def _references(self) -> BranchConfig:
        if self.uplink is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", self.branch.code):
            raise _RefError(
                ("branch", "code"),
                "a branch with an uplink needs a code of letters, digits, '-' or '_'",
            )
        _unique("services", [s.code for s in self.services])
        _unique("services", [s.ticket_prefix for s in self.services], what="prefix")
        _unique("tiers", [t.code for t in self.tiers])
        _unique("counters", [c.number for c in self.counters], what="number")
        _unique("staff", [s.login for s in self.staff], what="login")
        _unique("devices", [d.name for d in self.devices], what="name")
        known = {s.code for s in self.services}
        for i, counter in enumerate(self.counters):
            for key in ("services", "may_take"):
                for j, code in enumerate(getattr(counter, key)):
                    if code not in known:
                        raise _RefError(
                            ("counters", i, key, j),
                            f"unknown service {code!r} (known: {', '.join(sorted(known))})",
                        )
        for j, code in enumerate(self.care.kiosk_services):
            if code not in known:
                raise _RefError(("care", "kiosk_services", j), f"unknown service {code!r}")
        tiers = {t.code for t in self.tiers}
        self._check_targets(tiers)
        for i, rule in enumerate(self.card_tiers):
            if rule.tier not in tiers:
                raise _RefError(("card_tiers", i, "tier"), f"unknown tier {rule.tier!r}")
        for i, code in enumerate(self.appointments.services):
            if code not in known:
                raise _RefError(
                    ("appointments", "services", i),
                    f"unknown service {code!r} (known: {', '.join(sorted(known))})",
                )
        numbers = {c.number for c in self.counters}
        for i, device in enumerate(self.devices):
            if device.counter is not None and device.counter not in numbers:
                raise _RefError(("devices", i, "counter"), f"unknown counter {device.counter}")
            for j, number in enumerate(device.counters or ()):
                if number not in numbers:
                    raise _RefError(("devices", i, "counters", j), f"unknown counter {number}")
        return self

    def bus_counters(self, device: str) -> frozenset[int]:
        """The counters a signs agent drives the keypad or evaluator of (see ``counters``)."""
        found = next((d for d in self.devices if d.name == device), None)
        wired = {
            c.number
            for c in self.counters
            if c.keypad_address is not None or c.evaluator_address is not None
        }
        if found is None or found.counters is None:
            return frozenset(wired)
        return frozenset(wired & set(found.counters))

    def _check_targets(self, tiers: set[str]) -> None:
        for i, target in enumerate(self.routing.targets):
            for j, code in enumerate(target.tiers):
                if code not in tiers:
                    raise _RefError(
                        ("routing", "targets", i, "tiers", j),
                        f"unknown tier {code!r} (known: {', '.join(sorted(tiers))})",
                    )
        # Routing keeps each (service, tier rank) group in arrival order, so tiers that share
        # a rank must share a target.
        policy = self.routing.policy_object()
        for rank in {t.rank for t in self.tiers}:
            same = [t.code for t in self.tiers if t.rank == rank]
            for green in (False, True):
                levels = {policy.level_for(code, green) for code in same}
                if len(levels) > 1:
                    raise _RefError(
                        ("routing", "targets"),
                        f"tiers {', '.join(same)} share rank {rank} but not a target",
                    )

    # Lookups used across the engine.
    def service(self, code: str) -> ServiceSettings | None:
        return next((s for s in self.services if s.code == code), None)

    def takes_appointments(self, code: str) -> bool:
        """Whether service ``code`` takes appointments (``[appointments] services``)."""
        listed = self.appointments.services
        return self.service(code) is not None and (not listed or code in listed)

    def tier(self, code: str) -> TierSettings | None:
        return next((t for t in self.tiers if t.code == code), None)

    def counter(self, number: int) -> CounterSettings | None:
        return next((c for c in self.counters if c.number == number), None)

    @property
    def default_tier(self) -> TierSettings:
        return min(self.tiers, key=lambda t: t.rank)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.branch.timezone)

    def with_public_url(self, public_url: str | None) -> BranchConfig:
        """The branch with its public base address replaced (``serve --public-url``)."""
        if not public_url:
            return self
        try:
            info = BranchInfo.model_validate(self.branch.model_dump() | {"public_url": public_url})
        except ValidationError as exc:
            raise ConfigError(f"--public-url: {_friendly(exc.errors()[0]['msg'])}") from exc
        return self.model_copy(update={"branch": info})

    def warnings(self) -> list[str]:
        """What is valid but will not work as a branch expects (``check-config``, engine start)."""
        found = [w] if (w := self.branch.public_url_warning()) else []
        files = []
        if self.notify.push is not None:
            files.append(("[notify.push] vapid_private_key", self.notify.push.vapid_private_key))
        if self.notify.sms is not None:
            files.append(("[notify.sms] secret_key_file", self.notify.sms.secret_key_file))
        for key, name in files:
            if not Path(name).is_file():
                found.append(f"{key} {name} is not a readable file: that channel will not send")
        return found

    def tier_for_card(self, card: str) -> TierSettings | None:
        """The tier of a swiped card by the longest matching prefix rule, if any."""
        best = max(
            (r for r in self.card_tiers if card.startswith(r.prefix)),
            key=lambda r: len(r.prefix),
            default=None,
        )
        return self.tier(best.tier) if best else None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _RefError(ValueError):
    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _unique(section: str, values: list[Any], what: str = "code") -> None:
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise _RefError((section, i, what), f"duplicate {what} {value!r}")
        seen.add(value)


class ConfigError(Exception):
    """The branch file is wrong; the message names the file, line and key."""


@dataclass(frozen=True)
class _Located:
    line: int | None
    path: str


def _format_loc(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The line (1-based) of a key path such as ``("counters", 3, "services")`` in TOML text.

    A small scan that understands ``[table]``, ``[[array]]`` and ``key =`` lines, which is
    all a branch file uses; None when the key is not written (a missing key).
    """
    table: tuple[str | int, ...] = ()
    counts: dict[str, int] = {}
    best: int | None = None
    # A branch file nests at most [[array]] index key (the array's name may be dotted, as in
    # [[routing.targets]]), or [table] key; deeper parts are values.
    first_index = next((i for i, part in enumerate(loc) if isinstance(part, int)), None)
    want = loc[: first_index + 2] if first_index is not None else loc[:2]
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if m := re.fullmatch(r"\[\[\s*([\w.-]+)\s*\]\]", line):
            name = m.group(1)
            counts[name] = counts.get(name, -1) + 1
            table = (*name.split("."), counts[name])
        elif m := re.fullmatch(r"\[\s*([\w.-]+)\s*\]", line):
            table = tuple(m.group(1).split("."))
        elif m := re.match(r"([\w-]+)\s*=", line):
            path = (*table, m.group(1))
            if want[: len(path)] == path:
                return n
        else:
            continue
        if want[: len(table)] == table:
            best = n
    return best


def _friendly(message: str) -> str:
    return message.removeprefix("Value error, ")


def parse_config(text: str, source: str = "branch.toml") -> BranchConfig:
    """Validate TOML text; raise ``ConfigError`` naming the line and key of the first problems."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return BranchConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:10]:
            loc = tuple(err["loc"])
            cause = err.get("ctx", {}).get("error")
            if isinstance(cause, _RefError):
                loc, msg = loc + cause.loc, str(cause)
            else:
                msg = _friendly(err["msg"])
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            elif err["type"] == "missing":
                msg = "required key is missing"
            line = locate(text, loc)
            where = f"{source}:{line}" if line else source
            problems.append(f"{where}: {_format_loc(loc)}: {msg}")
        raise ConfigError("\n".join(problems)) from exc


def load_config(path: str | Path | None = None) -> BranchConfig:
    """Load a branch file, or the bundled demo branch when ``path`` is None."""
    if path is None:
        text = resources.files("queue_core.demo").joinpath("branch.toml").read_text("utf-8")
        return parse_config(text, "demo branch.toml")
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
    return parse_config(text, str(file))
