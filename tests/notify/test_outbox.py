"""The outbox: offering never waits, a failing gateway is paused, a dead target is let go."""

from __future__ import annotations

import asyncio

from queue_core.notify.outbox import Message, Outbox, Permanent
from queue_core.notify.sms import TencentSms, TencentSmsSettings
from tests.support.gateways import TencentSmsGateway


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_hanging_gateway_never_holds_up_whoever_offers() -> None:
    gateway = TencentSmsGateway(mode="hang", hang_s=2.0)

    async def scenario(url: str) -> tuple[int, int]:
        sms = TencentSms(
            TencentSmsSettings(
                gateway.secret_id,
                gateway.secret_key,
                "1400006666",
                "银行",
                endpoint=url,
                timeout_s=1.0,
            )
        )
        outbox = Outbox(limit=100, workers=2, retry_after_s=())
        outbox.start()
        try:
            # All offers happen without yielding to the loop once: nothing waits on the gateway.
            taken = sum(
                outbox.offer(Message("sms", f"ticket {i}", lambda: _send(sms))) for i in range(300)
            )
            push_taken = outbox.offer(Message("push", "ticket 0", _nothing))
            await asyncio.sleep(0)
            return taken, int(push_taken)
        finally:
            await outbox.stop()
            await sms.aclose()

    async def _send(sms: TencentSms) -> None:
        await sms.send("+8613812345678", "1", [])

    with gateway.running() as url:
        taken, push_taken = asyncio.run(scenario(url))
    assert taken == 100  # the queue's bound: the rest dropped and counted, never waited for
    assert push_taken == 1  # another channel is not behind the SMS queue


async def _nothing() -> None:
    return None


def test_after_failures_in_a_row_the_channel_pauses_then_tries_again() -> None:
    clock = Clock()
    calls: list[str] = []
    gone: list[str] = []

    async def failing() -> None:
        calls.append("fail")
        raise RuntimeError("gateway down")

    async def dead() -> None:
        raise Permanent("subscription gone")

    async def forget() -> None:
        gone.append("forgotten")

    async def scenario() -> Outbox:
        outbox = Outbox(workers=1, retry_after_s=(), breaker_after=3, breaker_s=60, clock=clock)
        outbox.start()
        try:
            for i in range(3):
                assert outbox.offer(Message("sms", f"t{i}", failing))
            await _settle(outbox)
            assert not outbox.offer(Message("sms", "t4", failing))  # paused: dropped at once
            clock.now += 61
            assert outbox.offer(Message("sms", "t5", failing))
            assert outbox.offer(Message("push", "p1", dead, on_permanent=forget))
            await _settle(outbox)
            return outbox
        finally:
            await outbox.stop()

    outbox = asyncio.run(scenario())
    assert len(calls) == 4
    assert outbox.stats["sms"].dropped == 1 and outbox.stats["sms"].failed == 4
    assert gone == ["forgotten"] and outbox.stats["push"].failed == 1


async def _settle(outbox: Outbox) -> None:
    for _ in range(50):
        await asyncio.sleep(0)
        if all(q.empty() for q in outbox._queues.values()):
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return
