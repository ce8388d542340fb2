"""The devices' use cases: their health reports (printer paper, signs answering, display link)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from queue_core.domain import devices
from queue_core.domain.devices import DeviceReport, Health
from queue_core.domain.errors import InvalidInput
from queue_core.domain.events import DeviceUpdated
from queue_core.store.models import DeviceRow
from queue_core.usecases.unit import UnitOfWork

#: The largest health detail a device may send (compact JSON): a bus of 64 devices all dead
#: reports about 2.5 KB; it goes into the event log and to every subscriber.
MAX_HEALTH_DETAIL_BYTES = 4096


@dataclass(frozen=True, slots=True)
class ReportHealth:
    """A device tells how it is; the latest report is kept, and it is an event when it is
    news (``domain.devices.is_news``). How often a device may report is ``access``'s
    ``HealthReportLimit``, checked before any transaction."""

    device: str
    status: Health
    detail: dict[str, Any] = field(default_factory=dict)

    def run(self, uow: UnitOfWork) -> DeviceReport:
        size = len(json.dumps(self.detail, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_HEALTH_DETAIL_BYTES:
            raise InvalidInput(
                f"the health detail is {size} bytes; at most {MAX_HEALTH_DETAIL_BYTES}",
                "health_detail_too_large",
            )
        report = DeviceReport(self.device, self.status, uow.now, dict(self.detail))
        row = uow.session.get(DeviceRow, self.device)
        before = row.to_domain() if row is not None else None
        if row is None:
            row = DeviceRow(name=self.device)
            uow.session.add(row)
        row.status, row.detail, row.reported_at = report.status, report.detail, report.reported_at
        uow.changed = True
        news = uow.live.device_news
        if devices.is_news(report, before, news.get(self.device)):
            news[self.device] = report.reported_at
            uow.emit(DeviceUpdated(report))
        return report
