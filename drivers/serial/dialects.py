"""Every dialect by its configuration name, and what each can talk to.

``bq1`` (ours: signs and keypads, acknowledged), ``v68`` (a vendor's polled keypads),
``aa51`` (write-only LED strip signs), ``led485`` (Modbus RTU digit signs), ``rflink``
(wireless keypads and evaluators through a receiver that pushes presses), ``wave`` (vibrating
pagers through a serial paging encoder).
"""

from __future__ import annotations

from drivers.serial.modbus_sign import ModbusDigitSignDialect
from drivers.serial.pager import WavePagerDialect
from drivers.serial.protocol import BranchQDialect, Dialect, ProtocolError, Vendor68Dialect
from drivers.serial.rflink import RFLinkDialect
from drivers.serial.strip_sign import StripSignDialect

DIALECTS: dict[str, type[Dialect]] = {
    d.name: d
    for d in (
        BranchQDialect,
        Vendor68Dialect,
        StripSignDialect,
        ModbusDigitSignDialect,
        RFLinkDialect,
        WavePagerDialect,
    )
}


def dialect_named(name: str, role: str | None = None) -> Dialect:
    """The dialect for a configuration name; ``role`` (sign, keypad, evaluator) is checked."""
    try:
        dialect = DIALECTS[name]()
    except KeyError:
        raise ProtocolError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}") from None
    if role is not None and role not in dialect.roles:
        speaks = ", ".join(sorted(dialect.roles))
        raise ProtocolError(f"dialect {name!r} does not drive a {role} (it drives: {speaks})")
    return dialect
