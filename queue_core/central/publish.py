"""Centre to branch: a signed branch file or marquee text into the ``BQ_DOWN`` stream.

The stream keeps the newest messages of each branch, and the branch's durable consumer pushes
them to the branch whenever its leaf node is connected: a branch that was offline gets them
when it reconnects. Each message sent is also recorded in the central database.
"""

from __future__ import annotations

import time
from typing import Any

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.types.json import Jsonb

from queue_core.central.consumer import ensure_down_consumer, ensure_streams
from queue_core.central.db import CentralDB
from queue_core.central.files import BRANCH_FILE, sign
from queue_core.central.protocol import check_branch_code, down_subject
from queue_core.central.settings import CentralConfig


async def publish_down(config: CentralConfig, key: Ed25519PrivateKey, body: dict[str, Any]) -> None:
    """Sign ``body`` and send it to its branch; refused if that version was sent before."""
    code = check_branch_code(str(body["branch"]))
    kind = "file" if body["kind"] == BRANCH_FILE else "marquee"
    db = await CentralDB.connect(config.db_url)
    try:
        await db.migrate()
        async with db.conn.transaction():
            cur = await db.conn.execute(
                "INSERT INTO branch_files (branch, kind, version, body, published_at, "
                "published_by) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (code, kind, int(body["version"]), Jsonb(body), time.time(), str(body["by"])),
            )
            if cur.rowcount != 1:
                raise ValueError(f"{kind} version {body['version']} was already sent to {code}")
            nc = await nats.connect(servers=config.nats_servers, name="branchq-central-publish")
            try:
                js = nc.jetstream()
                await ensure_streams(js, config.central.replicas)
                await ensure_down_consumer(js, code)
                await js.publish(
                    down_subject(code, kind),
                    sign(key, body),
                    headers={"Nats-Msg-Id": f"{code}:{kind}:{body['version']}"},
                )
            finally:
                await nc.close()
        await db.conn.commit()
    finally:
        await db.close()
