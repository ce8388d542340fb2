"""``branchq signs``: drive the branch's LED counter signs and teller keypads from the engine.

Follows the event stream (snapshot, then live events; replay after a reconnect) and shows on
each sign what its counter is doing; polls the keypads and acts on the engine as that
counter's keypad (the ``sign`` device token may act on counters that have a keypad); tells
the engine which devices stopped answering (``POST /devices/health``).

    branchq signs --engine http://127.0.0.1:8080 --token demo-signs --port /dev/ttyUSB0

``--port`` takes a device path or a pyserial URL (``loop://``, ``socket://host:port``).
Wireless keypads and evaluators come through a receiver on its own port (``--receiver``,
dialect ``rflink``). The bus and the receiver run in their own threads (pyserial blocks);
everything else is one asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from drivers.serial.adapter import tune_latency
from drivers.serial.board import Board
from drivers.serial.bus import Bus, open_port
from drivers.serial.dialects import DIALECTS, dialect_named
from drivers.serial.health import summarize
from drivers.serial.keypad import CounterAction, RateTicket, Refused
from drivers.serial.layout import BusLayout
from drivers.serial.messages import KeyCode, KeypadShow
from drivers.serial.protocol import Dialect, ProtocolError
from drivers.serial.receiver import Receiver
from drivers.serial.rflink import RFLinkDialect
from drivers.serial.scheduler import BusScheduler
from queue_core import DEFAULT_ENGINE
from queue_core.client import (
    AsyncEngineClient,
    EngineError,
    EngineUnavailable,
    EventStream,
    configure_logging,
)
from queue_core.retry import keep_trying

log = logging.getLogger("branchq.signs")
HEALTH_RETRY_S = 5.0  # the engine takes a device's health report every 5 s, after a burst
NOTICE_S = 3.0  # how long a keypad shows "Err"/"---" before its number again


@dataclass
class BusOptions:
    port: str
    baud: int = 9600
    dialect: str | None = None  # None: the branch's [signs] dialect
    reply_timeout: float = 0.1
    retries: int = 2
    pace: bool = False  # wait the wire time of each frame (ptys and sockets send instantly)
    sign_dialect: str | None = None  # None: --dialect, then the branch's
    keypad_dialect: str | None = None
    receiver: str | None = None  # the wireless receiver's port
    receiver_baud: int = 57600

    def dialects(self, layout: BusLayout) -> tuple[Dialect, Dialect]:
        """The signs' and the keypads' dialects: the command line's, else the branch's."""
        settings = layout.settings
        sign = dialect_named(self.sign_dialect or self.dialect or settings.signs_speak, "sign")
        keypad_name = self.keypad_dialect or self.dialect or settings.keypads_speak
        keypad = dialect_named(keypad_name, "keypad")
        if isinstance(keypad, RFLinkDialect):
            keypad = RFLinkDialect(
                settings.wireless_keys, settings.evaluator_keys, layout.evaluator_addresses
            )
        return sign, keypad


@dataclass
class SignsAgent:
    """The wiring: engine events → board → bus; keypad keys → board → engine."""

    client: AsyncEngineClient
    stream: EventStream
    board: Board
    scheduler: BusScheduler
    receiver: Receiver | None = None
    keys: asyncio.Queue[tuple[int, tuple[KeyCode, ...]]] = field(default_factory=asyncio.Queue)
    health: asyncio.Queue[None] = field(default_factory=asyncio.Queue)
    actions_done: int = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the bus thread hand key presses and health changes to the loop."""

        def on_keys(address: int, keys: tuple[KeyCode, ...]) -> None:
            loop.call_soon_threadsafe(self.keys.put_nowait, (address, keys))

        def on_health(status: str, detail: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(self.health.put_nowait, None)

        self.scheduler.on_keys = on_keys
        self.scheduler.on_health = on_health
        if self.receiver is not None:
            self.receiver.on_keys = on_keys
            self.receiver.on_health = on_health

    def devices_health(self) -> tuple[str, dict[str, Any]]:
        """One report for the bus's devices and the wireless ones."""
        devices = [*self.scheduler.signs.values(), *self.scheduler.keypads.values()]
        garbled = self.scheduler.bus.garbled
        if self.receiver is not None:
            devices += self.receiver.devices()
            garbled += self.receiver.reader.garbled
        return summarize(devices, garbled)

    async def follow_events(self) -> None:
        async for event in self.stream:
            for message in self.board.apply(event):
                self.scheduler.submit(message)

    async def handle_keys(self) -> None:
        while True:
            address, keys = await self.keys.get()
            for key in keys:
                await self._press(address, key)

    async def _press(self, address: int, key: KeyCode) -> None:
        action = self.board.press(address, key)
        if action is None:
            return
        if isinstance(action, Refused):
            log.info("keypad %s: %s ignored (%s)", address, key.value, action.reason)
            self._notice(address, "---")
            return
        try:
            if isinstance(action, CounterAction):
                result = await self.client.counter_action(
                    action.counter, action.action, action.body
                )
                if action.action == "call-next" and result is None:
                    self._notice(address, "000")  # nobody waits for this counter
            elif isinstance(action, RateTicket):
                await self.client.request(
                    "POST", f"/tickets/{action.ticket_id}/rating", {"rating": action.rating}
                )
            self.actions_done += 1
        except EngineError as exc:
            log.warning("keypad %s: %s refused: %s", address, key.value, exc)
            self._notice(address, "Err")

    def _notice(self, address: int, text: str) -> None:
        """Show a short answer on the keypad, then what it showed before."""
        before = self.board.keypad_content(address)
        self.scheduler.submit(KeypadShow(address, text, before.waiting if before else 0))
        if before is not None:
            asyncio.get_running_loop().call_later(NOTICE_S, self.scheduler.submit, before)

    async def report_health(self) -> None:
        while True:
            try:
                await self.client.report_health(*self.devices_health())
            except EngineError as exc:
                if exc.status == 429:  # too often (a flapping sign): the latest, a bit later
                    await asyncio.sleep(HEALTH_RETRY_S)
                    continue
            await self.health.get()
            while not self.health.empty():  # only the latest matters
                self.health.get_nowait()


async def load_layout(client: AsyncEngineClient, max_delay: float = 5.0) -> BusLayout:
    """``GET /branch``, waiting for the engine if it is not up yet."""

    async def load() -> BusLayout:
        return BusLayout.from_branch(await client.request("GET", "/branch"))

    layout = await keep_trying(load, (EngineUnavailable,), "the bus layout", max_delay=max_delay)
    assert layout is not None  # nothing stops the wait but an answer
    return layout


async def run(engine: str, token: str, options: BusOptions, exit_after: float | None) -> int:
    client = AsyncEngineClient(engine, token)
    try:
        layout = await load_layout(client)
        try:
            sign_dialect, keypad_dialect = options.dialects(layout)
            if keypad_dialect.pushes_keys and not options.receiver:
                raise ProtocolError(f"{keypad_dialect.name} keypads need --receiver PORT")
        except (ProtocolError, ValueError) as exc:
            await client.report_health("error", {"error": str(exc)})
            log.error("%s", exc)
            return 2
        latency = tune_latency(options.port)
        if latency is not None and latency.set_to is not None:
            log.info("%s latency timer %d ms → %d ms", latency.tty, latency.ms, latency.set_to)
        try:
            port = open_port(options.port, options.baud)
            receiver_port = (
                open_port(options.receiver, options.receiver_baud) if options.receiver else None
            )
        except Exception as exc:  # pyserial raises SerialException or ValueError
            await client.report_health("error", {"port": options.port, "error": str(exc)})
            log.error("cannot open the port: %s", exc)
            return 2
        bus = Bus(
            port,
            sign_dialect,
            reply_timeout=options.reply_timeout,
            retries=options.retries,
            pace_baud=options.baud if options.pace else None,
            baud=options.baud,
        )
        wired = not keypad_dialect.pushes_keys
        keypads = layout.keypad_addresses + layout.evaluator_addresses
        scheduler = BusScheduler(
            bus,
            layout.sign_addresses,
            keypads if wired else [],
            evaluators=layout.evaluator_addresses if wired else [],
            sign_dialect=sign_dialect,
            keypad_dialect=keypad_dialect,
        )
        receiver = None
        if receiver_port is not None and not wired:
            receiver = Receiver(
                receiver_port,
                keypad_dialect,
                layout.keypad_addresses,
                evaluators=layout.evaluator_addresses,
            )
        agent = SignsAgent(client, EventStream(engine, token), Board(layout), scheduler, receiver)
        agent.attach(asyncio.get_running_loop())
        stop = threading.Event()
        threads = [threading.Thread(target=scheduler.run, args=(stop,), name="bus", daemon=True)]
        if receiver is not None:
            threads.append(
                threading.Thread(target=receiver.run, args=(stop,), name="receiver", daemon=True)
            )
        for thread in threads:
            thread.start()
        log.info(
            "signs %s (%s), keypads %s (%s) on %s%s",
            layout.sign_addresses,
            sign_dialect.name,
            keypads,
            keypad_dialect.name,
            options.port,
            f", receiver on {options.receiver}" if options.receiver else "",
        )
        tasks = [
            asyncio.create_task(agent.follow_events()),
            asyncio.create_task(agent.handle_keys()),
            asyncio.create_task(agent.report_health()),
        ]
        try:
            done, _ = await asyncio.wait(
                tasks, timeout=exit_after, return_when=asyncio.FIRST_EXCEPTION
            )
            for task in done:
                task.result()  # an unauthorized token ends the agent with its error
        finally:
            agent.stream.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            stop.set()
            for thread in threads:
                thread.join(timeout=5)
            bus.close()
            if receiver_port is not None:
                receiver_port.close()
        return 0
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="branchq signs", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--engine", default=DEFAULT_ENGINE, help=f"engine URL (default {DEFAULT_ENGINE})"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("BRANCHQ_TOKEN"),
        required="BRANCHQ_TOKEN" not in os.environ,
        help="the sign device's token (default: $BRANCHQ_TOKEN, kept out of ps)",
    )
    parser.add_argument("--port", required=True, help="serial device or pyserial URL")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--dialect", choices=sorted(DIALECTS), default=None)
    parser.add_argument("--sign-dialect", choices=sorted(DIALECTS), default=None)
    parser.add_argument("--keypad-dialect", choices=sorted(DIALECTS), default=None)
    parser.add_argument("--receiver", default=None, help="wireless receiver's serial port")
    parser.add_argument("--receiver-baud", type=int, default=57600)
    parser.add_argument("--reply-timeout", type=float, default=0.1, metavar="SECONDS")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--pace", action="store_true", help="emulate the baud rate's wire time")
    parser.add_argument("--exit-after", type=float, default=None, metavar="SECONDS")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(logging.DEBUG if args.verbose else logging.INFO)
    options = BusOptions(
        args.port,
        args.baud,
        args.dialect,
        args.reply_timeout,
        args.retries,
        args.pace,
        args.sign_dialect,
        args.keypad_dialect,
        args.receiver,
        args.receiver_baud,
    )
    try:
        return asyncio.run(run(args.engine, args.token, options, args.exit_after))
    except EngineError as exc:
        log.error("%s", exc)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
