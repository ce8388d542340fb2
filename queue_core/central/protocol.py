"""What the branch and the centre say to each other over NATS: subjects, streams, bodies.

Subjects (``<b>`` is the branch code; the centre's NATS gives each branch's leaf node rights
on its own subjects only, see ``deploy/nats``):

- ``bq.up.<b>`` — batches of the branch's event log, in ``seq`` order, into the JetStream
  stream ``BQ_UP``. A batch holds consecutive events; a resent batch is harmless (the centre
  keeps each (branch, seq) once).
- ``bq.status.<b>`` — the branch's status exchange, core NATS request/reply, answered by the
  centre's consumer: what the branch has (its log head, its clock) against what the centre
  has (the last seq it applied, its clock, where to resend from after a gap).
- ``bq.down.<b>.file`` / ``bq.down.<b>.marquee`` — signed branch files and marquee texts,
  stream ``BQ_DOWN``; the branch's durable consumer ``down_<b>`` pushes them to
  ``bq.deliver.<b>`` whenever the branch is connected (so an offline branch gets them later).
- Replies reach a branch under its own inbox prefix ``_INBOX_<b>``, the only inbox it may read.
"""

from __future__ import annotations

import itertools
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from queue_core.config import BranchConfig

#: The centre's JetStream domain: a branch's leaf node reaches the centre's JetStream API as
#: ``$JS.<domain>.API``.
DOMAIN = "central"
STREAM_UP = "BQ_UP"
STREAM_DOWN = "BQ_DOWN"
#: The centre's durable consumer of ``BQ_UP``.
CENTRAL_CONSUMER = "central"
#: The queue group of the centre's status responders (several consumers share the work).
STATUS_GROUP = "central-status"
#: Branch codes travel as one subject token.
SUBJECT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
#: Batches larger than this are compressed (zlib) on the wire.
COMPRESS_OVER = 4096
VERSION = 1


class ProtocolError(ValueError):
    """A message that is not what this protocol sends: logged and dropped (acknowledged)."""


def up_subject(branch: str) -> str:
    return f"bq.up.{branch}"


def status_subject(branch: str) -> str:
    return f"bq.status.{branch}"


def down_subject(branch: str, kind: str) -> str:
    return f"bq.down.{branch}.{kind}"


def deliver_subject(branch: str) -> str:
    return f"bq.deliver.{branch}"


def down_consumer(branch: str) -> str:
    return f"down_{branch}"


def inbox_prefix(branch: str) -> str:
    return f"_INBOX_{branch}"


def check_branch_code(code: str) -> str:
    if not SUBJECT_TOKEN.fullmatch(code):
        raise ValueError(
            f"branch code {code!r} cannot name NATS subjects: use letters, digits, '-' or '_'"
        )
    return code


@dataclass(frozen=True, slots=True)
class UpEvent:
    """One event of a branch's log, as it travels: ``at`` in epoch seconds, exactly."""

    seq: int
    type: str
    at: float
    data: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    """Consecutive events of one branch's log (``first`` … ``last``)."""

    branch: str
    events: list[UpEvent]
    #: The branch's clock when the batch was sent (each try anew).
    sent_at: float
    #: The branch as configured (``describe``), sent with the first batch after a connect.
    described: dict[str, Any] | None = None

    @property
    def first(self) -> int:
        return self.events[0].seq

    @property
    def last(self) -> int:
        return self.events[-1].seq

    @property
    def msg_id(self) -> str:
        """JetStream's de-duplication id: the same batch sent twice is stored once."""
        return f"{self.branch}:{self.first}-{self.last}"


def encode_batch(batch: Batch) -> tuple[bytes, dict[str, str]]:
    """The batch's payload and headers."""
    if not batch.events:
        raise ValueError("an empty batch is not sent")
    body: dict[str, Any] = {
        "v": VERSION,
        "branch": batch.branch,
        "sent_at": batch.sent_at,
        "events": [[e.seq, e.type, e.at, e.data] for e in batch.events],
    }
    if batch.described is not None:
        body["described"] = batch.described
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Nats-Msg-Id": batch.msg_id, "Bq-Last-Seq": str(batch.last)}
    if len(raw) > COMPRESS_OVER:
        raw = zlib.compress(raw, 6)
        headers["Bq-Encoding"] = "zlib"
    return raw, headers


def decode_batch(payload: bytes, headers: dict[str, str] | None) -> Batch:
    """A batch back from the wire; ``ProtocolError`` for anything else."""
    try:
        if headers and headers.get("Bq-Encoding") == "zlib":
            payload = zlib.decompress(payload)
        body = json.loads(payload)
        if body.get("v") != VERSION:
            raise ProtocolError(f"unknown batch version {body.get('v')!r}")
        events = [UpEvent(int(s), str(t), float(a), dict(d)) for s, t, a, d in body["events"]]
        batch = Batch(
            branch=check_branch_code(str(body["branch"])),
            events=events,
            sent_at=float(body["sent_at"]),
            described=body.get("described"),
        )
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, zlib.error) as exc:
        raise ProtocolError(f"not a batch: {exc}") from exc
    if not events or any(b.seq != a.seq + 1 for a, b in itertools.pairwise(events)):
        raise ProtocolError("a batch holds consecutive events")
    return batch


def describe(config: BranchConfig) -> dict[str, Any]:
    """What the centre needs to rebuild a branch's figures: its time zone, services, tiers and
    counters, as the branch runs them (not as the centre last sent them)."""
    b = config.branch
    return {
        "code": b.code,
        "name": b.name,
        "name_en": b.name_en,
        "bank": b.bank,
        "timezone": b.timezone,
        "opening": b.opening,
        "closing": b.closing,
        "services": [
            {"code": s.code, "name": s.name, "name_en": s.name_en} for s in config.services
        ],
        "tiers": [{"code": t.code, "name": t.name, "rank": t.rank} for t in config.tiers],
        "counters": [
            {
                "number": c.number,
                "name": c.display_name,
                "services": list(c.services),
                "prefers_green": c.prefers_green,
            }
            for c in config.counters
        ],
    }


@dataclass
class StatusRequest:
    """The branch's side of the status exchange (every few seconds while connected)."""

    branch: str
    #: The branch's clock when sent, and the round trip of the previous exchange.
    sent_at: float
    rtt: float | None
    #: The newest seq in the branch's log, and the newest the centre's stream acknowledged.
    head: int
    acked: int
    described: dict[str, Any]
    #: Branch-file versions: the newest received (staged) and the one running (applied).
    files: dict[str, int | None] = field(default_factory=dict)

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> StatusRequest:
        try:
            body = json.loads(payload)
            return cls(
                branch=check_branch_code(str(body["branch"])),
                sent_at=float(body["sent_at"]),
                rtt=None if body.get("rtt") is None else float(body["rtt"]),
                head=int(body["head"]),
                acked=int(body["acked"]),
                described=dict(body["described"]),
                files=dict(body.get("files") or {}),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ProtocolError(f"not a status request: {exc}") from exc


@dataclass
class StatusReply:
    """The centre's side: the last seq it applied for the branch, and its clock."""

    applied: int
    time: float
    #: Set when the centre holds events after a hole: the branch sends again from here.
    resend_from: int | None = None
    #: The branch's clock minus the centre's, as the centre measured it (seconds).
    clock_offset: float | None = None

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> StatusReply:
        try:
            body = json.loads(payload)
            return cls(
                applied=int(body["applied"]),
                time=float(body["time"]),
                resend_from=None if body.get("resend_from") is None else int(body["resend_from"]),
                clock_offset=None
                if body.get("clock_offset") is None
                else float(body["clock_offset"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ProtocolError(f"not a status reply: {exc}") from exc
