"""The head office's TOML file: its database, its NATS servers, regions, branches and users.

Secrets may stay out of the file: ``BRANCHQ_CENTRAL_DB`` and ``BRANCHQ_CENTRAL_NATS`` (space
separated URLs) override ``db`` and ``nats`` (deploy/env/central.env).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from queue_core.config import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CentralInfo(_Strict):
    name: str = "总行"
    name_en: str = "Head office"
    db: str = ""
    nats: list[str] = []
    #: JetStream replicas of the two streams (3 on the centre's three-server cluster).
    replicas: int = Field(default=1, ge=1, le=5)
    #: The Ed25519 key that signs branch files (``branchq central keygen``).
    signing_key: str = ""
    session_hours: float = Field(default=12.0, gt=0)
    #: A branch whose status has not come for this long counts as cut off.
    link_timeout_s: float = Field(default=30.0, gt=0)


class Region(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str
    name_en: str = ""


class BranchEntry(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    name: str = ""
    region: str = ""


class User(_Strict):
    login: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    name: str = ""
    password_hash: str
    role: Literal["admin", "viewer", "region"]
    region: str = ""

    @model_validator(mode="after")
    def _region(self) -> User:
        if self.role == "region" and not self.region:
            raise ValueError("a region manager needs region = CODE")
        return self


class CentralConfig(_Strict):
    central: CentralInfo = CentralInfo()
    regions: list[Region] = []
    branches: list[BranchEntry] = []
    users: list[User] = []

    @model_validator(mode="after")
    def _references(self) -> CentralConfig:
        regions = {r.code for r in self.regions}
        named = [b.region for b in self.branches] + [u.region for u in self.users]
        for region in named:
            if region and region not in regions:
                raise ValueError(f"unknown region {region!r} (known: {sorted(regions)})")
        return self

    def region_of(self, branch: str) -> str:
        return next((b.region for b in self.branches if b.code == branch), "")

    def user(self, login: str) -> User | None:
        return next((u for u in self.users if u.login == login), None)

    @property
    def db_url(self) -> str:
        url = os.environ.get("BRANCHQ_CENTRAL_DB") or self.central.db
        if not url:
            raise ConfigError("no central database: set [central] db or BRANCHQ_CENTRAL_DB")
        return url

    @property
    def nats_servers(self) -> list[str]:
        servers = os.environ.get("BRANCHQ_CENTRAL_NATS", "").split() or self.central.nats
        if not servers:
            raise ConfigError("no NATS servers: set [central] nats or BRANCHQ_CENTRAL_NATS")
        return servers


def load_central(path: str | Path) -> CentralConfig:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text("utf-8"))
        return CentralConfig.model_validate(data)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = [
            f"{file}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError("\n".join(problems)) from exc
