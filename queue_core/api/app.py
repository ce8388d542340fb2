"""The FastAPI application: routers under ``/api/v1``, error mapping, headers, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_core.access import Access
from queue_core.api import (
    appointments,
    auth,
    counters,
    errors,
    events,
    lobby,
    metrics,
    phone,
    tickets,
)
from queue_core.api import notify as notify_api
from queue_core.api.server import BodyLimit
from queue_core.api.writer import SOCKET_ENV, ForwardWrites, Writer
from queue_core.config import BranchConfig
from queue_core.events.hub import EventHub
from queue_core.events.pgnotify import EventBridge
from queue_core.events.watch import TicketWatch
from queue_core.notify.notifier import Notifier
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.appointments import ReleaseNoShows
from queue_core.usecases.day import StartDay
from queue_core.usecases.notices import EraseNotices
from queue_core.usecases.remote import LapseRemote
from queue_core.wire import iso

log = logging.getLogger(__name__)
PREFIX = "/api/v1"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


#: Query parameters whose values never reach a log line, by the name the server decodes.
SECRET_PARAMS = frozenset({"token", "pin", "access_token"})
_QUERY_PAIR = re.compile(r"(?<=[?&])([^=&\s\"'#]+)=([^&\s\"'#]*)")
_BEARER = re.compile(r"(Bearer\s+)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the values of secret query parameters and bearer tokens replaced.

    A parameter is judged by its decoded name, as the server reads it: ``tok%65n=…`` is a
    ``token`` to the engine, so it is one to the filter too."""

    def pair(m: re.Match[str]) -> str:
        name = unquote_plus(m.group(1)).strip().lower()
        return f"{m.group(1)}=[redacted]" if name in SECRET_PARAMS else m.group(0)

    return _BEARER.sub(r"\1[redacted]", _QUERY_PAIR.sub(pair, text))


class RedactSecrets(logging.Filter):
    """Keep tokens (``?token=…`` however encoded, bearer headers) out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                redact(a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "queue_core", ""):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def create_app(
    config: BranchConfig,
    db_url: str,
    secret: bytes,
    clock: Callable[[], float] = time.time,
    pages: Sequence[APIRouter] = (),
    minute_s: float = 60.0,
) -> FastAPI:
    """Build the engine for one branch on one database, serving ``pages`` too (the staff
    pages, which ``branchq serve`` mounts).

    On PostgreSQL the events reach this process's subscribers through the LISTEN/NOTIFY
    bridge, so several engine processes (``serve --workers N``) share one ordered stream.
    ``minute_s`` is the housekeeping's pause in real seconds (a test that moves ``clock``
    shortens it, so the minute's work follows the moved clock at once).
    """
    store = Store(db_url)
    hub = EventHub(partial(iso, tz=config.zone), clock=clock)  # type: ignore[arg-type]
    access = Access(config, store, clock, secret)
    access.session_ended.append(hub.session_ended)
    bridge = None if store.is_sqlite else EventBridge(store, hub, on_session_ended=access.forget)
    if bridge is not None:
        store.committing = bridge.expect
    publish = hub.publish if bridge is None else bridge.offer
    branch = Branch(config, store, secret, clock=clock, publish=publish)
    figures = metrics.Metrics(branch, hub)
    hub.on_delivered = figures.observe
    uplink = _uplink(config, store, branch, clock)

    async def public_states(ids: list[str]) -> dict[str, Any]:
        return await run_in_threadpool(branch.reads.public_many, ids)

    watch = TicketWatch(hub, public_states)
    if bridge is not None:  # a worker nobody follows the hall on reads no other's events
        bridge.wanted = lambda: any(watch.needs(s) for s in hub.subscribers)
    notify = config.notify
    notifier = (
        Notifier.of(config, branch, watch, secret)
        if notify.push is not None or notify.sms is not None
        else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        install_log_redaction()
        events.quiet_denials()
        if bridge is not None:
            await bridge.start()
        housekeeping = asyncio.create_task(_housekeeping(access, branch, notifier, minute_s))
        if uplink is not None:
            await uplink.start()
        watch.start()
        if writer is not None:
            await writer.start()
        if notifier is not None:
            await notifier.start()
        advisor = None
        if config.staffing.enabled:  # the writer looks ahead for the branch (serve --workers)
            leads = lambda: writer is None or writer.elected  # noqa: E731
            advisor = asyncio.create_task(branch.staffing.run(leads))
        try:
            yield
        finally:
            housekeeping.cancel()
            if uplink is not None:
                await uplink.stop()
            if notifier is not None:
                await notifier.stop()
            await watch.stop()
            if writer is not None:
                await writer.stop()
            if advisor is not None:
                advisor.cancel()
            if bridge is not None:
                await bridge.stop()
            branch.stop()
            store.dispose()

    app = _EngineApp(
        title="BranchQ engine",
        version="1.0",
        summary="Queue ticketing and calling for a bank branch (v1 contract)",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads from a CDN: branches run closed networks
        redoc_url=None,
    )
    app.state.config = config
    app.state.store = store
    app.state.hub = hub
    app.state.branch = branch
    app.state.access = access
    app.state.bridge = bridge
    app.state.metrics = figures
    app.state.watch = watch
    # Among ``serve --workers N``, one writer takes every worker's writes.
    socket_path = os.environ.get(SOCKET_ENV)
    writer = None if store.is_sqlite or not socket_path else Writer(db_url, socket_path, app)
    app.state.writer = writer
    app.state.notifier = notifier
    errors.install(app)

    # Each router straight on the app, the busiest first: routes are matched in order, and a
    # nested router is one more layer to match through on every request. A kiosk's issue,
    # the busiest write of a branch, first of all.
    # Each documents the errors its endpoints may answer (schemathesis found 30 undocumented).
    app.include_router(tickets.issuing, prefix=PREFIX, responses=errors.ERRORS)
    for module in (counters, tickets, auth, lobby, events, phone, appointments, notify_api):
        app.include_router(module.router, prefix=PREFIX, responses=errors.ERRORS)
    app.include_router(metrics.router, responses=errors.only(401, 403))
    app.state.uplink = uplink
    if uplink is not None:
        from queue_core.central.branch_api import router as central_router

        app.include_router(central_router, prefix=PREFIX, responses=errors.ERRORS)

    @app.get("/healthz", tags=["health"], responses=errors.only(503))
    def healthz() -> Any:
        if store.ping():
            return {"status": "ok", "subscribers": len(hub.subscribers)}
        return errors.error_response(503, "store_unavailable", "the database does not answer")

    for router in pages:
        app.include_router(router)
    return app


class _EngineApp(FastAPI):
    """FastAPI with the security headers and the body limit outermost: Starlette answers a
    500 from its error middleware, outside every middleware added to the app, so they go
    around the stack."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = ForwardWrites(super().build_middleware_stack(), getattr(self.state, "writer", None))
        return SecurityHeaders(BodyLimit(inner), self.state.metrics.worker)


#: The engine process that answered (its process id, the ``worker`` label of ``/metrics``): on
#: every HTTP answer and on the websocket handshake, so a client of ``serve --workers N`` knows
#: which worker holds its connection.
WORKER_HEADER = "X-BranchQ-Worker"


class SecurityHeaders:
    """Security headers on every answer, a content policy on pages, no caching of the API;
    and the worker's id (``WORKER_HEADER``) on every answer and websocket handshake.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs a task per request."""

    def __init__(self, app: ASGIApp, worker: str = "") -> None:
        self.app = app
        self.worker = worker  # "" (the head office's console): no worker header
        self.worker_header = (WORKER_HEADER.lower().encode(), worker.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and self.worker:
            await self.app(scope, receive, self._accept_with_worker(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith(PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
                if api:
                    headers.setdefault("Cache-Control", "no-store")
                if self.worker:  # a write passed to the writer names the writer already
                    headers.setdefault(WORKER_HEADER, self.worker)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _accept_with_worker(self, send: Send) -> Send:
        async def accept_with_worker(message: Message) -> None:
            if message["type"] == "websocket.accept":
                message = {**message, "headers": [*message.get("headers", []), self.worker_header]}
            await send(message)

        return accept_with_worker


def _uplink(config: BranchConfig, store: Store, branch: Branch, clock: Callable[[], float]) -> Any:
    """The head-office uplink (``queue_core.central``), when the branch file has ``[uplink]``."""
    if config.uplink is None:
        return None
    from queue_core.central.branch_api import make_uplink

    return make_uplink(config, store, branch, clock)


async def _housekeeping(
    access: Access, branch: Branch, notifier: Notifier | None, minute_s: float = 60.0
) -> None:
    """Each minute: start the business day if no request has yet (void what earlier days left
    open), void the tickets taken from phones that were not checked in in time, erase the
    reminder requests (phone numbers, subscriptions) of earlier days, release the
    appointments whose window passed without a check-in and send the appointments' reminders
    due; every ten minutes, drop expired sessions."""
    for minute in itertools.count():
        try:
            voided = (await branch.execute(StartDay())).value
            if voided:
                log.info("new business day: %d open tickets of earlier days voided", voided)
            if branch.config.remote.enabled:
                await branch.execute(LapseRemote())
            await branch.execute(EraseNotices())
            released = (await branch.execute(ReleaseNoShows())).value
            if released:
                log.info("%d appointments released as no-shows", released)
            if notifier is not None:
                await notifier.remind()
            if minute % 10 == 0:
                await run_in_threadpool(access.purge_expired)
        except Exception:  # the store may be briefly down: try again next minute
            log.warning("housekeeping failed", exc_info=True)
        await asyncio.sleep(minute_s)
