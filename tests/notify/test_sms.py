"""The Tencent Cloud SMS client against a local gateway that checks the documented request and
its TC3-HMAC-SHA256 signature with Tencent Cloud's own signer."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from queue_core.notify.sms import SmsError, TencentSms, TencentSmsSettings
from tests.support.gateways import TencentSmsGateway


def _client(gateway: TencentSmsGateway, url: str, **changes: object) -> TencentSms:
    settings = TencentSmsSettings(
        secret_id=gateway.secret_id,
        secret_key=gateway.secret_key,
        sdk_app_id="1400006666",
        sign_name="示范银行",
        endpoint=url,
        timeout_s=2.0,
    )
    return TencentSms(replace(settings, **changes))  # type: ignore[arg-type]


async def _send(client: TencentSms, phone: str = "+8613812345678") -> str:
    try:
        return await client.send(phone, "1110", ["A012", "3号窗口"])
    finally:
        await client.aclose()


def test_a_signed_send_sms_is_accepted_as_documented() -> None:
    gateway = TencentSmsGateway()
    with gateway.running() as url:
        serial = asyncio.run(_send(_client(gateway, url)))
    assert serial.startswith("2028:")
    assert gateway.refused == []
    (sent,) = gateway.accepted
    assert sent == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400006666",
        "SignName": "示范银行",
        "TemplateId": "1110",
        "TemplateParamSet": ["A012", "3号窗口"],
    }


def test_a_wrong_key_or_a_changed_body_fails_the_signature() -> None:
    gateway = TencentSmsGateway()
    with gateway.running() as url:
        with pytest.raises(SmsError) as wrong_key:
            asyncio.run(_send(_client(gateway, url, secret_key="not-the-key")))
        with pytest.raises(SmsError) as unknown_id:
            asyncio.run(_send(_client(gateway, url, secret_id="AKIDsomeoneelse")))
    assert wrong_key.value.code == "AuthFailure.SignatureFailure"
    assert unknown_id.value.code == "AuthFailure.SecretIdNotFound"
    assert gateway.accepted == []


def test_a_dead_gateway_is_an_error_not_a_hang() -> None:
    gateway = TencentSmsGateway(mode="hang", hang_s=3.0)
    with gateway.running() as url:
        with pytest.raises(SmsError) as slow:
            asyncio.run(_send(_client(gateway, url, timeout_s=0.2)))
        gateway.mode = "500"
        with pytest.raises(SmsError) as broken:
            asyncio.run(_send(_client(gateway, url)))
    assert slow.value.code == "timeout"
    assert broken.value.code == "http_500"
    with pytest.raises(SmsError) as gone:
        asyncio.run(_send(_client(gateway, "http://127.0.0.1:9")))
    assert gone.value.code == "unreachable"
