"""Which counter has which sign and keypad address, and what signs say: from ``GET /branch``.

The branch TOML gives each ``[[counters]]`` entry ``sign_address`` and ``keypad_address``; its
free-form ``[signs]`` section may set the texts and knobs below (all optional)::

    [signs]
    welcome = "欢迎光临"        # an open counter with nobody called
    paused = "暂停服务"
    closed = "暂停服务"
    number_format = "{number}"  # e.g. "请{number}"
    flash_s = 6                 # how long a sign flashes on a call
    columns = 8                 # half-width columns the sign shows (a Chinese character is 2)
    rating_keys = 5             # 3 or 5 evaluation keys on the keypad
    dialect = "bq1"             # the frame format (bq1, v68)
    [signs.service_digits]      # keypad "transfer, digit, confirm"; default: services in order
    1 = "A"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CounterDevices:
    number: int
    name: str
    services: tuple[str, ...]
    sign_address: int | None
    keypad_address: int | None


@dataclass(frozen=True)
class SignSettings:
    welcome: str = "欢迎光临"
    paused: str = "暂停服务"
    closed: str = "暂停服务"
    number_format: str = "{number}"
    flash_s: int = 6
    columns: int = 8
    rating_keys: int = 5
    dialect: str = "bq1"
    service_digits: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BusLayout:
    counters: tuple[CounterDevices, ...]
    settings: SignSettings

    @classmethod
    def from_branch(cls, branch: Mapping[str, Any]) -> BusLayout:
        """Read the counters and the ``signs`` section of ``GET /branch``."""
        counters = tuple(
            CounterDevices(
                number=int(c["number"]),
                name=str(c.get("name", c["number"])),
                services=tuple(c.get("services", ())),
                sign_address=_int_or_none(c.get("sign_address")),
                keypad_address=_int_or_none(c.get("keypad_address")),
            )
            for c in branch.get("counters", [])
        )
        raw = dict(branch.get("signs") or {})
        digits = raw.pop("service_digits", None)
        if digits:
            service_digits = {int(k): str(v) for k, v in digits.items()}
        else:
            codes = [str(s["code"]) for s in branch.get("services", [])]
            service_digits = {i: code for i, code in enumerate(codes, start=1) if i <= 9}
        known = set(SignSettings.__dataclass_fields__) - {"service_digits"}
        settings = SignSettings(
            **{k: v for k, v in raw.items() if k in known}, service_digits=service_digits
        )
        if settings.rating_keys not in (3, 5):
            raise ValueError(f"signs.rating_keys must be 3 or 5, not {settings.rating_keys}")
        return cls(counters, settings)

    @property
    def sign_addresses(self) -> list[int]:
        return [c.sign_address for c in self.counters if c.sign_address is not None]

    @property
    def keypad_addresses(self) -> list[int]:
        return [c.keypad_address for c in self.counters if c.keypad_address is not None]

    def counter_of_keypad(self, address: int) -> CounterDevices | None:
        return next((c for c in self.counters if c.keypad_address == address), None)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
