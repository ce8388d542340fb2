"""A device's health as it last reported it (printer paper, signs answering, display link)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Health = Literal["ok", "warning", "error", "unknown"]  # unknown: the device cannot tell
#: A report that changes only the detail (a display's last seq…) is an event at most this often.
DEVICE_NEWS_S = 60.0


@dataclass(frozen=True, slots=True)
class DeviceReport:
    name: str
    status: Health
    reported_at: float
    detail: dict[str, Any] = field(default_factory=dict)

    def same_news(self, other: DeviceReport | None) -> bool:
        """Whether ``other`` says the same (a repeated report is no event)."""
        return other is not None and (other.status, other.detail) == (self.status, self.detail)


def is_news(report: DeviceReport, before: DeviceReport | None, last_news_at: float | None) -> bool:
    """Whether a report is an event (``device.updated``): a device's first, or a change of
    status; a change of the detail only when the device's last event is ``DEVICE_NEWS_S``
    old (``last_news_at``), since every subscriber gets each event and a display's detail
    changes each time it reports."""
    if before is None or before.status != report.status:
        return True
    if report.same_news(before):
        return False
    return last_news_at is None or report.reported_at - last_news_at >= DEVICE_NEWS_S
