"""``GET /metrics``: the engine's figures for Prometheus.

Figures that describe the branch (tickets issued, waiting, devices) are read from the database
at scrape time, so every worker of ``serve --workers N`` answers the same. Figures that
describe one process (its event-stream subscribers, the latency from a call's commit to its
subscribers, events handed out) carry a ``worker`` label (the process id): Prometheus sums
or maxes them across workers.

Who may scrape: with ``BRANCHQ_METRICS_TOKEN`` set, a request bearing that token (compared in
constant time); without it, only a client on the same machine that did not come through the
reverse proxy (no ``X-Forwarded-For``). The figures hold no customer data, but device names
and queue lengths are still nobody else's business.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from queue_core.domain.errors import Forbidden, Unauthorized
from queue_core.events.hub import EventHub
from queue_core.store import Event
from queue_core.store.models import TicketRow
from queue_core.usecases import Branch

TOKEN_ENV = "BRANCHQ_METRICS_TOKEN"
#: Seconds from a call's commit to its hand-over to this worker's subscribers.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CALL_TYPES = frozenset({"ticket.called", "ticket.recalled"})


class BranchCollector(Collector):
    """Reads the branch's figures when Prometheus scrapes."""

    def __init__(self, branch: Branch, hub: EventHub, worker: str) -> None:
        self.branch = branch
        self.hub = hub
        self.worker = worker

    def collect(self) -> Iterator[Any]:
        store_up = self.branch.store.ping()
        up = 1 if store_up else 0
        yield _gauge("branchq_store_up", "1 when the database answers", [((), up)])
        yield from self._process()
        if not store_up:
            return
        yield from self._tickets()
        yield from self._devices()
        last = self.branch.store.last_seq()
        yield _gauge("branchq_event_seq", "the last seq in the event log", [((), last)])

    def _process(self) -> Iterator[Any]:
        labels = ["worker", "role"]
        subs = GaugeMetricFamily(
            "branchq_subscribers", "open event streams on this worker, by role", labels=labels
        )
        for role, count in sorted(self.hub.roles().items()):
            subs.add_metric([self.worker, role], count)
        yield subs
        published = CounterMetricFamily(
            "branchq_events_delivered", "events handed to this worker's hub", labels=["worker"]
        )
        published.add_metric([self.worker], self.hub.published)
        yield published
        cut = CounterMetricFamily(
            "branchq_subscribers_cut",
            "event streams closed for falling too far behind",
            labels=["worker"],
        )
        cut.add_metric([self.worker], self.hub.cut)
        yield cut

    def _tickets(self) -> Iterator[Any]:
        day = self.branch.reads.today()
        with self.branch.store.read() as session:
            rows = session.execute(
                select(TicketRow.service, TicketRow.status, func.count())
                .where(TicketRow.business_day == day)
                .group_by(TicketRow.service, TicketRow.status)
            ).all()
            issued_rows = session.execute(
                select(TicketRow.service, func.count())
                .where(TicketRow.business_day == day, TicketRow.visit == 1)
                .group_by(TicketRow.service)
            ).all()
            oldest_rows = session.execute(
                select(TicketRow.service, func.min(TicketRow.queued_at))
                .where(TicketRow.status == "waiting")
                .group_by(TicketRow.service)
            ).all()
        codes = [s.code for s in self.branch.config.services]
        issued = {code: 0 for code in codes} | {s: int(n) for s, n in issued_rows}
        yield _gauge(
            "branchq_tickets_issued_today",
            "tickets issued this business day (first visits), by service",
            [((s,), n) for s, n in sorted(issued.items())],
            ["service"],
        )
        yield _gauge(
            "branchq_tickets_today",
            "visits this business day by service and status",
            [((s, st), int(n)) for s, st, n in sorted(rows)],
            ["service", "status"],
        )
        services = self.branch.reads.services()
        yield _gauge(
            "branchq_waiting",
            "tickets waiting now, by service",
            [((s["code"],), s["waiting"]) for s in services],
            ["service"],
        )
        yield _gauge(
            "branchq_estimated_wait_seconds",
            "the wait a newcomer is told, by service",
            [((s["code"],), s["estimated_wait_s"]) for s in services if s["estimated_wait_s"]],
            ["service"],
        )
        now = self.branch.clock()
        yield _gauge(
            "branchq_oldest_waiting_seconds",
            "how long the longest-waiting ticket has waited, by service",
            [((s,), max(0.0, now - float(t))) for s, t in sorted(oldest_rows)],
            ["service"],
        )

    def _devices(self) -> Iterator[Any]:
        devices = self.branch.reads.devices(self.hub.connected_names())
        labels = ["device", "role"]
        up = GaugeMetricFamily(
            "branchq_device_ok", "1 when the device's last health report is ok", labels=labels
        )
        status = GaugeMetricFamily(
            "branchq_device_status",
            "the device's last reported status (1 for the current one)",
            labels=[*labels, "status"],
        )
        connected = GaugeMetricFamily(
            "branchq_device_connected",
            "1 when the device has an event stream open on this worker",
            labels=[*labels, "worker"],
        )
        for d in devices:
            key = [d["name"], d["role"]]
            up.add_metric(key, 1 if d["status"] == "ok" else 0)
            for value in ("ok", "warning", "error", "unknown"):
                status.add_metric([*key, value], 1 if d["status"] == value else 0)
            connected.add_metric([*key, self.worker], 1 if d["connected"] else 0)
        yield up
        yield status
        yield connected


def _gauge(
    name: str,
    doc: str,
    samples: list[tuple[tuple[str, ...], float]],
    labels: list[str] | None = None,
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels or [])
    for values, value in samples:
        family.add_metric(list(values), value)
    return family


class Metrics:
    """The registry of one engine process and the hook that times calls."""

    def __init__(self, branch: Branch, hub: EventHub, worker: str | None = None) -> None:
        self.worker = worker or str(os.getpid())
        self.registry = CollectorRegistry()
        self.call_latency = Histogram(
            "branchq_call_latency_seconds",
            "from a call's commit to its hand-over to this worker's event streams",
            ["worker"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(BranchCollector(branch, hub, self.worker))

    def observe(self, event: Event, delivered_at: float) -> None:
        """The hub's ``on_delivered`` hook."""
        if event.type in CALL_TYPES:
            self.call_latency.labels(self.worker).observe(max(0.0, delivered_at - event.at))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def allowed(request: Request, token_source: Callable[[], str | None]) -> None:
    """Raise unless the caller may read the metrics (see the module's docstring)."""
    expected = token_source()
    if expected:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            raise Unauthorized("the metrics need their bearer token", "unauthorized")
        return
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local or "x-forwarded-for" in request.headers:
        raise Forbidden("metrics are served to this machine only", "forbidden")


router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition of the branch's and this worker's figures."""
    allowed(request, lambda: os.environ.get(TOKEN_ENV))
    found: Metrics = request.app.state.metrics
    return Response(found.render(), media_type=CONTENT_TYPE_LATEST)
