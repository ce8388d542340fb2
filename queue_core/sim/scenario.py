"""Scenarios: a branch day as data (TOML files in ``scenarios/``).

A scenario gives, per service, the arrivals per hour from opening and the service-time
distribution (lognormal: mean and coefficient of variation); the customers' tier and
green-channel shares, their no-show share and patience (walk-away); and each counter's services
and opening hours (a counter with ``open = []`` is a spare window, closed unless someone opens
it); the day's booked appointments (``[[appointments]]``: ``service``, ``window = ["10:00",
"10:30"]``, ``count``, optional ``tier``), who come on top of the walk-ins and check in
around their window's start (``head_start_min`` in ``[scenario]``: their head start over
walk-ins, 15 by default). ``[sources]`` gives one line per figure, keyed by the figure's
place in the file (``"services.A.mean_s"``, ``"customers.no_show"``, ``"counters.open"``…):
``missing_sources`` lists the figures that have none, and the bundled files have none missing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SCENARIO_DIR = Path(__file__).with_name("scenarios")


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One business type: arrivals per hour from opening, and its service-time distribution."""

    code: str
    mean_s: float
    cv: float
    arrivals: tuple[float, ...]
    tiers: tuple[tuple[str, float], ...] | None = None
    green_share: float | None = None
    #: "lognormal" (the default) or "exponential" (for the checks against queueing theory).
    distribution: str = "lognormal"


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """One counter: services in preference order and open stretches in seconds from opening."""

    number: int
    services: tuple[str, ...]
    open: tuple[tuple[float, float], ...]
    prefers_green: bool = False
    #: The services its teller can also take when the staffing advice asks (beyond its own).
    may_take: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppointmentSpec:
    """Appointments booked for the day: ``count`` customers of ``service`` (and ``tier``) who
    booked the window from ``start_s`` to ``end_s`` after opening and check in around its
    start."""

    service: str
    start_s: float
    end_s: float
    count: int
    tier: str = "normal"
    green: bool = False


@dataclass(frozen=True, slots=True)
class Scenario:
    """A branch day to simulate."""

    name: str
    title: str
    date: str
    timezone: str
    opening: str
    closing: str
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]
    tier_ranks: dict[str, int]
    tiers: tuple[tuple[str, float], ...]
    green_share: float = 0.0
    no_show: float = 0.0
    grace_s: float = 45.0
    patience_mean_s: float | None = None
    overtime_s: float = 3600.0
    #: The day's booked appointments (``[[appointments]]``), on top of the walk-ins.
    appointments: tuple[AppointmentSpec, ...] = ()
    #: The head start a checked-in appointment has over walk-ins of its class.
    head_start_s: float = 15 * 60.0
    #: One line per figure: (the figure's key, where it comes from).
    sources: tuple[tuple[str, str], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def open_at(self) -> float:
        """Epoch seconds of the opening on the scenario's date, in its time zone."""
        day = datetime.fromisoformat(self.date).date()
        start = datetime.combine(day, _clock(self.opening), ZoneInfo(self.timezone))
        return start.timestamp()

    @property
    def day_s(self) -> float:
        """Seconds from opening to closing (doors close to arrivals)."""
        return _seconds_between(self.opening, self.closing)

    def service(self, code: str) -> ServiceSpec:
        return next(s for s in self.services if s.code == code)

    def expected_arrivals(self) -> float:
        return sum(sum(s.arrivals) for s in self.services)


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def _seconds_between(start: str, end: str) -> float:
    base = datetime(2000, 1, 1)
    delta: timedelta = datetime.combine(base, _clock(end)) - datetime.combine(base, _clock(start))
    return delta.total_seconds()


def _shares(table: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    total = sum(float(v) for v in table.values())
    if total <= 0:
        raise ValueError("shares must add up to more than zero")
    return tuple((str(k), float(v) / total) for k, v in table.items())


def parse(data: dict[str, Any], name: str) -> Scenario:
    """A scenario from its TOML table (see the files in ``scenarios/`` for the layout)."""
    head = data["scenario"]
    people = data.get("customers", {})
    opening = str(head.get("opening", "09:00"))
    services = tuple(
        ServiceSpec(
            code=str(s["code"]),
            mean_s=float(s["mean_s"]),
            cv=float(s.get("cv", 0.5)),
            arrivals=tuple(float(x) for x in s["arrivals"]),
            tiers=_shares(s["tiers"]) if "tiers" in s else None,
            green_share=float(s["green_share"]) if "green_share" in s else None,
            distribution=str(s.get("distribution", "lognormal")),
        )
        for s in data["services"]
    )
    counters = tuple(
        CounterSpec(
            number=int(c["number"]),
            services=tuple(str(x) for x in c["services"]),
            open=tuple(
                (_seconds_between(opening, a), _seconds_between(opening, b))
                for a, b in c.get("open", [[opening, head.get("closing", "17:00")]])
            ),
            prefers_green=bool(c.get("prefers_green", False)),
            may_take=tuple(str(x) for x in c.get("may_take", [])),
        )
        for c in data["counters"]
    )
    appointments = tuple(
        AppointmentSpec(
            service=str(a["service"]),
            start_s=_seconds_between(opening, str(a["window"][0])),
            end_s=_seconds_between(opening, str(a["window"][1])),
            count=int(a["count"]),
            tier=str(a.get("tier", "normal")),
            green=bool(a.get("green_channel", False)),
        )
        for a in data.get("appointments", [])
    )
    patience = people.get("patience_mean_s")
    return Scenario(
        name=name,
        title=str(head.get("title", name)),
        date=str(head["date"]),
        timezone=str(head.get("timezone", "Asia/Shanghai")),
        opening=opening,
        closing=str(head.get("closing", "17:00")),
        services=services,
        counters=counters,
        tier_ranks={str(k): int(v) for k, v in data.get("tier_ranks", {"normal": 0}).items()},
        tiers=_shares(people.get("tiers", {"normal": 1.0})),
        green_share=float(people.get("green_share", 0.0)),
        no_show=float(people.get("no_show", 0.0)),
        grace_s=float(people.get("grace_s", 45.0)),
        patience_mean_s=float(patience) if patience is not None else None,
        overtime_s=float(head.get("overtime_s", 3600.0)),
        appointments=appointments,
        head_start_s=float(head.get("head_start_min", 15.0)) * 60.0,
        sources=tuple((str(k), str(v)) for k, v in data.get("sources", {}).items()),
        raw=data,
    )


#: The figures of each part of a scenario file that need a source line.
_HEAD_FIGURES = ("opening", "closing", "overtime_s", "head_start_min")
_SERVICE_FIGURES = ("mean_s", "cv", "arrivals", "tiers", "green_share")


def figure_keys(data: dict[str, Any]) -> list[str]:
    """The keys of every figure a scenario file gives (see ``missing_sources``)."""
    keys = [k for k in _HEAD_FIGURES if k in data.get("scenario", {})]
    keys += [f"customers.{k}" for k in data.get("customers", {})]
    if "tier_ranks" in data:
        keys.append("tier_ranks")
    for service in data.get("services", []):
        code = service.get("code", "?")
        keys += [f"services.{code}.{k}" for k in _SERVICE_FIGURES if k in service]
    keys += ["counters.services", "counters.open"]
    if data.get("appointments"):
        keys.append("appointments")
    if any("may_take" in c for c in data.get("counters", [])):
        keys.append("counters.may_take")
    return keys


def missing_sources(data: dict[str, Any]) -> list[str]:
    """The figures of a scenario file that have no line in its ``[sources]``."""
    given = data.get("sources", {})
    return [k for k in figure_keys(data) if not str(given.get(k, "")).strip()]


def available() -> list[str]:
    """The names of the bundled scenarios."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str) -> Scenario:
    """A bundled scenario by name (``weekday``) or a scenario file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise FileNotFoundError(f"no scenario {name_or_path!r}; bundled: {', '.join(available())}")
    with path.open("rb") as fh:
        return parse(tomllib.load(fh), path.stem)
