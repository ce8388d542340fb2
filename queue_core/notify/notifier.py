"""The notifier: tells the customers who opted in when their turn is near and when they are
called, by Web Push and SMS, through the outbox.

It follows each such ticket as a phone page does, through the ticket watch
(``events/watch.py``): the watch already computes every followed ticket's public state after
events (the called ticket at once), so a notice costs no pass of its own. For each new state
the rule of ``domain.notices`` says what to send; what was told is recorded (``RecordTold``), so
a restarted engine does not tell twice. Sending goes through the outbox: a slow or failing
gateway never delays the queue, and a push subscription the service calls gone is deleted.
No message, log line or label carries a phone number.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from queue_core.config import BranchConfig
from queue_core.domain import notices
from queue_core.domain.notices import Notice
from queue_core.events.watch import TicketWatch, TooManyWatchers, Watcher
from queue_core.notify.outbox import Message, Outbox, Permanent
from queue_core.notify.phones import PhoneVault
from queue_core.notify.push import PushError, Subscription, WebPush
from queue_core.notify.sms import SmsError, TencentSms, TencentSmsSettings
from queue_core.usecases import Branch
from queue_core.usecases.notices import (
    OptOut,
    RecordTold,
    Reminder,
    Request,
    TakeDueReminders,
    requests_of,
)

log = logging.getLogger(__name__)

#: Gateways' codes that trying again cannot mend (Tencent Cloud SMS: a refused number).
_FINAL_SMS = (
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
)


@dataclass(frozen=True, slots=True)
class Said:
    """A notice in words, in the customer's language."""

    title: str
    body: str


def words(notice: Notice, state: dict[str, Any], lang: str) -> Said:
    """What a notice says (no name, no number but the ticket's)."""
    number = str(state.get("number", ""))
    en = lang == "en"
    branch = state.get("branch") or {}
    title = (branch.get("name_en") if en else branch.get("name")) or number
    if notice is Notice.CALLED:
        counter = (state.get("counter_name_en") if en else state.get("counter_name")) or str(
            state.get("counter") or ""
        )
        body = f"{number}: please go to {counter}" if en else f"请 {number} 号到 {counter} 办理业务"
        return Said(title, body)
    ahead = int(state.get("ahead") or 0)
    if ahead == 0:
        body = (
            f"{number}: you are next, please come back to the hall"
            if en
            else f"{number}：下一位就是您，请回到大厅留意叫号"
        )
    else:
        body = (
            f"{number}: {ahead} ahead of you, please come back to the hall"
            if en
            else f"{number}：前面还有 {ahead} 人，请回到大厅留意叫号"
        )
    return Said(title, body)


def reminder_words(reminder: Reminder, config: BranchConfig, lang: str) -> Said:
    """An appointment's reminder: the service and the window, what to do at the branch."""
    en = lang == "en"
    service = config.service(reminder.service)
    name = (service.name_en if en else service.name) if service else reminder.service
    start, end = (datetime.fromtimestamp(t, config.zone).strftime("%H:%M")
                  for t in (reminder.start, reminder.end))  # fmt: skip
    branch = config.branch
    title = (branch.name_en if en else branch.name) or branch.name
    if en:
        return Said(title, f"{name} booked {start}–{end}: check in at the kiosk when you arrive")
    return Said(title, f"您预约的{name} {start}–{end} 快到了：到网点后请在取号机签到")


class Notifier:
    """Follows the tickets whose customers opted in and sends their notices."""

    def __init__(
        self,
        config: BranchConfig,
        branch: Branch,
        watch: TicketWatch,
        secret: bytes,
        outbox: Outbox | None = None,
        push: WebPush | None = None,
        sms: TencentSms | None = None,
    ) -> None:
        self.config = config
        self.branch = branch
        self.watch = watch
        self.vault = PhoneVault(secret)
        self.outbox = outbox or Outbox()
        self.push = push
        self.sms = sms
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._requests: dict[str, dict[str, Request]] = {}

    @classmethod
    def of(
        cls, config: BranchConfig, branch: Branch, watch: TicketWatch, secret: bytes
    ) -> Notifier:
        """The notifier with the channels the branch configured (``[notify]``)."""
        settings = config.notify
        push = None
        if settings.push is not None:
            push = WebPush(
                Path(settings.push.vapid_private_key),
                settings.push.subject,
                settings.push.timeout_s,
            )
        sms = None
        if settings.sms is not None:
            s = settings.sms
            key = Path(s.secret_key_file).read_text(encoding="utf-8").strip()
            sms = TencentSms(
                TencentSmsSettings(
                    secret_id=s.secret_id,
                    secret_key=key,
                    sdk_app_id=s.sdk_app_id,
                    sign_name=s.sign_name,
                    region=s.region,
                    endpoint=s.endpoint,
                    timeout_s=s.timeout_s,
                )
            )
        return cls(config, branch, watch, secret, push=push, sms=sms)

    @property
    def enabled(self) -> bool:
        return self.push is not None or self.sms is not None

    def options(self) -> dict[str, Any]:
        """What the phone page offers (``GET /phone/branch`` → ``notify``)."""
        settings = self.config.notify
        texts = settings.sms is not None and settings.sms.template_reminder is not None
        return {
            "ahead": self.config.notify.ahead,
            "push_key": self.push.public_key if self.push is not None else None,
            "sms": self.sms is not None,
            "sms_reminder": self.sms is not None and texts,
        }

    # ------------------------------------------------------------ running
    async def start(self) -> None:
        self.outbox.start()
        kept = await run_in_threadpool(self._load, None)
        for ticket_id in {r.ticket_id for r in kept}:
            await self.follow(ticket_id)

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.outbox.stop()
        for client in (self.push, self.sms):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _load(self, ticket_ids: list[str] | None) -> list[Request]:
        with self.branch.store.read() as session:
            found = requests_of(session, ticket_ids)
        for r in found:
            self._requests.setdefault(r.ticket_id, {})[r.channel] = r
        return found

    async def follow(self, ticket_id: str) -> None:
        """Follow a ticket whose customer (just) opted in; its requests are read again."""
        self._requests.pop(ticket_id, None)
        await run_in_threadpool(self._load, [ticket_id])
        if ticket_id in self._tasks and not self._tasks[ticket_id].done():
            return
        try:
            watcher, state = await self.watch.open(ticket_id)
        except TooManyWatchers:
            log.warning("too many pages open: a notice request is not followed")
            return
        if state is None:
            return
        self._tasks[ticket_id] = asyncio.get_running_loop().create_task(
            self._follow(ticket_id, watcher, state)
        )

    async def forget(self, ticket_id: str) -> None:
        """The customer opted out: stop following."""
        self._requests.pop(ticket_id, None)
        task = self._tasks.pop(ticket_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _follow(self, ticket_id: str, watcher: Watcher, text: str) -> None:
        try:
            while True:
                state = json.loads(text)
                try:
                    await self.consider(ticket_id, state)
                except Exception:  # a notice is a courtesy: the ticket goes on regardless
                    log.warning("notice for a ticket not sent", exc_info=True)
                if state.get("final") or not self._requests.get(ticket_id):
                    return
                text = await watcher.next()
        finally:
            self.watch.close(watcher)
            if self._tasks.get(ticket_id) is asyncio.current_task():
                del self._tasks[ticket_id]

    async def consider(self, ticket_id: str, state: dict[str, Any]) -> None:
        """Send what the ticket's new state calls for on each channel, and record it."""
        for request in list(self._requests.get(ticket_id, {}).values()):
            seen, due = notices.due(
                request.seen,
                str(state.get("status")),
                state.get("ahead"),
                int(state.get("call_count") or 0),
                bool(state.get("expired")),
                self.config.notify.ahead,
            )
            if not due:
                continue
            sent = sum(1 for notice in due if self._offer(request, notice, state))
            self._requests[ticket_id][request.channel] = replace(request, seen=seen)
            await self.branch.execute(RecordTold(ticket_id, request.channel, seen, sent))

    def _offer(self, request: Request, notice: Notice, state: dict[str, Any]) -> bool:
        said = words(notice, state, request.lang)
        label = f"{notice.value} for {state.get('number', '?')}"
        if request.channel == "push" and self.push is not None:
            drop = self._drop(request.ticket_id, "push")
            return self.outbox.offer(self._push_message(request, "t", said, label, drop))
        if request.channel == "sms" and self.sms is not None and self.config.notify.sms:
            settings = self.config.notify.sms
            number = str(state.get("number", ""))
            if notice is Notice.CALLED:
                counter = str(state.get("counter_name") or state.get("counter") or "")
                template, params = settings.template_called, [number, counter]
            else:
                template, params = settings.template_next, [number, str(state.get("ahead") or 0)]
            return self.outbox.offer(self._sms_message(request, template, params, label))
        return False

    def _push_message(
        self,
        request: Request,
        page: str,
        said: Said,
        label: str,
        on_gone: Callable[[], Awaitable[None]] | None = None,
    ) -> Message:
        """A Web Push of ``said`` to the request's subscription, opening the public page
        ``/{page}/{id}``; a subscription the push service says is gone is final."""
        assert self.push is not None
        push = self.push
        info = json.loads(self.vault.open(request.sealed, request.ticket_id))
        subscription = Subscription(info["endpoint"], info["p256dh"], info["auth"])
        url = f"{self.config.branch.public_url}/{page}/{request.ticket_id}"
        payload = {"title": said.title, "body": said.body, "url": url, "tag": request.ticket_id}

        async def send_push() -> None:
            try:
                await push.send(subscription, payload)
            except PushError as exc:
                if exc.gone:
                    raise Permanent(exc.code) from exc
                raise

        return Message("push", label, send_push, on_gone)

    def _sms_message(
        self, request: Request, template: str, params: list[str], label: str
    ) -> Message:
        """A text by the gateway's ``template`` with ``params`` to the request's number; the
        gateway's final refusals are final."""
        assert self.sms is not None
        sms = self.sms
        phone = self.vault.open(request.sealed, request.ticket_id)

        async def send_sms() -> None:
            try:
                await sms.send(phone, template, params)
            except SmsError as exc:
                if exc.code in _FINAL_SMS:
                    raise Permanent(exc.code) from exc
                raise

        return Message("sms", label, send_sms)

    # ------------------------------------------------------------ appointments
    async def remind(self) -> int:
        """Send the appointments' reminders due now (the housekeeping's, each minute); each is
        recorded as told before it goes, so none is sent twice. Returns how many went out."""
        settings = self.config.notify
        texts = bool(settings.sms and settings.sms.template_reminder)
        channels = tuple(
            c
            for c, on in (("push", self.push is not None), ("sms", self.sms is not None and texts))
            if on
        )
        if not channels:
            return 0
        command = TakeDueReminders(settings.remind_minutes * 60, channels)
        due = (await self.branch.execute(command)).value
        sent = 0
        for reminder in due:
            try:
                sent += self._offer_reminder(reminder)
            except Exception:  # a reminder is a courtesy: the others go regardless
                log.warning("an appointment's reminder not sent", exc_info=True)
        return sent

    def _offer_reminder(self, reminder: Reminder) -> bool:
        request = reminder.request
        said = reminder_words(reminder, self.config, request.lang)
        label = f"reminder for an appointment at {reminder.start:.0f}"
        if request.channel == "push" and self.push is not None:
            return self.outbox.offer(self._push_message(request, "a", said, label))
        settings = self.config.notify.sms
        if request.channel == "sms" and self.sms is not None and settings is not None:
            template = settings.template_reminder
            if template is None:
                return False
            service = self.config.service(reminder.service)
            params = [
                service.name if service else reminder.service,
                datetime.fromtimestamp(reminder.start, self.config.zone).strftime("%H:%M"),
            ]
            return self.outbox.offer(self._sms_message(request, template, params, label))
        return False

    def _drop(self, ticket_id: str, channel: str) -> Callable[[], Awaitable[None]]:
        async def drop() -> None:
            self._requests.get(ticket_id, {}).pop(channel, None)
            await self.branch.execute(OptOut(ticket_id, channel))

        return drop
