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
    dialect = "bq1"             # the frame format of signs and keypads (drivers/README.md)
    sign_dialect = "aa51"       # … or one for the signs and one for the keypads
    keypad_dialect = "v68"
    [signs.service_digits]      # keypad "transfer, digit, confirm"; default: services in order
    1 = "A"
    [signs.wireless_keys]       # rflink: a remote's key value → key (default 1 2 4 8:
    1 = "call_next"             #   call_next, recall, pause, finish)
    [signs.evaluator_keys]      # rflink evaluators (default 1 2 4: eval5, eval3, eval1)
    1 = "eval5"

A counter may also have ``evaluator_address``: a customer's evaluation keypad (评价器), whose
presses only rate. Wireless keypads and evaluators take the remote's ID as their address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.serial.messages import KeyCode


@dataclass(frozen=True)
class CounterDevices:
    number: int
    name: str
    services: tuple[str, ...]
    sign_address: int | None
    keypad_address: int | None
    evaluator_address: int | None = None


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
    sign_dialect: str | None = None  # None: ``dialect``
    keypad_dialect: str | None = None
    service_digits: Mapping[int, str] = field(default_factory=dict)
    wireless_keys: Mapping[int, KeyCode] = field(default_factory=dict)
    evaluator_keys: Mapping[int, KeyCode] = field(default_factory=dict)

    @property
    def signs_speak(self) -> str:
        return self.sign_dialect or self.dialect

    @property
    def keypads_speak(self) -> str:
        return self.keypad_dialect or self.dialect


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
                evaluator_address=_int_or_none(c.get("evaluator_address")),
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
        wireless = _key_table(raw.pop("wireless_keys", None) or {}, "wireless_keys")
        evaluator = _key_table(raw.pop("evaluator_keys", None) or {}, "evaluator_keys")
        known = set(SignSettings.__dataclass_fields__) - {"service_digits"}
        settings = SignSettings(
            **{k: v for k, v in raw.items() if k in known},
            service_digits=service_digits,
            wireless_keys=wireless,
            evaluator_keys=evaluator,
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

    @property
    def evaluator_addresses(self) -> list[int]:
        return [c.evaluator_address for c in self.counters if c.evaluator_address is not None]

    def counter_of_keypad(self, address: int) -> CounterDevices | None:
        """The counter whose keypad or evaluator has ``address``."""
        return next(
            (c for c in self.counters if address in (c.keypad_address, c.evaluator_address)),
            None,
        )

    def is_evaluator(self, address: int) -> bool:
        return address in self.evaluator_addresses


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, str):  # a wireless remote's ID written as "0x295FD59"
        return int(value, 0)
    return None if value is None else int(value)


def _key_table(raw: Mapping[str, Any], name: str) -> dict[int, KeyCode]:
    """``{"1": "call_next"}`` → ``{1: KeyCode.CALL_NEXT}``; a wrong name is an error."""
    try:
        return {int(k, 0): KeyCode(str(v)) for k, v in raw.items()}
    except ValueError as exc:
        names = ", ".join(k.value for k in KeyCode)
        raise ValueError(f"signs.{name}: {exc} (keys: {names})") from None
