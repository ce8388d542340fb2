"""An appointment's reminder: a customer who booked from the phone and opted in on the
appointment's page is reminded once before the window, by Web Push (decrypted as the browser
would) and SMS (the local Tencent Cloud gateway checks the signature); recorded before it is
sent, so a restarted engine reminds nobody twice; a cancelled booking's number is deleted."""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path

from queue_core.config import BranchConfig
from queue_core.domain.notices import reminder_due
from queue_core.events.hub import EventHub
from queue_core.events.watch import TicketWatch
from queue_core.notify.notifier import Notifier
from queue_core.store import Store
from queue_core.store.models import NotifyRow
from queue_core.usecases import Branch
from queue_core.usecases.appointments import BookAppointment, CancelAppointment
from queue_core.usecases.notices import OptInAppointment
from queue_core.wire import iso
from tests.notify.test_notifier import SECRET, configured, until
from tests.support.gateways import PushService, TencentSmsGateway

PHONE_PAGE = "0123456789abcdef0123456789abcdef"
#: 2025-11-13 10:30 in Shanghai: the start of a booking window.
TEN_THIRTY = 1_763_001_000.0
DAY = "2025-11-13"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def with_reminders(config: BranchConfig) -> BranchConfig:
    assert config.notify.sms is not None
    sms = config.notify.sms.model_copy(update={"template_reminder": "1112"})
    notify = config.notify.model_copy(update={"sms": sms, "remind_minutes": 30})
    appointments = config.appointments.model_copy(update={"phone": True})
    return config.model_copy(update={"notify": notify, "appointments": appointments})


def test_the_rule_reminds_from_its_time_until_the_window_and_not_a_fresh_booking() -> None:
    start, before = TEN_THIRTY, 1800.0
    assert not reminder_due(start, start - 86400, start - 1801, before)
    assert reminder_due(start, start - 86400, start - 1800, before)
    assert reminder_due(start, start - 86400, start - 1, before)
    assert not reminder_due(start, start - 86400, start, before)  # the window has begun
    assert not reminder_due(start, start - 600, start - 300, before)  # booked in the last half hour


def test_a_booked_customer_is_reminded_once_before_the_window(tmp_path: Path) -> None:
    sms = TencentSmsGateway()
    with PushService().running() as push, sms.running() as sms_url:
        config = with_reminders(configured(tmp_path, sms, sms_url))
        store = Store(f"sqlite:///{tmp_path / 'q.db'}")
        clock = Clock(TEN_THIRTY - 86400)  # booked the day before

        async def engine() -> tuple[Branch, Notifier, TicketWatch]:
            hub = EventHub(functools.partial(iso, tz=config.zone))  # type: ignore[arg-type]
            hub.bind(asyncio.get_running_loop())
            branch = Branch(config, store, SECRET, clock=clock, publish=hub.publish)

            async def compute(ids: list[str]) -> dict[str, dict[str, object]]:
                return dict(await asyncio.to_thread(branch.reads.public_many, ids))

            watch = TicketWatch(hub, compute)
            notifier = Notifier.of(config, branch, watch, SECRET)
            watch.start()
            await notifier.start()
            return branch, notifier, watch

        async def stop(branch: Branch, notifier: Notifier, watch: TicketWatch) -> None:
            await notifier.stop()
            await watch.stop()
            branch.stop()

        async def first_run() -> None:
            branch, notifier, watch = await engine()
            try:
                run = branch.execute
                booked, gone = [
                    (
                        await run(
                            BookAppointment("A", DAY, TEN_THIRTY, "phone", browser=PHONE_PAGE)
                        )
                    ).value
                    for _ in range(2)
                ]
                sub = push.subscribe()
                kept = json.dumps(
                    {"endpoint": sub["endpoint"], "p256dh": sub["keys"]["p256dh"],
                     "auth": sub["keys"]["auth"]}
                )  # fmt: skip
                await run(OptInAppointment(booked.id, "push", notifier.vault.seal(kept, booked.id)))
                phone = "+8613812345678"
                await run(
                    OptInAppointment(
                        booked.id, "sms", notifier.vault.seal(phone, booked.id), "zh",
                        notifier.vault.digest(phone),
                    )
                )  # fmt: skip
                await run(
                    OptInAppointment(gone.id, "sms", notifier.vault.seal(phone, gone.id), "zh")
                )
                await run(CancelAppointment(gone.id))  # its number goes with it
                with store.read() as session:
                    assert session.query(NotifyRow).filter_by(ticket_id=gone.id).count() == 0

                clock.now = TEN_THIRTY - 1900  # not yet: 31 minutes before
                assert await notifier.remind() == 0
                clock.now = TEN_THIRTY - 1700
                assert await notifier.remind() == 2
                await until(lambda: len(push.delivered) == 1 and len(sms.accepted) == 1, "sent")
                message = push.delivered[0]["message"]
                assert (
                    message["body"]
                    == "您预约的个人现金业务 10:30–11:00 快到了：到网点后请在取号机签到"
                )
                assert message["url"].endswith(f"/a/{booked.id}")
                assert sms.accepted[0]["TemplateId"] == "1112"
                assert sms.accepted[0]["TemplateParamSet"] == ["个人现金业务", "10:30"]
                assert sms.accepted[0]["PhoneNumberSet"] == [phone]
                assert await notifier.remind() == 0  # once
            finally:
                await stop(branch, notifier, watch)

        async def after_restart() -> None:
            branch, notifier, watch = await engine()
            try:
                clock.now += 60
                assert await notifier.remind() == 0  # the restart repeats nothing
                await asyncio.sleep(0.2)
                assert len(push.delivered) == 1 and len(sms.accepted) == 1
                assert push.refused == [] and sms.refused == []
            finally:
                await stop(branch, notifier, watch)

        try:
            asyncio.run(first_run())
            asyncio.run(after_restart())
        finally:
            store.dispose()
