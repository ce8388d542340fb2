"""Care mode against a real engine, with the hall's voice (eSpeak NG) rendering the guidance:
a customer who follows only what the kiosk says takes the ticket they asked for, and hears its
number, the people ahead and where to take it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from escpos.printer import Dummy

from drivers.voice import LogSpeaker, Pcm
from drivers.voice.reading import ticket_zh
from kiosk.layout import buttons
from kiosk.model import Choose, Showing
from tests.kiosk.running import lobby_get, open_counter, running_kiosk, taken, tap, touch, until
from tests.support.engine import RunningEngine

ORDINALS = "一二三四五六"


class Ear(LogSpeaker):
    """No loudspeaker here: the sound device writes to the log; the test keeps what it heard."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[tuple[str, float]] = []

    def play(self, pcm: Pcm, text: str) -> None:
        super().play(pcm, text)
        self.heard.append((text, pcm.seconds))


def test_a_customer_takes_a_ticket_by_following_the_voice_alone(
    engine: RunningEngine, tmp_path: Path
) -> None:
    open_counter(engine, 1)
    ear = Ear()
    device = Dummy()

    async def scenario() -> tuple[str, str, str]:
        async with running_kiosk(engine.url, tmp_path, device=device, speaker=ear) as (k, clock):
            await tap(k, clock, "care:on")
            assert k.state.care and isinstance(k.state.screen, Choose)
            choices = await until(lambda: ear.heard and ear.heard[-1][0], timeout=60)
            assert ear.heard[-1][1] > 5.0, ear.heard  # real speech, seconds of it, not a beep
            # "第二个，个人非现金业务。": the customer wants the second service the voice names,
            # and presses the second button from the top, as the voice says they run.
            named = re.findall(r"第(.)个，([^。]+)。", choices)
            assert len(named) >= 2, choices
            ordinal, wanted = named[1]
            shown = buttons(k.state, *k.surface.get_size())
            rows = sorted((b for b in shown if b.target.startswith("service:")),
                          key=lambda b: b.rect[1])  # fmt: skip
            x, y, w, h = rows[ORDINALS.index(ordinal)].rect
            clock.advance(1.0)
            touch((x + w // 2, y + h // 2))
            await taken()
            await until(lambda: isinstance(k.state.screen, Showing))
            number = str(k.state.screen.ticket["number"])  # type: ignore[union-attr]
            said = await until(
                lambda: next((t for t, _ in ear.heard if t.startswith("您的号码是")), ""),
                timeout=60,
            )
            code = next(s.code for s in k.state.services if s.name == wanted)
            return code, number, said.replace(ticket_zh(number), number)

    code, number, said = asyncio.run(scenario())
    queue = lobby_get(engine, "/queue")
    assert [t["number"] for s in queue["services"] if s["code"] == code for t in s["waiting"]] == [
        number
    ]
    assert said == (f"您的号码是，{number}。您前面没有人等候。"
                    "请在屏幕下方取走号票，留意叫号。")  # fmt: skip
