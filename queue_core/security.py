"""Secrets handled by the engine: PIN and token hashes, card hashes, session tokens.

- PINs: scrypt with a random salt (``scrypt$n$r$p$salt$hash``); compared in constant time.
- Device and session tokens: SHA-256 of the token (they are long random strings, so a fast
  hash is enough); lookups compare digests with ``hmac.compare_digest``.
- Card numbers: HMAC-SHA256 keyed with the branch secret, so the hash of a card cannot be
  reversed by trying every card number without the key.
The branch secret lives in a file (``BRANCHQ_SECRET_FILE``, default ``./branchq.secret``)
created with mode 0600 on first start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of a PIN, safe to keep in the branch file or the database."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches the ``hash_pin`` value ``stored`` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(
            pin.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def hash_token(token: str) -> str:
    """The stored form of a device or session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """An opaque, unguessable ticket id (the public page needs nothing else)."""
    return secrets.token_urlsafe(12)


def card_hash(card: str, key: bytes) -> str:
    """The keyed hash of a card number: the only form a card number is ever stored in."""
    return hmac.new(key, card.strip().encode(), hashlib.sha256).hexdigest()


def load_secret(path: str | os.PathLike[str] | None = None) -> bytes:
    """The branch secret (32 random bytes), created on first use with owner-only access."""
    file = Path(path or os.environ.get("BRANCHQ_SECRET_FILE", "branchq.secret"))
    if file.exists():
        return bytes.fromhex(file.read_text().strip())
    key = secrets.token_bytes(32)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key.hex())
    return key


def browser_hash(browser: str, key: bytes) -> str:
    """The keyed hash a phone page's random browser id is kept as (the phone limits' key)."""
    return hmac.new(key, b"browser:" + browser.encode(), hashlib.sha256).hexdigest()


def door_key(key: bytes) -> bytes:
    """The key of the check-in codes the kiosk and the door show (``domain.remote``)."""
    return hmac.new(key, b"door-code", hashlib.sha256).digest()
