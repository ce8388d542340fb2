"""Web Push (RFC 8030 delivery, RFC 8291 message encryption, RFC 8292 VAPID) with pywebpush.

The phone page subscribes with the branch's VAPID public key; the engine sends each message
encrypted for that subscription (``aes128gcm``) and signed with the branch's VAPID private key
(``[notify.push] vapid_private_key``, made with ``branchq vapid-keys``). A subscription's
endpoint is an address the engine will POST to, given by a browser: only push services on the
branch's list are accepted (``services``), so the engine cannot be sent to knock on anything
else. A ``404``/``410`` from the push service means the subscription is gone for good.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

#: The push services of the browsers customers use (Chrome/Android, Firefox, Safari, Edge).
DEFAULT_SERVICES = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    "*.notify.windows.com",
)


class PushError(Exception):
    """A message did not reach the push service; ``gone``: the subscription is dead."""

    def __init__(self, code: str, message: str, gone: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.gone = gone


def new_vapid_key(path: Path) -> str:
    """Write a new VAPID private key (PEM, owner-only) and return its public key."""
    key = Vapid02()
    key.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_pem()
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return _public_key(key)


def _public_key(key: Vapid02) -> str:
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _host_allowed(host: str, services: Sequence[str]) -> bool:
    for pattern in services:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


@dataclass(frozen=True)
class Subscription:
    """A browser's push subscription (``PushSubscription.toJSON()``)."""

    endpoint: str
    p256dh: str
    auth: str

    def info(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def parse_subscription(
    data: Mapping[str, Any], services: Sequence[str], allow_http_loopback: bool = False
) -> Subscription:
    """Check a subscription the page sent; ``ValueError`` saying what is wrong."""
    endpoint = str(data.get("endpoint") or "")
    keys = data.get("keys") or {}
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    loopback = allow_http_loopback and host in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        raise ValueError("a push endpoint is an https address")
    if not loopback and not _host_allowed(host, services):
        raise ValueError(f"push service {host!r} is not on the branch's list")
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    try:
        point = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
        secret = base64.urlsafe_b64decode(auth + "=" * (-len(auth) % 4))
    except ValueError as exc:
        raise ValueError("the subscription's keys are not base64url") from exc
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise ValueError("the subscription's keys are not a P-256 key and a 16-byte secret")
    return Subscription(endpoint, p256dh, auth)


class WebPush:
    """Sends messages with the branch's VAPID key."""

    def __init__(self, private_key_file: Path, subject: str, timeout_s: float = 5.0) -> None:
        self.key = Vapid02.from_file(str(private_key_file))
        self.subject = subject
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    @property
    def public_key(self) -> str:
        """The ``applicationServerKey`` the page subscribes with (base64url, uncompressed)."""
        return _public_key(self.key)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env: a branch reaches the push services through the bank's proxy.
            self._session = aiohttp.ClientSession(trust_env=True)
        return self._session

    async def send(
        self, subscription: Subscription, message: Mapping[str, Any], ttl: int = 900
    ) -> None:
        """Deliver one message (JSON); ``PushError`` if the push service did not take it."""
        try:
            await webpush_async(
                subscription.info(),
                data=json.dumps(message, ensure_ascii=False),
                vapid_private_key=self.key,
                vapid_claims={"sub": self.subject},
                timeout=self.timeout_s,
                ttl=ttl,
                headers={"Urgency": "high"},
                aiohttp_session=self._client(),
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status", None) or getattr(
                exc.response, "status_code", None
            )
            raise PushError(f"http_{status}", str(exc), gone=status in (404, 410)) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PushError("unreachable", type(exc).__name__) from exc
