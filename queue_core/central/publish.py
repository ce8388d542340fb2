"""Centre to branch: signed branch files and marquee texts into the ``BQ_DOWN`` stream.

The stream keeps the newest messages of each branch, and the branch's durable consumer pushes
them to the branch whenever its leaf node is connected: a branch that was offline gets them
when it reconnects. Each message sent is also recorded in the central database, which is what
refuses a version sent twice.
"""

from __future__ import annotations

import time
from typing import Any

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.types.json import Jsonb

from queue_core.central.consumer import ensure_down_consumer, ensure_streams
from queue_core.central.db import CentralDB
from queue_core.central.files import BRANCH_FILE, load_signing_key, marquee_body, sign
from queue_core.central.protocol import check_branch_code, down_subject
from queue_core.central.settings import CentralConfig
from queue_core.config import ConfigError


def _kind(body: dict[str, Any]) -> str:
    return "file" if body["kind"] == BRANCH_FILE else "marquee"


class Publisher:
    def __init__(self, config: CentralConfig, key: Ed25519PrivateKey | None = None) -> None:
        self.config = config
        if key is None:
            if not config.central.signing_key:
                raise ConfigError("[central] signing_key is not set: branch files cannot be signed")
            key = load_signing_key(config.central.signing_key)
        self.key = key

    async def send(self, bodies: list[dict[str, Any]]) -> None:
        """Sign and send each body to its branch, all or none recorded; refused (ValueError)
        if a version was sent to that branch before."""
        db = await CentralDB.connect(self.config.db_url)
        try:
            await db.migrate()
            async with db.conn.transaction():
                for body in bodies:
                    code, kind = check_branch_code(str(body["branch"])), _kind(body)
                    cur = await db.conn.execute(
                        "INSERT INTO branch_files (branch, kind, version, body, published_at, "
                        "published_by) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (code, kind, int(body["version"]), Jsonb(body), time.time(),
                         str(body["by"])),
                    )  # fmt: skip
                    if cur.rowcount != 1:
                        raise ValueError(
                            f"{kind} version {body['version']} was already sent to {code}"
                        )
                await self._publish(bodies)
            await db.conn.commit()
        finally:
            await db.close()

    async def _publish(self, bodies: list[dict[str, Any]]) -> None:
        nc = await nats.connect(servers=self.config.nats_servers, name="branchq-central-publish")
        try:
            js = nc.jetstream()
            await ensure_streams(js, self.config.central.replicas)
            for code in sorted({str(b["branch"]) for b in bodies}):
                await ensure_down_consumer(js, code)
            for body in bodies:
                code, kind = str(body["branch"]), _kind(body)
                await js.publish(
                    down_subject(code, kind),
                    sign(self.key, body),
                    headers={"Nats-Msg-Id": f"{code}:{kind}:{body['version']}"},
                )
        finally:
            await nc.close()

    async def next_versions(self, branches: list[str], kind: str) -> dict[str, int]:
        db = await CentralDB.connect(self.config.db_url)
        try:
            await db.migrate()
            cur = await db.conn.execute(
                "SELECT branch, max(version) FROM branch_files "
                "WHERE kind = %s AND branch = ANY(%s) GROUP BY branch",
                (kind, branches),
            )
            have = {str(b): int(v) for b, v in await cur.fetchall()}
            await db.conn.rollback()
        finally:
            await db.close()
        return {code: have.get(code, 0) + 1 for code in branches}

    async def marquee(
        self, branches: list[str], text: str, until: float | None, by: str
    ) -> list[dict[str, Any]]:
        """A marquee text to each branch, each under its next version."""
        versions = await self.next_versions(branches, "marquee")
        now = time.time()
        bodies = [marquee_body(code, versions[code], text, until, now, by) for code in branches]
        await self.send(bodies)
        return [{"branch": b["branch"], "version": b["version"]} for b in bodies]


async def publish_down(config: CentralConfig, key: Ed25519PrivateKey, body: dict[str, Any]) -> None:
    await Publisher(config, key).send([body])
