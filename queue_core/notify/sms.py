"""SMS through Tencent Cloud SMS (API 3.0, ``SendSms``, version 2021-01-11).

The request is what Tencent Cloud documents: ``POST https://sms.tencentcloudapi.com/`` with a
JSON body (``PhoneNumberSet``, ``SmsSdkAppId``, ``SignName``, ``TemplateId``,
``TemplateParamSet``), the common headers ``X-TC-Action``, ``X-TC-Version``,
``X-TC-Timestamp``, ``X-TC-Region``, and an ``Authorization`` header signed with
TC3-HMAC-SHA256 ("Signature v3"):

1. CanonicalRequest = method, URI ``/``, query (empty for POST), the signed headers as
   ``name:value`` lines (names in lower case, sorted), their names joined by ``;``, and the
   lower-case hex SHA-256 of the body, each on its own line;
2. StringToSign = ``TC3-HMAC-SHA256``, the timestamp, the credential scope
   ``<UTC date>/sms/tc3_request`` and the hex SHA-256 of the CanonicalRequest;
3. the signing key is HMAC-SHA256 chained over ``"TC3" + SecretKey`` → date → service →
   ``tc3_request``; the signature is the hex HMAC-SHA256 of StringToSign under it;
4. ``Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, SignedHeaders=…,
   Signature=…``.

Sources: Tencent Cloud SMS API documentation, "SendSms" (cloud.tencent.com/document/api/382/55981,
international edition tencentcloud.com/document/api/382/40536), and "签名方法 v3 / Signature v3"
of API 3.0 (www.tencentcloud.com/zh/document/api/1021/34193; the same page is published for
each Tencent Cloud product), whose SMS example signs the body of a ``SendSms`` request.
Answers are HTTP 200 with ``{"Response": {...}}``: an ``Error`` object on a refused request,
else one ``SendStatus`` per number whose ``Code`` is ``"Ok"`` when accepted.

No number is logged: log lines carry the last four digits at most.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

ALGORITHM = "TC3-HMAC-SHA256"
ACTION = "SendSms"
VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"


class SmsError(Exception):
    """The gateway refused or could not be reached; ``code`` is the gateway's or ours."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TencentSmsSettings:
    """One branch's account at Tencent Cloud SMS (``[notify.sms]`` in the branch file)."""

    secret_id: str
    secret_key: str = field(repr=False)
    sdk_app_id: str
    sign_name: str
    region: str = "ap-guangzhou"
    endpoint: str = "https://sms.tencentcloudapi.com"
    timeout_s: float = 3.0


def tc3_headers(
    settings: TencentSmsSettings, body: bytes, timestamp: int, action: str = ACTION
) -> dict[str, str]:
    """The request headers of a signed API 3.0 call, ``Authorization`` included."""
    host = urlsplit(settings.endpoint).netloc
    signed = {"content-type": CONTENT_TYPE, "host": host, "x-tc-action": action.lower()}
    names = sorted(signed)
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("TC3" + settings.secret_key).encode(), date)
    key = _hmac(_hmac(key, SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": (
            f"{ALGORITHM} Credential={settings.secret_id}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        ),
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": VERSION,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": settings.region,
    }


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


class TencentSms:
    """Sends one templated message to one number; raises ``SmsError`` on any failure."""

    def __init__(
        self,
        settings: TencentSmsSettings,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=settings.timeout_s)
        self.clock = clock

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, phone: str, template_id: str, params: Sequence[str]) -> str:
        """Send; returns the gateway's serial number of the message."""
        body = json.dumps(
            {
                "PhoneNumberSet": [phone],
                "SmsSdkAppId": self.settings.sdk_app_id,
                "SignName": self.settings.sign_name,
                "TemplateId": template_id,
                "TemplateParamSet": list(params),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = tc3_headers(self.settings, body, int(self.clock()))
        try:
            response = await self.client.post(
                self.settings.endpoint.rstrip("/") + "/", content=body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise SmsError("timeout", f"no answer within {self.settings.timeout_s} s") from exc
        except httpx.HTTPError as exc:
            raise SmsError("unreachable", type(exc).__name__) from exc
        try:
            answer = response.json()["Response"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SmsError(f"http_{response.status_code}", "not a Tencent Cloud answer") from exc
        if "Error" in answer:
            error = answer["Error"]
            raise SmsError(str(error.get("Code", "error")), str(error.get("Message", "")))
        statuses = answer.get("SendStatusSet") or []
        if not statuses:
            raise SmsError("no_status", "the answer had no send status")
        status = statuses[0]
        if status.get("Code") != "Ok":
            raise SmsError(str(status.get("Code")), str(status.get("Message", "")))
        return str(status.get("SerialNo", ""))
