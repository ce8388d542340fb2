"""Branch files and marquee texts from the centre: signed, versioned, applied at a safe moment.

The centre signs each message with its Ed25519 key; a branch holds only the public key
(``[uplink] verify_key``) and refuses anything not signed by it, addressed to another branch,
or not newer than what it has (no replay of an old file). A *branch file* replaces sections of
the branch's TOML (services, tiers, card tier rules, counters, staff with PIN hashes, devices
with token hashes, routing); it is *staged* when it arrives and *applied* only at night, when
the hall is empty, or on the branch admin's command, by restarting the engine on it. A
*marquee text* becomes a hall announcement at once (it changes nothing in the queue).

On disk (``[uplink] files_dir``): ``staged.json`` and ``applied.json`` hold the signed
envelopes as received, so the signature is checked again at every start.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from queue_core.config import BranchConfig, load_config

log = logging.getLogger(__name__)

BRANCH_FILE = "branch-file"
MARQUEE = "marquee"
#: The sections of the branch's TOML a branch file may replace.
FILE_SECTIONS = ("routing", "services", "tiers", "card_tiers", "counters", "staff", "devices")


class RefusedFile(ValueError):
    """A message the branch will not use; ``code`` says why (logged, and acknowledged)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------- keys and signatures
def new_signing_key() -> tuple[bytes, str]:
    """A new Ed25519 key: its private PEM (for the centre) and public hex (for the branches)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, public_hex(key)


def public_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def sign(key: Ed25519PrivateKey, body: dict[str, Any]) -> bytes:
    """The signed envelope of a message body: ``{"body": <JSON text>, "sig": <hex>}``."""
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    signature = key.sign(text.encode())
    return json.dumps({"body": text, "sig": signature.hex()}, ensure_ascii=False).encode()


def verify(envelope: bytes, verify_key: str) -> dict[str, Any]:
    """The body of an envelope signed by the key whose public half is ``verify_key``."""
    try:
        outer = json.loads(envelope)
        text, signature = str(outer["body"]), bytes.fromhex(str(outer["sig"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise RefusedFile(f"not a signed message: {exc}", "not_signed") from exc
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(verify_key)).verify(
            signature, text.encode()
        )
    except (InvalidSignature, ValueError) as exc:
        raise RefusedFile("the signature is not the centre's", "bad_signature") from exc
    body: dict[str, Any] = json.loads(text)
    return body


# ---------------------------------------------------------------------- message bodies
def file_body(
    branch: str, version: int, sections: dict[str, Any], issued_at: float, by: str
) -> dict[str, Any]:
    """A branch file's body, after checking its sections make a valid branch file."""
    check_sections(sections)
    return {
        "kind": BRANCH_FILE,
        "branch": branch,
        "version": version,
        "issued_at": issued_at,
        "by": by,
        "sections": sections,
    }


def marquee_body(
    branch: str, version: int, text: str, until: float | None, issued_at: float, by: str
) -> dict[str, Any]:
    if not text.strip() or len(text) > 200:
        raise ValueError("a marquee text has 1 to 200 characters")
    return {
        "kind": MARQUEE,
        "branch": branch,
        "version": version,
        "text": text,
        "until": until,
        "issued_at": issued_at,
        "by": by,
    }


def check_sections(sections: dict[str, Any]) -> None:
    """Only the sections a branch file may carry, secrets only as hashes, and valid together."""
    unknown = set(sections) - set(FILE_SECTIONS)
    if unknown:
        raise ValueError(f"a branch file cannot set {', '.join(sorted(unknown))}")
    if any("pin" in s for s in sections.get("staff", [])):
        raise ValueError("staff in a branch file carry pin_hash, never a PIN")
    if any("token" in d for d in sections.get("devices", [])):
        raise ValueError("devices in a branch file carry token_hash, never a token")
    try:
        BranchConfig.model_validate({"branch": {"code": "check", "name": "check"}, **sections})
    except ValidationError as exc:
        raise ValueError(f"the sections do not make a valid branch file: {exc}") from exc


# ---------------------------------------------------------------------- the branch's folder
@dataclass(frozen=True)
class Received:
    kind: str
    version: int
    body: dict[str, Any]
    envelope: bytes


class BranchFiles:
    """The branch's received (staged) and running (applied) branch file, and marquee versions."""

    def __init__(self, folder: str | os.PathLike[str], verify_key: str, branch: str) -> None:
        self.folder = Path(folder)
        self.verify_key = verify_key
        self.branch = branch

    def _path(self, name: str) -> Path:
        return self.folder / name

    def _read(self, name: str) -> dict[str, Any] | None:
        path = self._path(name)
        if not path.exists():
            return None
        try:
            body = verify(path.read_bytes(), self.verify_key)
        except RefusedFile as exc:
            log.error("%s: %s; ignored", path, exc)
            return None
        return body if body.get("branch") == self.branch else None

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(name + ".tmp")
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._path(name))

    def version(self, name: str) -> int | None:
        body = self._read(name)
        return int(body["version"]) if body else None

    def versions(self) -> dict[str, int | None]:
        return {
            "staged": self.version("staged.json"),
            "applied": self.version("applied.json"),
            "marquee": self.version("marquee.json"),
        }

    def receive(self, envelope: bytes) -> Received:
        """Check a message from the centre; a branch file is staged at once."""
        body = verify(envelope, self.verify_key)
        if body.get("branch") != self.branch:
            raise RefusedFile(f"addressed to branch {body.get('branch')!r}", "wrong_branch")
        kind, version = body.get("kind"), int(body.get("version") or 0)
        if kind == BRANCH_FILE:
            have = max(self.version("staged.json") or 0, self.version("applied.json") or 0)
            if version <= have:
                raise RefusedFile(f"version {version} is not newer than {have}", "old_version")
            check_sections(dict(body["sections"]))
            self._write("staged.json", envelope)
        elif kind == MARQUEE:
            have = self.version("marquee.json") or 0
            if version <= have:
                raise RefusedFile(f"marquee {version} is not newer than {have}", "old_version")
        else:
            raise RefusedFile(f"unknown kind {kind!r}", "unknown_kind")
        return Received(str(kind), version, body, envelope)

    def shown_marquee(self, received: Received) -> None:
        """Note that a marquee text is on the hall display: a resend of it is refused."""
        self._write("marquee.json", received.envelope)

    def pending(self) -> int | None:
        """The staged version when it is newer than the applied one."""
        staged, applied = self.version("staged.json"), self.version("applied.json")
        if staged is not None and staged > (applied or 0):
            return staged
        return None

    def promote(self) -> int | None:
        """Make the staged file the applied one (the engine then restarts on it)."""
        version = self.pending()
        if version is None:
            return None
        self._write("applied.json", self._path("staged.json").read_bytes())
        return version

    def applied_sections(self) -> dict[str, Any] | None:
        body = self._read("applied.json")
        return dict(body["sections"]) if body and body.get("kind") == BRANCH_FILE else None


def load_branch_config(path: str | Path | None) -> BranchConfig:
    """The branch file, with the sections of the applied central branch file in force.

    A central file that no longer fits the local one (say, a counter's device names a service
    the local file lacks) is not used: the engine starts on the local file and says so.
    """
    config = load_config(path)
    if config.uplink is None or path is None:
        return config
    files = BranchFiles(config.uplink.files_dir, config.uplink.verify_key, config.branch.code)
    sections = files.applied_sections()
    if sections is None:
        return config
    text = Path(path).read_text("utf-8")
    data = tomllib.loads(text)
    data.update(sections)
    try:
        merged = BranchConfig.model_validate(data)
    except ValidationError as exc:
        log.error("the applied central branch file does not fit %s, not used: %s", path, exc)
        return config
    log.info("branch file version %s from the centre in force", files.version("applied.json"))
    return merged
