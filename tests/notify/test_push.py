"""Web Push with the branch's VAPID key, against a local push service that checks the VAPID
JWT and decrypts the message as the subscribing browser would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from queue_core.notify.push import (
    DEFAULT_SERVICES,
    PushError,
    WebPush,
    new_vapid_key,
    parse_subscription,
)
from tests.support.gateways import PushService


async def _push(sender: WebPush, subscription: dict[str, object], message: dict[str, str]) -> None:
    try:
        sub = parse_subscription(subscription, DEFAULT_SERVICES, allow_http_loopback=True)
        await sender.send(sub, message)
    finally:
        await sender.aclose()


def test_a_message_reaches_the_subscription_encrypted_and_vapid_signed(tmp_path: Path) -> None:
    public = new_vapid_key(tmp_path / "vapid.pem")
    assert oct((tmp_path / "vapid.pem").stat().st_mode & 0o777) == "0o600"
    sender = WebPush(tmp_path / "vapid.pem", "mailto:it@bank.example")
    assert sender.public_key == public and len(public) == 87  # 65 bytes, base64url
    with PushService().running() as service:
        subscription = service.subscribe()
        asyncio.run(_push(sender, subscription, {"title": "A012", "body": "请到 3号窗口"}))
    assert service.refused == []
    (got,) = service.delivered
    assert got["message"] == {"title": "A012", "body": "请到 3号窗口"}
    assert got["urgency"] == "high"


def test_a_gone_subscription_is_told_apart_from_a_failing_service(tmp_path: Path) -> None:
    new_vapid_key(tmp_path / "vapid.pem")
    with PushService(status=410).running() as service:
        subscription = service.subscribe()
        with pytest.raises(PushError) as gone:
            asyncio.run(
                _push(WebPush(tmp_path / "vapid.pem", "mailto:it@bank.example"), subscription, {})
            )
        service.status = 500
        with pytest.raises(PushError) as failing:
            asyncio.run(
                _push(WebPush(tmp_path / "vapid.pem", "mailto:it@bank.example"), subscription, {})
            )
    assert gone.value.gone and not failing.value.gone


def test_only_listed_push_services_are_accepted() -> None:
    keys = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}
    ok = parse_subscription(
        {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}, DEFAULT_SERVICES
    )
    assert ok.endpoint.startswith("https://fcm.googleapis.com/")
    assert parse_subscription(
        {"endpoint": "https://db5p.notify.windows.com/w/?token=x", "keys": keys}, DEFAULT_SERVICES
    )
    for endpoint, why in (
        ("https://intranet.bank.local/admin", "not on the branch's list"),
        ("http://fcm.googleapis.com/fcm/send/abc", "https"),
        ("http://127.0.0.1:9/push", "https"),  # loopback only where a test allows it
    ):
        with pytest.raises(ValueError, match=why):
            parse_subscription({"endpoint": endpoint, "keys": keys}, DEFAULT_SERVICES)
    with pytest.raises(ValueError, match="P-256"):
        parse_subscription(
            {"endpoint": ok.endpoint, "keys": {"p256dh": "AAAA", "auth": "A" * 22}},
            DEFAULT_SERVICES,
        )
