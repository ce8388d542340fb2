"""Phone numbers, kept only as long as needed to send the day's messages.

A number given for "tell me when I'm next" is stored as two things: a keyed hash (HMAC-SHA256
under a key derived from the branch secret), which lets the engine count and limit requests
per number without keeping it readable, and the number encrypted with AES-256-GCM under a
second derived key, bound to its ticket (associated data), which is what the SMS client
decrypts to send. Both are deleted when the business day ends. The number itself is never
logged or shown; ``masked`` gives the form a screen may show (``138****5678``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from queue_core.domain.errors import InvalidInput

_MAINLAND = re.compile(r"1[3-9]\d{9}")


def normalize_phone(text: str) -> str:
    """A mainland China mobile number in E.164 (``+8613812345678``), from what a person types
    (spaces, dashes, a ``+86``/``0086``/``86`` prefix); ``InvalidInput`` otherwise."""
    digits = re.sub(r"[\s\-()]", "", text or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix) :]
            break
    if not _MAINLAND.fullmatch(digits):
        raise InvalidInput(
            "a mobile number is 11 digits starting with 1 (e.g. 138 1234 5678)", "invalid_phone"
        )
    return "+86" + digits


def masked(phone: str) -> str:
    """What a person may see of a number: ``138****5678``."""
    national = phone.removeprefix("+86")
    return f"{national[:3]}****{national[-4:]}"


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(secret)


class PhoneVault:
    """Hashes and seals phone numbers with keys derived from the branch secret."""

    def __init__(self, secret: bytes) -> None:
        self._hash_key = _derive(secret, b"branchq phone hash v1")
        self._aead = AESGCM(_derive(secret, b"branchq phone seal v1"))

    def digest(self, phone: str) -> str:
        return hmac.new(self._hash_key, phone.encode(), hashlib.sha256).hexdigest()

    def seal(self, phone: str, bound_to: str) -> str:
        """The number encrypted, readable only with this vault and the same ``bound_to``."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, phone.encode(), bound_to.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, bound_to: str) -> str:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return self._aead.decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
