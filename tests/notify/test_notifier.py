""" "You're next" end to end in the engine: customers opt in on the ticket's page (Web Push, SMS),
the notifier tells them when ``ahead`` are before them and when they are called, through the
local push service (VAPID checked, message decrypted as the browser would) and the local
Tencent Cloud SMS gateway (TC3 signature checked with the vendor's signer); the phone number
is kept only hashed and sealed, and erased when the day ends."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from queue_core.config import BranchConfig, load_config
from queue_core.events.hub import EventHub
from queue_core.events.watch import TicketWatch
from queue_core.notify.notifier import Notifier
from queue_core.notify.push import new_vapid_key
from queue_core.store import Store
from queue_core.store.models import NotifyRow
from queue_core.usecases import Branch
from queue_core.usecases.counters import CallNext, Finish, MoveCounter
from queue_core.usecases.notices import EraseNotices, OptIn
from queue_core.usecases.tickets import IssueTicket
from queue_core.wire import iso
from tests.support.gateways import PushService, TencentSmsGateway

SECRET = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_763_001_000.0  # 2025-11-13 10:30 in Shanghai

    def __call__(self) -> float:
        return self.now


def configured(tmp_path: Path, sms: TencentSmsGateway, sms_url: str) -> BranchConfig:
    new_vapid_key(tmp_path / "vapid.pem")
    (tmp_path / "sms.key").write_text(sms.secret_key)
    config = load_config()
    notify = config.notify.model_validate(
        {
            "ahead": 2,
            "push": {
                "vapid_private_key": str(tmp_path / "vapid.pem"),
                "subject": "mailto:it@bank.example",
                "allow_loopback": True,
            },
            "sms": {
                "secret_id": sms.secret_id,
                "secret_key_file": str(tmp_path / "sms.key"),
                "sdk_app_id": "1400006666",
                "sign_name": "示范银行",
                "template_next": "1110",
                "template_called": "1111",
                "endpoint": sms_url,
            },
        }
    )
    return config.model_copy(update={"notify": notify})


async def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(600):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


def test_customers_who_opted_in_are_told_when_near_and_when_called(tmp_path: Path) -> None:
    sms = TencentSmsGateway()
    with PushService().running() as push, sms.running() as sms_url:
        config = configured(tmp_path, sms, sms_url)
        store = Store(f"sqlite:///{tmp_path / 'q.db'}")
        clock = Clock()

        async def scenario() -> None:
            hub = EventHub(functools.partial(iso, tz=config.zone))  # type: ignore[arg-type]
            hub.bind(asyncio.get_running_loop())
            branch = Branch(config, store, SECRET, clock=clock, publish=hub.publish)

            async def compute(ids: list[str]) -> dict[str, dict[str, object]]:
                return dict(await asyncio.to_thread(branch.reads.public_many, ids))

            watch = TicketWatch(hub, compute)
            notifier = Notifier.of(config, branch, watch, SECRET)
            watch.start()
            await notifier.start()
            try:
                assert notifier.options()["sms"] and notifier.options()["push_key"]
                await branch.execute(MoveCounter(3, "open", "t03"))
                tickets = [
                    (await branch.execute(IssueTicket("kiosk-1", "A"))).value.ticket
                    for _ in range(5)
                ]
                by_push, by_sms = tickets[4], tickets[3]
                kept = '{"endpoint":"%s","p256dh":"%s","auth":"%s"}'
                sub = push.subscribe()
                sealed = notifier.vault.seal(
                    kept % (sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"]),
                    by_push.id,
                )
                await branch.execute(OptIn(by_push.id, "push", sealed, "en"))
                await notifier.follow(by_push.id)
                phone = "+8613812345678"
                await branch.execute(
                    OptIn(
                        by_sms.id,
                        "sms",
                        notifier.vault.seal(phone, by_sms.id),
                        number_hash=notifier.vault.digest(phone),
                        per_number=6,
                    )
                )
                await notifier.follow(by_sms.id)
                assert push.delivered == [] and sms.accepted == []  # 4 and 3 ahead: not yet

                await branch.execute(CallNext(3, "t03"))  # now 2 ahead of the SMS customer
                await until(lambda: len(sms.accepted) == 1, "the SMS 'near'")
                assert sms.accepted[0]["TemplateId"] == "1110"
                assert sms.accepted[0]["TemplateParamSet"] == [by_sms.number, "2"]
                assert sms.accepted[0]["PhoneNumberSet"] == [phone]
                await branch.execute(Finish(3))
                await branch.execute(CallNext(3, "t03"))  # 2 ahead of the push customer
                await until(lambda: len(push.delivered) == 1, "the push 'near'")
                message = push.delivered[0]["message"]
                assert (
                    message["body"]
                    == f"{by_push.number}: 2 ahead of you, please come back to the hall"
                )
                assert message["url"].endswith(f"/t/{by_push.id}")
                for _ in range(2):
                    await branch.execute(Finish(3))
                    await branch.execute(CallNext(3, "t03"))
                await until(lambda: len(sms.accepted) == 2, "the SMS 'called'")
                assert sms.accepted[1]["TemplateId"] == "1111"
                assert sms.accepted[1]["TemplateParamSet"][0] == by_sms.number
                assert "3" in sms.accepted[1]["TemplateParamSet"][1]
                assert push.refused == [] and sms.refused == []

                # What the store keeps of the number: a keyed hash and a sealed blob.
                with store.read() as session:
                    rows = list(session.query(NotifyRow))
                assert {r.channel for r in rows} == {"push", "sms"}
                for row in rows:
                    assert "13812345678" not in row.sealed + (row.number_hash or "")

                def sms_told() -> int:
                    with store.read() as session:
                        return sum(r.sent for r in session.query(NotifyRow) if r.channel == "sms")

                # What was told is recorded after it is handed to the outbox, which may reach
                # the gateway first on a busy machine.
                await until(lambda: sms_told() == 2, "both texts recorded as told")

                clock.now += 86400  # the next business day: everything is erased
                assert (await branch.execute(EraseNotices())).value == 2
                with store.read() as session:
                    assert session.query(NotifyRow).count() == 0
            finally:
                await notifier.stop()
                await watch.stop()
                branch.stop()

        try:
            asyncio.run(scenario())
        finally:
            store.dispose()


def test_the_opt_in_refuses_closed_tickets_and_a_number_past_its_days_messages(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    branch = Branch(load_config(), store, SECRET, clock=Clock())
    run = branch.execute_sync
    try:
        run(MoveCounter(3, "open", "t03"))
        t = run(IssueTicket("kiosk-1", "A")).value.ticket
        run(OptIn(t.id, "sms", "sealed", number_hash="h", per_number=1))
        with store.write() as tx:
            tx.session.query(NotifyRow).update({"sent": 1})
        other = run(IssueTicket("kiosk-1", "A")).value.ticket
        with pytest.raises(Exception, match="today's messages"):
            run(OptIn(other.id, "sms", "sealed", number_hash="h", per_number=1))
        run(CallNext(3, "t03"))
        run(Finish(3))
        with pytest.raises(Exception, match="nothing more to be told"):
            run(OptIn(t.id, "push", "sealed"))
    finally:
        branch.stop()
        store.dispose()
