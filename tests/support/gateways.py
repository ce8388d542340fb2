"""Local stand-ins for the outside services a notification goes to, each checking what the
service's documents require of a request and answering as the service documents.

- ``TencentSmsGateway``: Tencent Cloud SMS API 3.0 ``SendSms`` (version 2021-01-11). It
  rebuilds the TC3-HMAC-SHA256 canonical request from what arrived and checks the signature
  with Tencent Cloud's own signer (``tencentcloud-sdk-python-common``, ``Sign.sign_tc3``), so
  the engine's client is checked against the vendor's code, not against itself.
- ``PushService``: a Web Push service (RFC 8030): it checks the VAPID ``Authorization``
  (RFC 8292: an ES256 JWT whose ``aud`` is the service's origin, signed by the key in
  ``k``), and decrypts the ``aes128gcm`` body (RFC 8291) with the private key of the
  subscription it handed out, as a browser would.
Both run on loopback only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from tencentcloud.common.sign import Sign


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], state: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- Tencent Cloud SMS
@dataclass
class TencentSmsGateway:
    secret_id: str = "AKIDtestbranchq0000000000000000000000"
    secret_key: str = "testsecretkeybranchq0000000000000"
    #: What to do with the next requests: "ok", "hang" (answer nothing for a while), "500".
    mode: str = "ok"
    hang_s: float = 5.0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @contextmanager
    def running(self) -> Iterator[str]:
        with _serving(_SmsHandler, self) as url:
            yield url

    def check(self, headers: dict[str, str], body: bytes) -> str | None:
        """The documented error code for what is wrong with the request, or None."""
        auth = headers.get("authorization", "")
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return "AuthFailure.SignatureFailure"
        fields = dict(
            part.strip().split("=", 1) for part in auth.removeprefix("TC3-HMAC-SHA256 ").split(",")
        )
        secret_id, date, service, terminator = fields["Credential"].split("/")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        if (service, terminator) != ("sms", "tc3_request"):
            return "AuthFailure.SignatureFailure"
        if date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
            return "AuthFailure.SignatureFailure"
        names = fields["SignedHeaders"].split(";")
        if not {"content-type", "host"} <= set(names) or names != sorted(names):
            return "AuthFailure.SignatureFailure"
        canonical = "\n".join(
            [
                "POST",
                "/",
                "",
                # The documents: signed header names and values in lower case, trimmed.
                "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names),
                ";".join(names),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                f"{date}/{service}/tc3_request",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        if Sign.sign_tc3(self.secret_key, date, service, to_sign) != fields["Signature"]:
            return "AuthFailure.SignatureFailure"
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return "InvalidAction"
        if not headers.get("x-tc-region"):
            return "MissingParameter"
        return None


class _SmsHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        gateway: TencentSmsGateway = self.server.state  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if gateway.mode == "hang":
            time.sleep(gateway.hang_s)
        if gateway.mode == "500":
            self._answer(500, b"<html>Bad gateway</html>", "text/html")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        problem = gateway.check(headers, body) if self.path == "/" else "InvalidAction"
        request_id = os.urandom(8).hex()
        if problem is None:
            params = json.loads(body)
            phones = params.get("PhoneNumberSet")
            templated = isinstance(params.get("TemplateParamSet"), list)
            if not (
                isinstance(phones, list)
                and len(phones) == 1
                and str(phones[0]).startswith("+86")
                and params.get("SmsSdkAppId")
                and params.get("SignName")
                and params.get("TemplateId")
                and templated
            ):
                problem = "InvalidParameterValue"
        if problem is not None:
            gateway.refused.append(problem)
            answer = {"Error": {"Code": problem, "Message": problem}, "RequestId": request_id}
        else:
            gateway.accepted.append(params)
            answer = {
                "SendStatusSet": [
                    {
                        "SerialNo": f"2028:{request_id}",
                        "PhoneNumber": phones[0],
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": request_id,
            }
        self._answer(200, json.dumps({"Response": answer}).encode(), "application/json")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# ---------------------------------------------------------------- Web Push
@dataclass
class BrowserKeys:
    """What a browser makes when it subscribes: a P-256 key pair and a 16-byte auth secret."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64url(point)


@dataclass
class PushService:
    #: The status to answer with: 201 (created, as RFC 8030 says), 410 (gone), 500.
    status: int = 201
    subscriptions: dict[str, BrowserKeys] = field(default_factory=dict)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    url: str = ""

    @contextmanager
    def running(self) -> Iterator[PushService]:
        with _serving(_PushHandler, self) as url:
            self.url = url
            yield self

    def subscribe(self) -> dict[str, Any]:
        """A new subscription as ``PushSubscription.toJSON()`` gives it."""
        token = _b64url(os.urandom(12))
        keys = BrowserKeys()
        self.subscriptions[token] = keys
        return {
            "endpoint": f"{self.url}/push/{token}",
            "keys": {"p256dh": keys.p256dh, "auth": _b64url(keys.auth)},
        }

    def check_vapid(self, header: str) -> str | None:
        """RFC 8292: ``vapid t=<JWT>, k=<public key>``; the JWT is ES256 over header.claims."""
        if not header.startswith("vapid "):
            return "no vapid authorization"
        parts = dict(p.strip().split("=", 1) for p in header.removeprefix("vapid ").split(","))
        head, claims, signature = parts["t"].split(".")
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64url(parts["k"]))
        raw = _unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        try:
            key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return "bad vapid signature"
        if json.loads(_unb64url(head)).get("alg") != "ES256":
            return "vapid alg is not ES256"
        body = json.loads(_unb64url(claims))
        if body.get("aud") != self.url:
            return f"vapid aud {body.get('aud')!r} is not {self.url!r}"
        if not 0 < int(body.get("exp", 0)) - time.time() <= 24 * 3600:
            return "vapid exp not within 24 h"
        if not str(body.get("sub", "")).startswith(("mailto:", "https:")):
            return "vapid sub is not a mailto: or https: contact"
        return None


class _PushHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        service: PushService = self.server.state  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        token = self.path.rsplit("/", 1)[-1]
        keys = service.subscriptions.get(token)
        problem = None
        if keys is None:
            problem = "unknown subscription"
        elif self.headers.get("Content-Encoding") != "aes128gcm":
            problem = "content encoding is not aes128gcm"
        elif not self.headers.get("TTL", "").isdigit():
            problem = "no TTL"
        else:
            problem = service.check_vapid(self.headers.get("Authorization", ""))
        if problem is None and keys is not None and service.status == 201:
            plain = http_ece.decrypt(body, private_key=keys.private, auth_secret=keys.auth)
            service.delivered.append(
                {"token": token, "message": json.loads(plain), "urgency": self.headers["Urgency"]}
            )
        elif problem is not None:
            service.refused.append(problem)
        status = 400 if problem else service.status
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
