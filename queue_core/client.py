"""The one client of the engine that every BranchQ program uses.

``EngineClient`` (blocking) and ``AsyncEngineClient`` speak the v1 HTTP API with the bearer
token; ``EventStream`` follows the websocket ``/events`` and reconnects with backoff, asking
for the events after the last ``seq`` it saw, so a reader loses nothing across drops and
engine restarts, and hands out each event typed (``queue_core.wire``). Errors come back as
``EngineError`` with the engine's stable ``code``; an unreachable engine is
``EngineUnavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import websockets

from queue_core.retry import Backoff
from queue_core.wire import News, Snapshot, WireError, parse_event

log = logging.getLogger(__name__)

API = "/api/v1"
#: How long a client waits for an answer when it is not told (the kiosk and the signs agent
#: set their own). A module setting, so a program (the test suite on a loaded CI machine) can
#: wait longer for every client it makes.
DEFAULT_TIMEOUT_S = 5.0
Json = dict[str, Any]


class EngineError(Exception):
    """The engine answered with an error body ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class EngineUnavailable(EngineError):
    """The engine could not be reached (connection refused, timeout, DNS)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "engine_unavailable", message)


def configure_logging(level: str | int = "INFO") -> None:
    """How every device program logs: one format, and no line per HTTP request (httpx logs
    each one at INFO, which buries what matters; its warnings still show)."""
    if isinstance(level, str):
        level = level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        err = response.json()["error"]
        code, message = str(err["code"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", response.text[:200]
    raise EngineError(response.status_code, code, message)


def _body(response: httpx.Response) -> Any:
    _raise_for(response)
    if response.status_code == 204 or not response.content:
        return None
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


class _Paths:
    """The v1 endpoints, shared by both clients so a path is written once."""

    @staticmethod
    def counter(number: int, action: str) -> str:
        return f"{API}/counters/{number}/{action}"


class EngineClient:
    """Blocking client for the v1 HTTP API (kiosk, signs agent, scripts, tests)."""

    def __init__(
        self, base_url: str, token: str | None = None, timeout: float | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(
            base_url=self.base_url, timeout=DEFAULT_TIMEOUT_S if timeout is None else timeout
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request under ``/api/v1`` (or an absolute path) and return its JSON body."""
        url = path if path.startswith("/") and path.startswith(API) else f"{API}{path}"
        try:
            response = self._http.request(
                method, url, json=json_body, params=params, headers=self._headers(headers)
            )
        except httpx.TransportError as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
        return _body(response)

    # Auth
    def login(self, login: str, pin: str, counter: int | None = None) -> Json:
        body: Json = {"login": login, "pin": pin}
        if counter is not None:
            body["counter"] = counter
        result: Json = self.request("POST", "/auth/login", body)
        self.token = result["token"]
        return result

    # Tickets
    def issue(
        self,
        service: str,
        tier: str | None = None,
        green_channel: bool | None = None,
        card: str | None = None,
        idempotency_key: str | None = None,
    ) -> Json:
        """Issue a ticket; pass the same ``idempotency_key`` when retrying one press."""
        body: Json = {"service": service}
        if tier is not None:
            body["tier"] = tier
        if green_channel is not None:
            body["green_channel"] = green_channel
        if card is not None:
            body["card"] = card
        key = idempotency_key or uuid.uuid4().hex
        result: Json = self.request("POST", "/tickets", body, headers={"Idempotency-Key": key})
        return result

    def ticket(self, ticket_id: str) -> Json:
        result: Json = self.request("GET", f"/tickets/{ticket_id}")
        return result

    def public_ticket(self, ticket_id: str) -> Json:
        result: Json = self.request("GET", f"/tickets/{ticket_id}/public")
        return result

    def services(self) -> list[Json]:
        result: list[Json] = self.request("GET", "/services")
        return result

    def queue(self) -> Json:
        result: Json = self.request("GET", "/queue")
        return result

    def counters(self) -> list[Json]:
        result: list[Json] = self.request("GET", "/counters")
        return result

    def branch(self) -> Json:
        result: Json = self.request("GET", "/branch")
        return result

    def counter_action(self, number: int, action: str, body: Json | None = None) -> Json | None:
        """``call-next``, ``call``, ``recall``, ``start``, ``skip``, ``finish``, ``transfer``,
        ``pause``, ``resume``, ``open``, ``close``; None when call-next finds nobody (204)."""
        result: Json | None = self.request("POST", _Paths.counter(number, action), body or {})
        return result

    def call_next(self, number: int) -> Json | None:
        return self.counter_action(number, "call-next")

    def report_health(self, status: str, detail: Json | None = None) -> Json:
        """Tell the engine how this device is (``ok``, ``warning``, ``error``) and why."""
        result: Json = self.request(
            "POST", "/devices/health", {"status": status, "detail": detail or {}}
        )
        return result


class AsyncEngineClient:
    """The same API for asyncio programs (display, caller pages' tests, signs agent)."""

    def __init__(
        self, base_url: str, token: str | None = None, timeout: float | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=DEFAULT_TIMEOUT_S if timeout is None else timeout
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        url = path if path.startswith(API) else f"{API}{path}"
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        try:
            response = await self._http.request(
                method, url, json=json_body, params=params, headers=merged
            )
        except httpx.TransportError as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
        return _body(response)

    async def counter_action(
        self, number: int, action: str, body: Json | None = None
    ) -> Json | None:
        result: Json | None = await self.request("POST", _Paths.counter(number, action), body or {})
        return result

    async def report_health(self, status: str, detail: Json | None = None) -> Json:
        result: Json = await self.request(
            "POST", "/devices/health", {"status": status, "detail": detail or {}}
        )
        return result


def events_url(base_url: str, token: str, since: int | None) -> str:
    """The websocket URL of ``/events`` for an engine's HTTP base URL."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    query: dict[str, Any] = {"token": token}
    if since is not None:
        query["since"] = since
    return urlunsplit((scheme, parts.netloc, f"{parts.path}{API}/events", urlencode(query), ""))


@dataclass
class EventStream:
    """Follow the engine's events for ever: snapshot or replay on connect, then live events.

    Iterate with ``async for news in stream``: each message comes checked and typed
    (``wire.parse_event``). ``connected`` says whether the link is up now (a display shows its
    "offline" mark from it); ``last_seq`` is the last event handed out. Events at or below
    ``last_seq`` that a replay sends again are dropped, so every event is yielded once. A lost
    link is retried with the shared backoff (``queue_core.retry``), from ``min_backoff`` to
    ``max_backoff``; a message that does not have its type's shape is logged and passed over.
    """

    base_url: str
    token: str
    last_seq: int | None = None
    min_backoff: float = 0.2
    max_backoff: float = 10.0
    connected: bool = False
    on_state: Callable[[bool], None] | None = None
    _stop: bool = field(default=False, repr=False)

    def stop(self) -> None:
        self._stop = True

    def _set_connected(self, value: bool) -> None:
        if self.connected != value:
            self.connected = value
            if self.on_state is not None:
                self.on_state(value)

    async def __aiter__(self) -> AsyncIterator[News]:
        delays = Backoff(self.min_backoff, self.max_backoff)
        while not self._stop:
            url = events_url(self.base_url, self.token, self.last_seq)
            try:
                async with websockets.connect(url, open_timeout=5, ping_interval=10) as ws:
                    self._set_connected(True)
                    delays.reset()
                    async for raw in ws:
                        try:
                            news = parse_event(raw)
                        except WireError as exc:
                            log.warning("event not understood, passed over: %s", exc)
                            continue
                        replayed = self.last_seq is not None and news.seq <= self.last_seq
                        if replayed and not isinstance(news, Snapshot):
                            continue
                        self.last_seq = news.seq
                        yield news
                        if self._stop:
                            return
            except asyncio.CancelledError:
                self._set_connected(False)
                raise
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                if isinstance(exc, websockets.InvalidStatus) and exc.response.status_code in (
                    401,
                    403,
                ):
                    self._set_connected(False)
                    raise EngineError(exc.response.status_code, "unauthorized", str(exc)) from exc
                log.info("event stream down (%s); reconnecting", exc)
            self._set_connected(False)
            if self._stop:
                return
            await delays.wait()
